"""The one-pass hint search finds what the separate regex passes it replaced found: the same
trigger words, fragments, IoC hint lines and encoded runs, overlapping or on long lines."""

from __future__ import annotations

import base64
import hashlib
import random
import re

import pytest

from malgraph.analysis import javascript_code, obfuscation, python_code, ruby_code
from malgraph.analysis.analyze import analyze_members
from malgraph.analysis.hints import (
    DOT_HINT,
    LONG_LINE,
    STRING_FRAGMENTS,
    WORD_HINTS,
    Hints,
    HintScanner,
    code_iocs,
    hit_lines,
)
from malgraph.analysis.languages import find_hints
from malgraph.analysis.scanning import (
    credential_stores,
    names_a_fragment,
    startup_location,
    words_pattern,
)
from malgraph.artifacts.archives import Member
from malgraph.core.iocs import NETWORK_KINDS, iocs_in_text
from malgraph.core.kinds import ObfuscationKind

# The passes as the scanners ran them before, one regex a kind of hint.
_PY_TRIGGER = re.compile(rf"\b{words_pattern(python_code._WORDS)}\b")
_JS_WORDS = re.compile(
    rb"(?<![\w$])"
    + words_pattern([*javascript_code._GLOBAL_WORDS, "export"]).encode()
    + rb"(?![\w$])"
)
_RUBY_TRIGGER = re.compile(rb"\b" + words_pattern(ruby_code._WORDS).encode() + rb"\b|`|%x")
_FRAGMENTS = re.compile(words_pattern(STRING_FRAGMENTS))
_FRAGMENTS_BYTES = re.compile(words_pattern(STRING_FRAGMENTS).encode())
_IOC_HINTS = (re.compile(DOT_HINT), re.compile("|".join(WORD_HINTS)))

_PAYLOAD = base64.b64encode(hashlib.sha512(b"inert").digest() * 40).decode()
_LONG = "x = 1; " * 800
TEXTS = [
    "import os\nos.system('id')\nexecfile('a')\nexec(b)\n",
    "sp = __import__('subprocess')\nsp.Popen(['curl', 'https://evil.example.com/a'])\n",
    "open('~/.ssh/id_rsa').read()  # .SSH/ID_RSA, Local State, Login Data, keychain\n",
    "url = 'hxxps://bad[.]example[.]com/x'  # and discord, hooks.slack, telegram\n",
    "ip = '10.1.2.3'; host = 'exfil.top'; v6 = '[::1]'\n",
    f"{_LONG}import socket{_LONG}'discord.com/api/webhooks/1/x'{_LONG}\n",
    f"blob = '{_PAYLOAD}'\nexec(base64.b64decode(blob))\n",
    "éos = 1\nos—x = 2\nxos os_ _os ös oś\nimport\u00a0os\n",
    "import os\r\nos.system('a')\rprint(1)\n",
    "discordwallet.bashrc.profile/etc/passwd/etc/shadow crontab cookies\n",
    "",
]


def _old_python_lines(text: str) -> set[int]:
    lines = set()
    for pattern, subject in ((_PY_TRIGGER, text), (_FRAGMENTS, text.lower())):
        for m in pattern.finditer(subject):
            lines.add(subject.count("\n", 0, m.start()) + 1)
    return lines


def _old_ioc_lines(text: str) -> set[int]:
    return {text.count("\n", 0, m.start()) + 1 for p in _IOC_HINTS for m in p.finditer(text)}


def _lines(hints: Hints, offsets: list[int]) -> set[int]:
    return hit_lines(hints.data, sorted(offsets))


@pytest.mark.parametrize("text", TEXTS)
def test_python_hints_match_the_old_passes(text: str) -> None:
    hints = find_hints(text, "python")
    words = _lines(hints, [w[0] for w in hints.words] + [f[0] for f in hints.fragments])
    assert words == _old_python_lines(text)
    assert _lines(hints, list(hints.ioc_hints)) == _old_ioc_lines(text)
    old_run = text.encode().translate(obfuscation._RUN_MAP).find(obfuscation._RUN) >= 0
    assert hints.encoded_run == old_run


