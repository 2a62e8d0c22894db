"""requirements files: pins, ranges, hashes, markers, extras, options and `-r` includes."""

from __future__ import annotations

from pathlib import Path

from malgraph.check.inputs import read_inputs
from malgraph.core.check_inputs import Dependency

REQUIREMENTS = """\
# pip-compile output style, with hashes on continuation lines
certifi==2024.2.2 \\
    --hash=sha256:0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f \\
    --hash=sha256:dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1
    # via requests
requests[socks]==2.31.0 ; python_version >= "3.8"  # an inline comment
Django>=4.2,<5
urllib3===2.2.1
flask
numpy==1.26.*
pywin32==306; sys_platform == "win32"
my-fork @ https://example.invalid/my-fork-1.0.tar.gz
-e git+https://github.com/example/editable.git#egg=editable
git+https://github.com/example/plain.git
./local-folder
dist/thing-1.0-py3-none-any.whl
--index-url https://pypi.example.invalid/simple
--extra-index-url=https://other.example.invalid/simple
-c constraints.txt
this is not a requirement!
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_pins_ranges_hashes_markers_and_options(tmp_path: Path) -> None:
    req = _write(tmp_path / "requirements.txt", REQUIREMENTS)
    inputs = read_inputs([req])
    file = str(req)
    assert set(inputs.dependencies) == {
        Dependency("PyPI", "certifi", "2024.2.2", file),
        Dependency("PyPI", "requests", "2.31.0", file),
        Dependency("PyPI", "Django", None, file, spec="<5,>=4.2"),
        Dependency("PyPI", "urllib3", "2.2.1", file),
        Dependency("PyPI", "flask", None, file),
        Dependency("PyPI", "numpy", None, file, spec="==1.26.*"),
        Dependency("PyPI", "pywin32", "306", file),
        Dependency(
            "PyPI", "my-fork", None, file, spec="https://example.invalid/my-fork-1.0.tar.gz"
        ),
    }
    assert [p.reason.split(":")[0] for p in inputs.problems] == ["line 20"]


def test_includes_cycles_missing_outside_and_urls(tmp_path: Path) -> None:
    base = _write(tmp_path / "requirements" / "base.txt", "six==1.16.0\n-r dev.txt\n")
    dev = _write(
        tmp_path / "requirements" / "dev.txt",
        "pytest==8.0.0\n-r base.txt\n-r missing.txt\n--requirement=../../elsewhere.txt\n"
        "-r https://example.invalid/r.txt\n",
    )
    top = _write(tmp_path / "requirements.txt", "-r requirements/base.txt\nattrs==23.2.0\n")
    _write(tmp_path.parent / "elsewhere.txt", "secret==1.0\n")
    inputs = read_inputs([top])
    assert {(d.name, d.version, d.file) for d in inputs.dependencies} == {
        ("six", "1.16.0", str(base)),
        ("pytest", "8.0.0", str(dev)),
        ("attrs", "23.2.0", str(top)),
    }
    reasons = {p.reason.split(": ", 2)[2].split(" ")[0] for p in inputs.problems}
    assert reasons == {"an", "no", "not", "outside"}  # cycle, missing, URL, outside
    assert all(p.file == str(dev) for p in inputs.problems)


def test_directory_reads_each_file_once_and_in_files_supersede_sources(tmp_path: Path) -> None:
    _write(tmp_path / "requirements" / "base.txt", "six==1.16.0\n")
    _write(tmp_path / "requirements" / "dev.txt", "-r base.txt\npytest==8.0.0\n")
    _write(tmp_path / "requirements.in", "six\n")
    _write(tmp_path / "requirements.txt", "six==1.16.0\n")
    inputs = read_inputs([tmp_path])
    assert str(tmp_path / "requirements.in") not in inputs.files
    assert sorted((d.name, d.version) for d in inputs.dependencies) == [
        ("pytest", "8.0.0"),
        ("six", "1.16.0"),
        ("six", "1.16.0"),  # once from requirements.txt, once from requirements/base.txt
    ]
