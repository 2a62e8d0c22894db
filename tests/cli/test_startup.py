"""Start-up: the CLI imports a command's module only when that command is looked up, so a
run loads only what its command needs; `--help` still lists every command."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from importlib import import_module

import typer
from typer.testing import CliRunner

import malgraph.cli
from malgraph.cli import app
from malgraph.cli.application import COMMAND_MODULES

# What other commands need (the web explorer, the report's HTML and figures, exports, check,
# the sources' parsers, downloads, the Dask extra): a top-level package name, or a module.
HEAVY = {
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "matplotlib",
    "pyarrow",
    "dask",
    "distributed",
    "httpx",
    "openpyxl",
    "malgraph.web",
    "malgraph.report",
    "malgraph.check",
    "malgraph.export",
    "malgraph.sources",
}


def _loaded_after(modules: list[str], watched: set[str]) -> set[str]:
    """The modules loaded once `modules` are imported, in a fresh interpreter (this one has
    imported every command already), that are in `watched` or in a package named there."""
    probe = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "for m in sorted(sys.modules): print(m)\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    return {m for m in loaded if m in watched or any(m.startswith(f"{w}.") for w in watched)}


def test_importing_the_cli_loads_no_command_and_nothing_heavy() -> None:
    commands = set(COMMAND_MODULES.values())
    assert _loaded_after(["malgraph.cli"], HEAVY | commands | {"tree_sitter", "numpy"}) == set()


def test_the_analyze_command_loads_nothing_the_other_commands_need() -> None:
    """`malgraph analyze` up to its worker pool: its module and the pipeline it runs."""
    analyze = ["malgraph.cli", "malgraph.cli.analyze", "malgraph.pipeline.analyze_code"]
    others = set(COMMAND_MODULES.values()) - {"malgraph.cli.analyze"}
    assert _loaded_after(analyze, HEAVY | others) == set()


def test_looking_a_command_up_imports_its_module() -> None:
    probe = (
        "import sys, typer.main\n"
        "from malgraph.cli import app\n"
        "group = typer.main.get_command(app)\n"
        "before = 'malgraph.cli.serve' in sys.modules\n"
        "group.commands['serve']\n"
        "print(before, 'malgraph.cli.serve' in sys.modules, 'malgraph.cli.check' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == ["False", "True", "False"]


def test_the_table_names_every_command_of_every_cli_module() -> None:
    """Every module of the CLI imported: the commands they register are the table's, each
    defined in the module the table names."""
    for found in pkgutil.iter_modules(malgraph.cli.__path__, "malgraph.cli."):
        import_module(found.name)
    assert {info.name for info in app.registered_commands} == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        (info,) = [i for i in app.registered_commands if i.name == name]
        assert info.callback is not None and info.callback.__module__ == module, name


def test_help_lists_every_command_with_its_first_line() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    group = typer.main.get_command(app)
    # A row's first column: "│ NAME  help..."; a wrapped row's next lines start with spaces.
    listed = [m[1] for m in re.finditer(r"^│ (\w+) ", result.output, re.MULTILINE)]
    assert listed == list(COMMAND_MODULES)
    for name in COMMAND_MODULES:
        help_text = group.commands[name].help  # type: ignore[attr-defined]
        first_words = " ".join(help_text.split()[:4])
        assert f"{name} " in result.output and first_words in " ".join(result.output.split()), name


def test_a_mistyped_command_is_still_told_the_nearest_name() -> None:
    result = CliRunner().invoke(app, ["analyse"])
    assert result.exit_code == 2
    assert "Did you mean 'analyze'?" in result.output
