from malgraph.core.dates import normalise_time
from malgraph.core.urls import url_key


def test_one_report_cited_many_ways_has_one_key() -> None:
    spellings = [
        "https://www.Example.com/blog/post/",
        "http://example.com/blog/post",
        "https://example.com:443/blog/post?utm_source=x&utm_medium=y#section",
        "HTTPS://EXAMPLE.COM/blog/post/?fbclid=abc",
    ]
    assert {url_key(u) for u in spellings} == {("example.com/blog/post", "example.com")}


def test_url_paths_and_meaningful_queries_are_kept() -> None:
    assert url_key("https://example.com/Blog")[0] != url_key("https://example.com/blog")[0]  # type: ignore[index]
    assert url_key("https://example.com/p?id=2&a=1") == ("example.com/p?a=1&id=2", "example.com")
    assert url_key("https://example.com:8443/x") == ("example.com:8443/x", "example.com")


def test_non_web_urls_are_not_reports() -> None:
    assert url_key("mailto:someone@example.com") is None
    assert url_key("ftp://example.com/file") is None
    assert url_key("not a url") is None
    assert url_key("http://[::1") is None


def test_times_become_utc_seconds() -> None:
    assert normalise_time("2025-01-13T00:23:31.95082058Z") == "2025-01-13T00:23:31Z"
    assert normalise_time("2024-03-01T10:00:00+02:00") == "2024-03-01T08:00:00Z"
    assert normalise_time("2024-03-01") == "2024-03-01T00:00:00Z"
    assert normalise_time("yesterday") is None
    assert normalise_time(None) is None
    assert normalise_time("2024-13-45T00:00:00+01:00") is None
    assert normalise_time("2024-13-45T00:00:00Z") is None
    assert normalise_time("2024-02-01T25:00:00Z") is None
