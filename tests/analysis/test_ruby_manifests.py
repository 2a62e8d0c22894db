"""RubyGems manifest facts from inert gems written here: YAML metadata, .gemspec and Gemfile."""

from __future__ import annotations

from malgraph.analysis.manifests import ManifestScan, read_manifests
from malgraph.artifacts.archives import Member
from malgraph.core.code import InstallHook, Manifest


def scan(files: dict[str, str]) -> ManifestScan:
    return read_manifests([Member(path, text.encode()) for path, text in files.items()])


def table(result: ManifestScan) -> set[tuple[str, str, str, str, int | None]]:
    return {(d.kind, d.name, d.spec, d.file, d.line) for d in result.dependencies}


METADATA = """\
--- !ruby/object:Gem::Specification
name: evil-gem
version: !ruby/object:Gem::Version
  version: 0.4.2
platform: ruby
authors:
- Someone
bindir: bin
cert_chain: []
date: 2024-01-01 00:00:00.000000000 Z
dependencies:
- !ruby/object:Gem::Dependency
  name: rest-client
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '2.1'
    - - ">="
      - !ruby/object:Gem::Version
        version: 2.1.0
  type: :runtime
  prerelease: false
  version_requirements: !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '2.1'
- !ruby/object:Gem::Dependency
  name: rake
  requirement: &1 !ruby/object:Gem::Requirement
    requirements:
    - - ">="
      - !ruby/object:Gem::Version
        version: '0'
  type: :development
  prerelease: false
  version_requirements: *1
description: |
  A long description
  over two lines.
email:
executables: []
extensions:
- ext/evil/extconf.rb
- Rakefile
extra_rdoc_files: []
files:
- lib/evil.rb
summary: 'It''s fine'
"""


def test_gem_metadata_yaml() -> None:
    result = scan({"metadata": METADATA, "lib/evil.rb": "system('id')"})
    assert result.manifests == (Manifest("RubyGems", "metadata", "evil-gem", "0.4.2", "It's fine"),)
    assert table(result) == {
        ("runtime", "rest-client", "~> 2.1, >= 2.1.0", "metadata", 13),
        ("development", "rake", ">= 0", "metadata", 30),
    }
    assert result.install_hooks == (
        InstallHook("extensions", "ext/evil/extconf.rb", "metadata", 45),
        InstallHook("extensions", "Rakefile", "metadata", 46),
    )
    assert result.problems == ()


def test_gem_metadata_description_is_used_without_a_summary_and_other_metadata_is_ignored() -> None:
    text = (
        "--- !ruby/object:Gem::Specification\nname: d\nversion: !ruby/object:Gem::Version\n"
        '  version: "1.0"\ndescription: >\n  folded\n  text\nextensions: []\n'
    )
    result = scan({"sample/d-1.0/metadata": text, "lib/metadata": "not: a gemspec\n"})
    assert result.manifests == (
        Manifest("RubyGems", "sample/d-1.0/metadata", "d", "1.0", "folded text"),
    )
    assert result.install_hooks == ()


GEMSPEC = """\
# -*- encoding: utf-8 -*-
require_relative "lib/evil/version"

Gem::Specification.new do |spec|
  spec.name          = "evil-gem"
  spec.version       = Evil::VERSION
  spec.summary       = %q{Looks useful}
  spec.files         = Dir["lib/**/*.rb"]
  spec.extensions    = ["ext/evil/extconf.rb"]
  spec.extensions << 'ext/other/Rakefile'

  spec.add_dependency "nokogiri", ">= 1.10", "< 2"
  spec.add_runtime_dependency(%q<rest-client>.freeze, ["~> 2.1".freeze])
  spec.add_development_dependency 'rspec', '~> 3.0' if RUBY_VERSION > '2.0'
  spec.add_dependency(%q<rest-client>.freeze, [">= 0"])
end
"""


def test_gemspec_with_regexes() -> None:
    result = scan({"evil.gemspec": GEMSPEC, "vendor/other/other.gemspec": 'spec.name = "x"'})
    assert result.manifests == (
        Manifest("RubyGems", "evil.gemspec", "evil-gem", None, "Looks useful"),
    )
    assert table(result) == {
        ("runtime", "nokogiri", ">= 1.10, < 2", "evil.gemspec", 12),
        ("runtime", "rest-client", "~> 2.1", "evil.gemspec", 13),  # its repeat on 15 is dropped
        ("development", "rspec", "~> 3.0", "evil.gemspec", 14),
    }
    assert result.install_hooks == (
        InstallHook("extensions", "ext/evil/extconf.rb", "evil.gemspec", 9),
        InstallHook("extensions", "ext/other/Rakefile", "evil.gemspec", 10),
    )


def test_gemfile() -> None:
    gemfile = """\
source "https://rubygems.org"
gemspec

gem 'rails', '~> 7.0', '>= 7.0.4'
gem "pg"
  gem("puma", "6.4", require: false)
gem 'backdoor', git: 'https://example.invalid/backdoor.git'
# gem 'commented'
"""
    result = scan({"Gemfile": gemfile})
    assert table(result) == {
        ("gemfile", "rails", "~> 7.0, >= 7.0.4", "Gemfile", 4),
        ("gemfile", "pg", "", "Gemfile", 5),
        ("gemfile", "puma", "6.4", "Gemfile", 6),
        ("gemfile", "backdoor", "https://example.invalid/backdoor.git", "Gemfile", 7),
    }
    assert {d.ecosystem for d in result.dependencies} == {"RubyGems"}
    assert result.manifests == ()