@pytest.mark.parametrize(
    "text",
    [
        *TEXTS,
        "const cp = require('child_process'); $eval(x); eval$(y); _eval(z); eval(w)\n",
        "import x from 'y'; export * from 'z'; a.Function('b'); setTimeout(fetch, 1)\n",
        f"var s = '{_PAYLOAD}'; process.env; Buffer.from(s, 'base64'); atob('{_LONG}')\n",
    ],
)
def test_javascript_hints_match_the_old_passes(text: str) -> None:
    hints = find_hints(text, "javascript")
    source = text.encode()
    assert list(hints.words) == [
        (m.start(), m.end(), m.group()) for m in _JS_WORDS.finditer(source)
    ]
    assert list(hints.fragments) == [m.span() for m in _FRAGMENTS_BYTES.finditer(source.lower())]
    assert _lines(hints, list(hints.ioc_hints)) == _old_ioc_lines(text)


@pytest.mark.parametrize(
    "text",
    [
        *TEXTS,
        "require 'open3'\nOpen3.popen3('id')\n`whoami`; %x(ls)\ndownload(x); unpack1 unpack('m')\n",
        "s = [x].pack('m0').unpack1('m'); instance_eval(a); Base64.decode64(b) # ~/.SSH\n",
    ],
)
def test_ruby_hints_match_the_old_passes(text: str) -> None:
    hints = find_hints(text, "ruby")
    source = text.encode()
    assert [(s, e) for s, e, _w in hints.words] == [
        m.span() for m in _RUBY_TRIGGER.finditer(source)
    ]
    assert list(hints.fragments) == [m.span() for m in _FRAGMENTS_BYTES.finditer(source.lower())]


_SHARED_PREFIX = ["os", "os.system", "require", "require.main", "exec", "execfile"]
_BOUNDARIES = {
    "python": (rb"\b", rb"\b"),
    "ascii": (rb"\b", rb"\b"),
    "javascript": (rb"(?<![\w$])", rb"(?![\w$])"),
}


@pytest.mark.parametrize("boundary", sorted(_BOUNDARIES))
def test_of_two_trigger_words_at_one_place_the_longest_standing_is_kept(boundary: str) -> None:
    text = "os.system(a); os.systemd; require.main.x; require.mainly; execfile(b); exec(c)\n"
    before, after = _BOUNDARIES[boundary]
    # As the old one-regex-a-kind passes found them: the alternation tries the longer word first
    # and falls back to the shorter one when the longer does not stand on its own.
    old = re.compile(before + words_pattern(_SHARED_PREFIX).encode() + after)
    hints = HintScanner(_SHARED_PREFIX, boundary).scan(text)
    assert [w for _s, _e, w in hints.words] == [m.group() for m in old.finditer(text.encode())]
    assert [w for _s, _e, w in hints.words][:4] == [
        b"os.system",
        b"os",
        b"require.main",
        b"require",
    ]


def test_overlapping_hints_are_each_found() -> None:
    text = "x = 'https://discord.com/api/webhooks/1/a'  # ~/.ssh\n"
    hints = find_hints(text, "python")
    assert [text[s:e] for s, e in hints.fragments] == ["discord", ".ssh"]
    assert len(hints.ioc_hints) >= 2  # '://', 'discord' and '.com' all hint at one line
    assert hit_lines(hints.data, hints.ioc_hints) == {1}


def test_a_base64_payload_is_one_sign_and_its_file_still_scanned() -> None:
    setup = f"import base64\nblob = '{_PAYLOAD}'\nexec(base64.b64decode(blob))\n".encode()
    features = analyze_members([Member("p/setup.py", setup)])
    encoded = [s for s in features.obfuscation if s.sign == ObfuscationKind.LONG_ENCODED_STRING]
    assert [(s.line, s.value) for s in encoded] == [(2, float(len(_PAYLOAD)))]
    assert {(f.api, f.line) for f in features.findings} >= {("base64.b64decode", 3), ("exec", 3)}


