"""Normalised token streams of code, the input of the code-similarity relation (MinHash over
shingles): renaming variables, changing strings or numbers, reformatting and editing comments leave
the stream unchanged, while keywords and the names of APIs, which cannot be renamed away, stay."""

from __future__ import annotations

import keyword
import re
from typing import NamedTuple

from malgraph.core.kinds import CodeLanguage

# One pattern per language. The possessive prefix skips whitespace, comments, `;` and trailing
# commas (formatters add and drop those) without ever backtracking; the token is then the one
# group, which `findall` returns as a list of strings straight from C (no match objects, unlike
# `finditer`, and no tuple of groups, whose marks `re` saves at every alternative tried). Its
# kind is told by its first characters afterwards (`_kind`). Brackets and the other
# one-character operators that start no longer one are an alternative of their own, ahead of
# the strings, so that the commonest tokens are not tried against every branch. Strings use
# unrolled loops `"[^"\\]*(?:\\.[^"\\]*)*"`.
_TRAILING_COMMA = r",(?=\s*[)\]}])"
_NUMBER = r"(?:\d|\.\d)(?:[eE][+-]|[\w.])*+"


def _quoted(q: str, newline: bool = False) -> str:
    """A string between `q` quotes with backslash escapes; single-line unless `newline`. An
    unterminated one ends with its line (or the text): see below."""
    body = f"[^{q}\\\\]" if newline else f"[^{q}\\\\\\n]"
    end = f"(?:{q}|\\Z)" if newline else f"(?:{q}|(?=\\n)|\\Z)"
    return f"{q}{body}*+(?:\\\\[\\s\\S]{body}*+)*+{end}"


# Literals that run to the end of the text when unterminated (a syntax error anyway): each opener
# then costs one scan of the rest, not one per later opener, which hostile files would make
# quadratic. Loops are possessive for the same reason.
def _triple(q: str) -> str:
    return f"{q * 3}[^{q}\\\\]*+(?:(?:\\\\[\\s\\S]|{q}(?!{q * 2}))[^{q}\\\\]*+)*+(?:{q * 3}|\\Z)"


_BLOCK_COMMENT = r"/\*[^*]*+(?:\*++[^*/][^*]*+)*+(?:\*++/|\**+\Z)"
_RUBY_BLOCK_COMMENT = r"^=begin\b[^\n]*+(?:\n(?!=end\b)[^\n]*+)*+(?:\n=end\b[^\n]*+)?"
_HEREDOC = (
    r"<<[~-]?(?P<hq>['\"`]?)(?P<hid>[A-Z_][A-Za-z_0-9]*)(?P=hq)"
    r"[^\n]*+(?:\n(?![ \t]*(?P=hid)$)[^\n]*+)*+(?:\n[ \t]*(?P=hid)$)?"
)


# A `/` starts a regex literal after an operator or opening bracket, never after a value. Real
# ones are short: the bound keeps a line of unterminated `/[` from costing its length per try.
def _regex_literal(before: str) -> str:
    return (
        f"(?:(?<=[{before}])|(?<=[{before}]\\s)|(?<=\\breturn\\s))"
        r"/(?![*/])(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.){0,100}\]){1,1000}/[a-z]*"
    )


class _Lexer(NamedTuple):
    """One language's lexer twice: `fast` (the token as the one group, its kind told from its
    text) and `grouped` (a named group a kind, the same matches). A quote whose string cannot
    end (a backslash is the last character of the text) is lexed as an operator, which its text
    cannot tell from a string that ends there: such a text takes the grouped lexer."""

    fast: re.Pattern[str]
    grouped: re.Pattern[str]


def _lexer(skipped: str, name: str, single: str, string: str, operator: str) -> _Lexer:
    """`single`: the one-character operators that start no longer one (none of them a name,
    string or number start), tried right after names since they are the commonest tokens."""
    fast = rf"{skipped}({name}|{single}|{string}|{_NUMBER}|{operator}|\Z)"
    grouped = (
        rf"{skipped}(?:(?P<i>{name})|(?P<s>{string})|(?P<n>{_NUMBER})"
        rf"|(?P<o>{operator})|\Z)"
    )
    return _Lexer(re.compile(fast), re.compile(grouped))


