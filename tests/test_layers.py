"""The layers hold: pyproject.toml's import-linter contracts are kept, and SQL runs only in the
store (tests/store/test_no_grammar.py checks that opening the store loads no grammar)."""

import re
import subprocess
import sys
import tomllib

from tests.conftest import REPO

LINT = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"


def test_import_contracts_are_kept() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    declared = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    count = len(declared["tool"]["importlinter"]["contracts"])
    assert f"Contracts: {count} kept, 0 broken." in proc.stdout


def test_sql_runs_only_in_the_store() -> None:
    """The read model is the only reader: no module outside malgraph/store runs a statement."""
    package = REPO / "src" / "malgraph"
    store = package / "store"
    running = re.compile(r"\.execute(many|script)?\(")
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if store not in path.parents
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if running.search(line)
    ]
    assert offenders == []


def test_the_sql_check_sees_a_statement() -> None:
    assert re.search(r"\.execute(many|script)?\(", 'db.execute("SELECT 1")')
