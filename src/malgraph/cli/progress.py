"""One progress bar for long commands, on stderr so that --json output stays clean."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from malgraph.cli.application import err


@contextmanager
def bar(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """Yields `update(done, total)`; the bar disappears when the work ends. A total of None
    leaves it unknown (the bar pulses and counts)."""
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)
