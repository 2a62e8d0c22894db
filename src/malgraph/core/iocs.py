"""Indicators of compromise (URLs, webhooks, domains, IPs, hashes, wallets) from report text and
from OSV's `database_specific.iocs`, refanged and normalised so that each one is one graph node."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import urlsplit

from malgraph.core.kinds import IocKind


@dataclass(frozen=True, slots=True)
class Ioc:
    kind: IocKind
    value: str  # normalised: the node's key
    as_written: str  # exactly as found, so a reader can find it again (possibly defanged)


_DEFANG = re.compile(
    r"\[\.\]|\(\.\)|\{\.\}|[\[({]dot[\])}]|\[:\]|\[://\]|\[@\]|\[at\]"
    r"|\bh(?:xx|\*\*)p(?=s?(?:\[:\]|\[://\]|:))",
    re.IGNORECASE,
)
# Quotes end a URL, and so does a control character (no URL has one; a terminal obeys it).
_URL_CHARS = r"[^\s<>\"'`|\[\]\\\x00-\x1f\x7f-\x9f\u2018\u2019\u201c\u201d\u00ab\u00bb]"
_URL = re.compile(rf"(?<![a-zA-Z0-9])(?i:https?|ftps?|wss?)://(?:\[[0-9a-fA-F:.]+\])?{_URL_CHARS}+")
_HOST = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]+)")
# The lookarounds keep out pieces of paths, longer dotted names and calls like `logger.info(`.
_DOMAIN = re.compile(
    r"(?<![\w./\\-])((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,24})"
    rf"(?![\w(-]|\.[\w-])(/{_URL_CHARS}*)?"
)
_IPV4 = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?!\w|\.[0-9])")
_IPV6 = re.compile(
    r"(?<![\w:.])(?=[0-9a-fA-F:]*[0-9])[0-9a-fA-F]*(?::[0-9a-fA-F]*){2,7}(?![\w:]|\.[0-9a-fA-F])"
)
_HASH = re.compile(r"(?<!\w)(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{40}|[0-9a-fA-F]{32})(?!\w)")
_HASH_KINDS = {32: IocKind.MD5, 40: IocKind.SHA1, 64: IocKind.SHA256}
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# 0x+64 hex (a transaction hash) fails the 40-hex branch at its lookahead and is dropped.
_WALLET = re.compile(
    r"(?<!\w)(?:0x[0-9a-fA-F]{40}|bc1[02-9ac-hj-np-z]{36,56}|BC1[02-9AC-HJ-NP-Z]{36,56}"
    rf"|[13T][{_B58}]{{25,34}}|4[0-9AB][{_B58}]{{93}})(?!\w)"
)
_BASE58_VERSIONS = {"1": 0x00, "3": 0x05, "T": 0x41}  # Bitcoin P2PKH, Bitcoin P2SH, Tron
_WEBHOOK = re.compile(
    r"(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api/(?:v[0-9]+/)?webhooks/"
    r"|hooks\.slack\.com/services/|api\.telegram\.org/bot[^/]+"
)
_NOT_IOCS = frozenset({"0.0.0.0", "127.0.0.1", "::1", "::"})
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# Without a defang marker only these TLDs make a bare name a domain: in prose and code snippets
# most dotted words (os.path, self.name, np.int) are not hosts.
TLDS = frozenset(
    """com net org edu gov mil info biz io co ai app dev xyz top me site online tk ml ga cf gq pw
    cc su ws club shop tech pro click space website fun icu buzz cloud world today life vip win
    bid loan news blog xin ltd lol mobi asia tv fm to gg ly la ru cn in us uk de fr nl eu jp kr
    br au ca ch se no fi dk it es pt be at cz sk hu ro bg gr tr ua by kz uz az ge il ir ae sa qa
    eg ma za ng ke gh mx ar cl pe ve uy ec bo nz sg hk tw vn th my ph pk bd lk np mn kg ie is lu
    lv lt ee hr si ba mk al li im je cy mt tn dz jo lb kw om""".split()  # noqa: SIM905
)
_FILE_EXTS = frozenset(
    """py pyc pyd pyi pyw whl egg js mjs cjs jsx ts tsx json map md rst txt log csv xml yml yaml
    toml ini cfg conf lock env sh bash zsh ps1 bat cmd vbs exe dll dylib bin dat tmp jar class apk
    dmg msi pkg deb rpm gz tgz bz2 xz tar rar html htm css scss php rb go java kt cpp hpp cs swift
    lua wasm node vue png jpg jpeg gif svg ico pdf doc docx xls xlsx lnk""".split()  # noqa: SIM905
)
_FILE_NAMES = frozenset({"manifest.in", "requirements.in"})  # .in is also India's TLD
_VERSION = re.compile(r"v?[0-9]+(?:\.[0-9]+)+\.[a-z]+")  # 1.0.0.dev, v2.3.4.post
_DOMAIN_KEYS = frozenset({"domains", "hosts", "hostnames"})


ALL_KINDS = frozenset(IocKind)
NETWORK_KINDS = frozenset({IocKind.URL, IocKind.WEBHOOK, IocKind.DOMAIN, IocKind.IP})


def iocs_in_text(text: str, kinds: frozenset[IocKind] = ALL_KINDS) -> list[Ioc]:
    """Every IoC of these kinds in free text, deduplicated by (kind, value), in order of first
    appearance. Hashes and wallets are looked for only when asked for: the other kinds do not
    depend on them (code asks for NETWORK_KINDS alone)."""
    flat, src = _refang(text)
    found: list[tuple[int, Ioc]] = []

    def add(start: int, end: int, kind: IocKind, value: str) -> None:
        found.append((start, Ioc(kind, value, text[src[start] : src[end]])))

    pieces, last = [], 0
    for m in _URL.finditer(flat):
        url = _trim(m[0])
        if (normal := _url(url)) is not None:
            add(m.start(), m.start() + len(url), *normal)
        pieces += [flat[last : m.start()], " " * len(url)]
        last = m.start() + len(url)
    # Hosts, IPs and hex ids inside a URL belong to it: blanking them out avoids double counting.
    # Wallets are still looked for in URLs, as explorer links are how reports cite them.
    masked = "".join([*pieces, flat[last:]])
    for m in _DOMAIN.finditer(masked):
        name, path = m[1].lower(), _trim(m[2] or "")
        if _WEBHOOK.match(name + path):  # webhooks are https-only services
            add(m.start(), m.start(2) + len(path), IocKind.WEBHOOK, f"https://{name}{path}")
        elif _domain_ok(name, defanged=text[src[m.start()] : src[m.end(1)]] != m[1]):
            add(m.start(), m.end(1), IocKind.DOMAIN, name)
    for m in (*_IPV4.finditer(masked), *_IPV6.finditer(masked)):
        if _ip_ok(m[0]):
            add(m.start(), m.end(), IocKind.IP, m[0])
    if not kinds.isdisjoint(_HASH_KINDS.values()):
        for m in _HASH.finditer(masked):
            # An all-digit run is a number and an all-letter run a word far more often than a
            # hash.
            if re.search("[0-9]", m[0]) and re.search("[a-fA-F]", m[0]):
                add(m.start(), m.end(), _HASH_KINDS[len(m[0])], m[0].lower())
    if IocKind.WALLET in kinds:
        for m in _WALLET.finditer(flat):
            version = _BASE58_VERSIONS.get(m[0][0])
            if version is None or _base58check(m[0], version):
                add(m.start(), m.end(), IocKind.WALLET, m[0])
    hosts = {
        urlsplit(ioc.value).hostname
        for _, ioc in found
        if ioc.kind in (IocKind.URL, IocKind.WEBHOOK)
    }
    ordered = sorted(found, key=lambda pair: pair[0])
    # A domain that is also a URL's host is already in the graph through the URL.
    return _unique(
        i
        for _, i in ordered
        if i.kind in kinds and (i.kind != IocKind.DOMAIN or i.value not in hosts)
    )


def iocs_from_osv(field: object) -> list[Ioc]:
    """The IoCs of OSV's `database_specific.iocs`: lists of strings under keys such as "urls"."""
    found: list[Ioc] = []
    if isinstance(field, dict):
        for key, values in field.items():
            if isinstance(values, list):
                for value in values:
                    if isinstance(value, str):
                        found += _classify(value.strip(), str(key).lower())
    return _unique(found)


