"""`malgraph check PATH...`: is anything in a project, lockfile, SBOM or archive malicious, or
like something malicious, by the evidence of the local store (nothing is sent anywhere)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer

from malgraph.check.inputs import read_inputs
from malgraph.check.output_json import check_json
from malgraph.check.output_markdown import check_markdown
from malgraph.check.output_sarif import check_sarif
from malgraph.check.output_table import findings_table, summary_line
from malgraph.check.run import check_inputs
from malgraph.cli.application import DONE, REJECTED, USAGE, app, err, fail, open_store, out
from malgraph.cli.output import OutputOption, print_json, print_table, to_output
from malgraph.cli.safe import escape_controls, shown
from malgraph.core.check import CheckResult
from malgraph.core.kinds import CheckFormat, Severity

_HELP = (
    "Check a project, lockfiles, SBOMs or package archives against the local store: what is"
    " claimed malicious (a version, or the whole package), what pulls in a malicious package,"
    " what code is like known malware, what name is a typosquat's. Nothing is sent anywhere."
    "\n\nExit code 0: nothing at or above --fail-on; 1: a finding at or above it, or a file"
    " that could not be read (the rest is still checked); 2: a usage error, or nothing could be"
    " read.\n\nExamples, one per input kind:\n\n\b\n"
    "  malgraph check .                        # a folder, searched\n"
    "  malgraph check package-lock.json        # npm (or npm-shrinkwrap.json)\n"
    "  malgraph check yarn.lock                # yarn classic or berry\n"
    "  malgraph check pnpm-lock.yaml           # pnpm\n"
    "  malgraph check package.json             # npm manifest\n"
    "  malgraph check requirements.txt         # pip (-r, hashes, markers)\n"
    "  malgraph check poetry.lock              # Poetry\n"
    "  malgraph check Pipfile.lock             # Pipenv\n"
    "  malgraph check uv.lock                  # uv\n"
    "  malgraph check pyproject.toml           # PEP 621 or Poetry\n"
    "  malgraph check Gemfile.lock             # Bundler\n"
    "  malgraph check bom.cdx.json             # CycloneDX JSON SBOM\n"
    "  malgraph check sbom.spdx.json           # SPDX JSON SBOM\n"
    "  malgraph check pkg-1.0.0.tgz x.whl      # archives: tgz, sdist, wheel, gem\n"
    "  malgraph check . -f sarif -o out.sarif  # for code scanning\n"
    "  malgraph check . -f json --fail-on suspicious"
)


@app.command("check", help=_HELP)
def check_command(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Project folders, manifests, lockfiles, SBOMs or package archives."),
    ],
    format_: Annotated[
        CheckFormat,
        typer.Option(
            "--format", "-f", help="table for people; json, sarif (2.1.0), markdown (a PR comment)."
        ),
    ] = CheckFormat.TABLE,
    output: OutputOption = None,
    fail_on: Annotated[
        Severity,
        typer.Option("--fail-on", help="Exit 1 when a finding is at or above this severity."),
    ] = Severity.MALICIOUS,
) -> None:
    with to_output(output):
        with open_store(create=False) as store:
            inputs = read_inputs(paths)
            result = check_inputs(store.db, inputs)
        if result.problems and not (result.files or result.archives):
            for problem in result.problems:  # nothing could be read: an input error
                fail(f"{problem.file}: {problem.reason}")
            raise typer.Exit(USAGE)
        _print(result, format_)
    if result.unsketched:
        err.print(
            f"[yellow]note[/] {result.unsketched} analysed archive(s) of the store have no stored"
            " sketch and were sketched for this check: `malgraph relate` stores them, which"
            " makes checking archives faster",
            highlight=False,
        )
    for problem in result.problems:
        err.print(
            f"[yellow]warning[/] {shown(problem.file)}: {shown(problem.reason)}", highlight=False
        )
    failing = any(f.severity.rank <= fail_on.rank for f in result.findings)
    raise typer.Exit(REJECTED if failing or result.problems else DONE)


def _print(result: CheckResult, format_: CheckFormat) -> None:
    if format_ == CheckFormat.JSON:
        print_json(check_json(result))
    elif format_ == CheckFormat.SARIF:
        print_json(check_sarif(result, version("malgraph")))
    elif format_ == CheckFormat.MARKDOWN:
        out.out(
            "\n".join(map(escape_controls, check_markdown(result).rstrip("\n").split("\n"))),
            highlight=False,
        )
    else:
        if result.findings:
            print_table(findings_table(result, escape_controls))
        out.print(shown(summary_line(result)), highlight=False)