_PYTHON = _lexer(
    rf"\s*+(?:(?:#[^\n]*+|\\\n|;|{_TRAILING_COMMA})\s*+)*+",
    r"(?![rRbBuUfF]{1,2}['\"])[^\W\d]\w*+",
    r"[()\[\]{},~]",
    r"[rRbBuUfF]{0,2}"
    rf"(?:{_triple(chr(39))}|{_triple(chr(34))}|{_quoted(chr(39))}|{_quoted(chr(34))})",
    r"\*\*=|//=|>>=|<<=|->|:=|==|!=|<=|>=|\*\*|//|<<|>>|[-+*/%&|^@]=|\S",
)
_JAVASCRIPT = _lexer(
    rf"\s*+(?:(?://[^\n]*+|{_BLOCK_COMMENT}|;|{_TRAILING_COMMA})\s*+)*+",
    r"[^\W\d][\w$]*+|\$[\w$]*+",
    r"[()\[\]{},~:]",
    rf"{_quoted(chr(34))}|{_quoted(chr(39))}|{_quoted('`', newline=True)}"
    rf"|{_regex_literal('(,=:[!&|?{};')}",
    r">>>=|===|!==|\*\*=|\.\.\.|<<=|>>=|>>>|\?\?=|&&=|\|\|=|=>|==|!=|<=|>=|&&|\|\|"
    r"|\?\?|\?\.|\+\+|--|[-+*/%&|^]=|\*\*|<<|>>|\S",
)
# Ruby keeps a named group per kind: its heredocs and `%q(...)` literals start as its `<<` and `%`
# operators do, so telling a token's kind from its text would repeat part of the lexer.
_RUBY = re.compile(
    rf"\s*+(?:(?:#[^\n]*+|{_RUBY_BLOCK_COMMENT}|\\\n|;|{_TRAILING_COMMA})\s*+)*+"
    r"(?:(?P<i>@{0,2}[^\W\d]\w*+(?:[?!](?![=~]))?|\$(?:[^\W\d]\w*+|\d+|[^\w\s]))"
    rf"|(?P<s>{_HEREDOC}"
    rf"|{_quoted(chr(34), newline=True)}|{_quoted(chr(39), newline=True)}"
    rf"|{_quoted('`', newline=True)}"
    r"|%[qQwWiIxrs](?:\((?:[^()\\]|\\[\s\S])*+(?:\)|\Z)|\[(?:[^\[\]\\]|\\[\s\S])*+(?:\]|\Z)"
    r"|\{(?:[^{}\\]|\\[\s\S])*+(?:\}|\Z)|<(?:[^<>\\]|\\[\s\S])*+(?:>|\Z)"
    r"|(?P<pd>[^\w\s(\[{<])(?:(?!(?P=pd))[^\\]|\\[\s\S])*+(?:(?P=pd)|\Z))"
    rf"|{_regex_literal('(,=~!|&{};')})"
    rf"|(?P<n>{_NUMBER})"
    r"|(?P<o><=>|===|\*\*=|<<=|>>=|\|\|=|&&=|\.\.\.|==|!=|=~|!~|<=|>=|&&|\|\||<<|>>|\*\*|::"
    r"|\.\.|->|=>|[-+*/%&|^]=|\S)"
    r"|\Z)",
    re.MULTILINE,
)