def test_hints_inside_an_encoded_run_do_not_send_its_line_to_the_ioc_search() -> None:
    run = _PAYLOAD[:300] + "hxxp" + _PAYLOAD[:300]  # a defang hint by chance, inside the run
    only_run = find_hints(f"blob = '{run}'\n", "python")
    assert only_run.ioc_hints and only_run.encoded_runs == ((8, 8 + len(run)),)
    assert code_iocs("setup.py", only_run) == []
    # An IoC on the run's line has a hint of its own outside the run: it is still found.
    text = f"blob = '{run}'; exfil = 'https://evil.example.com/drop'\n"
    found = code_iocs("setup.py", find_hints(text, "python"))
    assert [(i.value, i.line) for i in found] == [("https://evil.example.com/drop", 1)]


@pytest.mark.parametrize("name", ["evil.com", "203.0.113.9"])
def test_a_name_right_before_an_encoded_run_is_still_an_ioc(name: str) -> None:
    # The name's hint ends inside the run that goes on after it ("evil.com/AAAA..."); the
    # separate IoC pass found the name there, and so must the one pass.
    for tail in ("A" * 100, "A" * 250):
        found = code_iocs("a.py", find_hints(f'x = "{name}/{tail}"\n', "python"))
        assert [i.value for i in found] == [name], tail[:1] + str(len(tail))


def test_a_long_line_is_searched_in_its_marked_stretches_with_the_whole_lines_answer() -> None:
    # IoCs that no hint names (an IPv6 address, a `{.}` or `(DOT)` defang, a TLD in capitals)
    # far from the hint that sent the line to the search; a URL's host written again far away.
    filler = 'f(a.b, "x") + y.z;' * (LONG_LINE // 8)
    parts = [
        "u = 'https://evil.com/a';",
        "v = '2001:db8::7';",
        "w = 'drop{.}zz';",
        "x = 'relay(DOT)qq';",
        "y = 'C2.EXAMPLE.NET';",
        "z = 'evil.com';",
    ]
    line = filler.join(parts)
    assert len(line) > 4 * LONG_LINE
    hints = find_hints(line + "\n", "javascript")
    expected = [
        ("url", "https://evil.com/a"),
        ("ip", "2001:db8::7"),
        ("domain", "drop.zz"),
        ("domain", "relay.qq"),
        ("domain", "c2.example.net"),
    ]
    assert [(i.kind, i.value) for i in code_iocs("b.js", hints)] == expected
    # The same IoCs as a search of the whole line.
    assert [(i.kind, i.value) for i in iocs_in_text(line, NETWORK_KINDS)] == expected


def _fragment_texts() -> list[str]:
    """Long strings with and without a fragment, in mixed case, at the edges and inside a
    payload; some not ASCII (a fragment spelt with the Kelvin sign or a dotted capital I, which
    lower() turns into ASCII letters)."""
    rng = random.Random(7)
    payload = base64.b64encode(rng.randbytes(3000)).decode()
    texts = [payload, payload.lower(), "x" * 300, "é" * 300]
    for fragment in STRING_FRAGMENTS:
        spelt = "".join(c.upper() if rng.random() < 0.5 else c for c in fragment)
        at = rng.randrange(len(payload))
        texts += [payload[:at] + spelt + payload[at:], spelt + payload, payload + spelt]
        texts.append(payload[:at] + spelt[:-1] + "|" + spelt[-1:] + payload[at:])  # cut in two
    texts += [payload + "\u212aeychain", payload + "LOCAL STORAGE", "\u0130d_rsa" + payload]
    return texts


def test_a_long_string_holds_a_fragment_as_the_lower_cased_search_says() -> None:
    texts = _fragment_texts()
    answers = [names_a_fragment(text) for text in texts]
    assert answers == [_FRAGMENTS.search(text.lower()) is not None for text in texts]
    assert answers.count(True) > len(STRING_FRAGMENTS) * 3  # each fragment, found where put
    assert names_a_fragment("\u212a" * 300 + "eychain")  # not ASCII: lower() makes 'keychain'


def test_a_long_payload_names_a_store_only_where_a_fragment_is() -> None:
    payload = "QUJD" * 2000
    assert credential_stores(payload) == []
    assert credential_stores(payload + " ~/.ssh/id_rsa") == [".ssh/", "id_rsa"]
    assert startup_location(payload + " ~/.bashrc") == ".bashrc"
    assert startup_location(payload) is None