@lru_cache(maxsize=65536)  # a campaign's packages list the same few hosts, again and again
def _classify(value: str, key: str) -> tuple[Ioc, ...]:
    """What one listed value is; the key only vouches for schemeless URLs and unusual TLDs."""
    found = iocs_in_text(value)
    if whole := tuple(ioc for ioc in found if ioc.as_written == value):
        return whole
    flat = _refang(value)[0]
    if key == "urls" and "://" not in flat:
        as_url = iocs_in_text("http://" + value)
        if as_url and as_url[0].kind == IocKind.URL:
            return (replace(as_url[0], as_written=value),)
    if key in _DOMAIN_KEYS and (m := _DOMAIN.fullmatch(flat)) and not m[2]:
        return (Ioc(IocKind.DOMAIN, m[1].lower(), value),)
    return tuple(found)  # e.g. "5.6.7.8:443" or "sha256:<hex>": the IoCs inside


def _refang(text: str) -> tuple[str, Sequence[int]]:
    """The refanged text and, for each of its positions and its end, the position in `text`
    (a range when nothing was refanged: a long line of code holds no marker, and a list of
    its positions would cost more than the search)."""
    if not _may_be_defanged(text):
        return text, range(len(text) + 1)
    out: list[str] = []
    src: list[int] = []
    last = 0
    for m in _DEFANG.finditer(text):
        marker = m[0].lower()
        inner = marker.strip("[](){}")
        plain = "http" if marker[0] == "h" else {"dot": ".", "at": "@"}.get(inner, inner)
        out += [text[last : m.start()], plain]
        src += [*range(last, m.start()), *[m.start()] * len(plain)]
        last = m.end()
    out.append(text[last:])
    src += range(last, len(text) + 1)
    return "".join(out), src


