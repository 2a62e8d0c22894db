"""Running the CLI in-process as `malgraph ARGS` would."""

from __future__ import annotations

import contextlib
import io

from malgraph.cli import run


def call(*args: str) -> tuple[int, str, str]:
    """As `malgraph ARGS` runs it: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()
