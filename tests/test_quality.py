"""The house style is checked like everything else: mypy --strict and ruff, in CI."""

import subprocess
import sys

from tests.conftest import REPO


def check(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict() -> None:
    check("mypy")  # strict, on src/: see [tool.mypy] in pyproject.toml


def test_ruff_lint_and_format() -> None:
    check("ruff", "check", "src", "tests", "benchmarks", "scripts", "evals")
    check("ruff", "format", "--check", "src", "tests", "benchmarks", "scripts", "evals")