# A piece of every marker _DEFANG matches, lower-cased. None of the letters in them has another
# case form than its ASCII capital, so a lower-cased text holds one whenever it holds a marker.
_DEFANG_PIECES = (
    "[.]",
    "(.)",
    "{.}",
    "dot]",
    "dot)",
    "dot}",
    "[:]",
    "[://]",
    "[@]",
    "[at]",
    "xxp",
    "**p",
)


def _may_be_defanged(text: str) -> bool:
    """False when `text` holds no defang marker: a few substring searches, where _DEFANG's
    case-insensitive alternation tries every position."""
    low = text.lower()
    return any(piece in low for piece in _DEFANG_PIECES)


def _trim(url: str) -> str:
    """Without the punctuation that ends the sentence or wraps the link rather than the URL."""
    while url and (
        url[-1] in ".,;:!?'\">*"
        or (url[-1] in _CLOSERS and url.count(url[-1]) > url.count(_CLOSERS[url[-1]]))
    ):
        url = url[:-1]
    return url


def _url(url: str) -> tuple[IocKind, str] | None:
    """(kind, normalised URL), or None when the URL has no plausible internet host."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not (_HOST.fullmatch(host) or _ip_ok(host)):
        return None
    userinfo, at, hostport = parts.netloc.rpartition("@")
    cut = hostport.find("]") + 1 if hostport.startswith("[") else len(hostport.split(":")[0])
    netloc = userinfo + at + hostport[:cut].lower().rstrip(".") + hostport[cut:]
    rest = url[url.index("//") + 2 + len(parts.netloc) :]
    kind = IocKind.WEBHOOK if _WEBHOOK.match(host + parts.path) else IocKind.URL
    return kind, f"{parts.scheme.lower()}://{netloc}{rest}"


def _domain_ok(name: str, *, defanged: bool) -> bool:
    tld = name.rsplit(".", 1)[-1]
    if tld in _FILE_EXTS or name in _FILE_NAMES or _VERSION.fullmatch(name):
        return False  # a file name, or a version such as 1.0.0.dev
    return defanged or tld in TLDS


def _ip_ok(text: str) -> bool:
    try:
        return str(ipaddress.ip_address(text)) not in _NOT_IOCS
    except ValueError:
        return False


def _base58check(word: str, version: int) -> bool:
    """Whether `word` is a Base58Check address with this version byte (checksum included)."""
    number = 0
    for char in word:
        number = number * 58 + _B58.index(char)
    if number >= 1 << 200:
        return False
    raw = number.to_bytes(25, "big")
    checksum = hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4]
    return raw[0] == version and raw[21:] == checksum


def _unique(iocs: Iterable[Ioc]) -> list[Ioc]:
    first: dict[tuple[str, str], Ioc] = {}
    for ioc in iocs:
        first.setdefault((ioc.kind, ioc.value), ioc)
    return list(first.values())