# Names kept as themselves: keywords, and built-ins, modules and API members that reveal what
# code does and that an author cannot rename (os.system must be called `system`). Words that are
# also common variable names (data, key, path, user...) are left out: they would make a renamed
# copy look different.
_COMMON_KEEP = """
    base64 b64decode b64encode decode encode decompress compress loads dumps hex fromhex
    eval exec system popen spawn fork env environ getenv socket connect send recv request get post
    put urlopen open read write close chmod unlink remove rename copy exists join homedir
    hostname platform getuser tmpdir http https dns zlib gzip inflate crypto md5 sha1 sha256
    encrypt decrypt
""".split()  # noqa: SIM905
_KEEP: dict[str, frozenset[str]] = {
    CodeLanguage.PYTHON: frozenset(keyword.kwlist)
    | frozenset(keyword.softkwlist)
    | frozenset(_COMMON_KEEP)
    | frozenset(
        """
        print compile __import__ getattr setattr globals locals vars chr ord bytes bytearray str
        int len range map zip filter lambda sorted reversed list dict set tuple type object
        isinstance super input self cls __name__ __file__ __builtins__ builtins
        os sys subprocess shutil pathlib tempfile ctypes winreg _winreg importlib marshal pickle
        codecs binascii json urllib urllib2 urllib3 requests httpx aiohttp smtplib ftplib telnetlib
        getpass pty uuid threading multiprocessing time random string struct setuptools distutils
        setup install cmdclass run Popen call check_call check_output getoutput PIPE shell
        expanduser expandvars makedirs listdir walk getcwd chdir urlretrieve Request urlencode
        create_connection gethostname gethostbyname b32decode a85decode unhexlify a2b_base64
        b2a_base64 import_module rot13 rot_13 Path write_text write_bytes read_text read_bytes
        """.split()  # noqa: SIM905
    ),
    CodeLanguage.JAVASCRIPT: frozenset(
        """
        break case catch class const continue debugger default delete do else export extends
        false finally for function if import in instanceof let new null return super switch this
        throw true try typeof undefined var void while with yield async await of static from as
        require module exports process Buffer global globalThis window document navigator
        console JSON Function Object Array String Number Math Date RegExp Promise Symbol Reflect
        Proxy Error setTimeout setInterval atob btoa fetch XMLHttpRequest WebSocket
        child_process execSync spawnSync execFile execFileSync fs readFile readFileSync writeFile
        writeFileSync appendFile appendFileSync existsSync readdirSync mkdirSync unlinkSync
        copyFile copyFileSync createWriteStream createReadStream os userInfo networkInterfaces
        net dgram tls vm runInNewContext runInThisContext runInContext Script axios argv exit
        fromCharCode charCodeAt toString parse stringify split reverse replace slice substr
        substring concat decodeURIComponent encodeURIComponent unescape escape utf8
        createHash createCipheriv createDecipheriv digest pipe then lookup resolve resolveTxt
        createSocket inflateSync gunzipSync unzipSync localStorage eval apply bind call
        prototype constructor length
        """.split()  # noqa: SIM905
    )
    | frozenset(_COMMON_KEEP),
    CodeLanguage.RUBY: frozenset(
        """
        BEGIN END alias and begin break case class def defined? do else elsif end ensure false
        for if in module next nil not or redo rescue retry return self super then true undef
        unless until when while yield __FILE__ __LINE__ __method__
        require require_relative load gem puts print p exec system spawn fork eval instance_eval
        class_eval module_eval instance_exec send __send__ public_send define_method
        method_missing binding Kernel Process IO Open3 PTY popen popen3 capture2 capture2e
        capture3 File FileUtils Dir ENV Net HTTP HTTPS URI open get post request start new
        TCPSocket UDPSocket Socket RestClient Faraday HTTParty Base64 decode64 encode64
        strict_decode64 urlsafe_decode64 pack unpack unpack1 Zlib Inflate Deflate inflate
        GzipReader Marshal YAML JSON Gem Specification extensions read write chmod home
        expand_path exist? exists? mkdir_p cp mv rm_rf ARGV STDIN STDOUT
        """.split()  # noqa: SIM905
    )
    | frozenset(_COMMON_KEEP),
}
_LEXERS: dict[str, _Lexer] = {
    CodeLanguage.PYTHON: _PYTHON,
    CodeLanguage.JAVASCRIPT: _JAVASCRIPT,
}
_QUOTES = frozenset("'\"")
_JAVASCRIPT_QUOTES = frozenset("'\"`")


def normalised_tokens(text: str, language: str) -> list[str]:
    """Tokens with identifiers → 'I' (unless kept), strings and regex literals → 'S', numbers →
    'N'; keywords, kept names and operators as written. Any text lexes; an unknown language is
    lexed like JavaScript (a C-like default) with keywords of no language kept."""
    keep = _KEEP.get(language, frozenset())
    if language == CodeLanguage.RUBY:
        tokens = [
            (i if i in keep else "I") if i else "S" if s else "N" if n else o
            for i, s, _hq, _hid, _pd, n, o in _RUBY.findall(text)
        ]
    else:
        lexer = _LEXERS.get(language, _JAVASCRIPT)
        if text.endswith("\\"):
            tokens = [
                (i if i in keep else "I") if i else "S" if s else "N" if n else o
                for i, s, n, o in lexer.grouped.findall(text)
            ]
        else:
            tokens = _classified(lexer.fast.findall(text), keep, lexer is _JAVASCRIPT)
    while tokens and not tokens[-1]:
        tokens.pop()  # the empty matches at the end of the text
    return tokens


def _classified(found: list[str], keep: frozenset[str], javascript: bool) -> list[str]:
    """The fast lexer's tokens, each as it stands in the stream. A file repeats its names and
    operators: each distinct token is classified once."""
    kinds = {"": ""}
    known = kinds.get

    def classify(token: str) -> str:
        kind = kinds[token] = _kind(token, keep, javascript)
        return kind

    return [known(token) or classify(token) for token in found]


def _kind(token: str, keep: frozenset[str], javascript: bool) -> str:
    """What a token of the fast Python or JavaScript lexer stands for, from its text. Only a
    string starts with a quote (JavaScript's backtick among them) or holds one (Python's
    `rb'...'`); a number starts with a digit or with a dot and a digit; a name with a word
    character (or JavaScript's `$`); a JavaScript regex literal with `/` and is longer than the
    `/=` operator; everything else is an operator."""
    first = token[:1]
    if not first or first in (_JAVASCRIPT_QUOTES if javascript else _QUOTES):
        return "S" if first else token
    if first.isdecimal() or (first == "." and token[1:2] not in ("", ".")):
        return "N"
    if first == "_" or first.isalnum() or (javascript and first == "$"):
        if "'" in token or '"' in token:
            return "S"
        return token if token in keep else "I"
    if javascript and first == "/" and len(token) > 2:
        return "S"
    return token
