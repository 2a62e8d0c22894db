"""URL normalisation, so that one report cited by many sources is one report node."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

# Query parameters that only track the reader; they never change which page it is.
_TRACKING = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref_src"})


@lru_cache(maxsize=65536)  # one report is often cited by thousands of records
def url_key(url: str) -> tuple[str, str] | None:
    """(key, site) for an http(s) URL, or None when it is not one.

    The key drops scheme, 'www.', default ports, fragments, tracking parameters and a trailing
    slash; the path keeps its case because servers treat it as case-sensitive.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    site = host.removeprefix("www.")
    netloc = site if port in (None, 80, 443) else f"{site}:{port}"
    path = "/".join(seg for seg in parts.path.split("/") if seg) if parts.path else ""
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith("utm_")
    ]
    key = netloc + ("/" + path if path else "")
    if query:
        key += "?" + urlencode(sorted(query))
    return key, site
