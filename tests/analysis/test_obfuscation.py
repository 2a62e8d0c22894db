"""Obfuscation signs on files written here: plain code, a minified file, encoded blobs."""

from __future__ import annotations

import base64
import hashlib
import zlib

from malgraph.analysis.obfuscation import HIGH_ENTROPY, ascii_entropy, obfuscation_signs

PLAIN = "".join(
    f"def function_{i}(value, other):\n"
    f"    # add the two values and keep the result {i}\n"
    f"    result = value + other * {i}\n"
    f"    return result\n\n"
    for i in range(60)
)


def random_bytes(n: int) -> bytes:
    """Deterministic bytes that look random (the tests must not depend on luck)."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:n]


def signs(text: str, path: str = "pkg/x.js") -> dict[str, list[tuple[int | None, float, str]]]:
    found: dict[str, list[tuple[int | None, float, str]]] = {}
    for sign in obfuscation_signs(path, text):
        assert sign.file == path
        found.setdefault(sign.sign, []).append((sign.line, sign.value, sign.detail))
    return found


def test_plain_code_has_no_sign() -> None:
    assert len(PLAIN) > 4096
    assert obfuscation_signs("plain.py", PLAIN) == []
    entropy = ascii_entropy(PLAIN.encode())
    assert entropy is not None and 3.5 < entropy < HIGH_ENTROPY


def test_a_base64_payload_file_is_high_entropy_with_a_long_encoded_string() -> None:
    blob = base64.b64encode(random_bytes(3000)).decode()
    text = f"import base64\nexec(base64.b64decode('{blob}'))\n"
    found = signs(text, "payload.py")
    ((line, value, detail),) = found["high-entropy"]
    assert line is None and value > HIGH_ENTROPY and "bits per byte" in detail
    ((line, value, detail),) = found["long-encoded-string"]
    digest = hashlib.sha256(blob.encode()).hexdigest()
    assert (line, value) == (2, 4000.0)
    assert detail == f"base64, 4,000 characters, decodes to binary data, sha256 {digest}"
    assert found["minified"][0][0] == 2  # one 4 KB line


def test_hex_runs_escapes_and_urlsafe_base64_are_found_on_their_lines() -> None:
    hex_blob = random_bytes(150).hex()  # 300 characters
    escapes = "".join(f"\\x{b:02x}" for b in random_bytes(60))  # 240 characters
    urlsafe = base64.urlsafe_b64encode(random_bytes(300)).decode().rstrip("=")
    text = PLAIN + f'a = "{hex_blob}";\nb = "{escapes}";\n\nc = "{urlsafe}";\n'
    first = PLAIN.count("\n") + 1
    found = signs(text)
    assert [
        (line, detail.split(", sha256 ")[0]) for line, _, detail in found["long-encoded-string"]
    ] == [
        (first, "hex, 300 characters, decodes to binary data"),
        (first + 1, "hex escapes, 240 characters, decodes to binary data"),
        (first + 3, f"base64url, {len(urlsafe)} characters, decodes to binary data"),
    ]
    assert "high-entropy" not in found


def test_long_words_and_short_blobs_are_not_encoded_strings() -> None:
    word = "a" * 300  # right alphabet, no digits or mixed case: not data
    identifier = "x_" * 150
    short = base64.b64encode(random_bytes(120)).decode()  # 160 characters
    bad_length = base64.b64encode(random_bytes(300)).decode().rstrip("=") + "A"  # 4n+1
    text = f'w = "{word}"\ni = "{identifier}"\ns = "{short}"\nb = "{bad_length}"\n'
    assert "long-encoded-string" not in signs(text)


def test_minified_by_one_long_line_or_by_mean_line_length() -> None:
    one_line = "var a=1;" * 200  # 1,600 characters on one line
    ((line, value, _),) = signs(PLAIN + one_line + "\n")["minified"]
    assert (line, value) == (PLAIN.count("\n") + 1, 1600.0)
    # No line reaches 1,000 characters, but the mean is over 250 on a file over 2 KiB.
    medium = "\n".join("x=" + "1+" * 200 + "1;" for _ in range(8))
    ((line, value, detail),) = signs(medium)["minified"]
    assert value == 404.0 and "mean 4" in detail
    assert "minified" not in signs(PLAIN)


def test_encoded_signs_are_capped_per_file() -> None:
    blob = base64.b64encode(random_bytes(300)).decode()
    text = "".join(f'v{i} = "{blob}"\n' for i in range(25))
    encoded = signs(text)["long-encoded-string"]
    assert len(encoded) == 10
    assert encoded[-1][2].endswith("more not listed")


def test_small_files_and_non_ascii_text_are_not_high_entropy() -> None:
    assert ascii_entropy(b"x" * 1000) is None  # under 1 KiB
    cjk = "# " + "".join(chr(0x4E00 + i % 2000) for i in range(3000)) + "\nx = 1\n"
    assert "high-entropy" not in signs(cjk)


def test_an_encoded_payload_is_named_by_what_its_head_decodes_to_never_by_running_it() -> None:
    script = b"import os\nos.system('echo inert')\n" * 10
    packed = zlib.compress(random_bytes(400))
    cases = {
        base64.b64encode(script).decode(): "decodes to python text",
        base64.b64encode(
            b"const fs = require('fs');\n" * 12
        ).decode(): "decodes to javascript text",
        base64.b64encode(packed).decode(): "decodes to zlib data",
        (b"\x7fELF" + random_bytes(200)).hex(): "decodes to ELF executable",
        base64.b64encode(b"MZ\x90\x00" + random_bytes(300)).decode(): "decodes to PE executable",
    }
    for run, expected in cases.items():
        ((_, value, detail),) = signs(f'x = "{run}"\n')["long-encoded-string"]
        assert value == len(run)
        assert expected in detail and hashlib.sha256(run.encode()).hexdigest() in detail
