"""What an export wrote: its format, the files, and how many objects of each kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from malgraph.core.kinds import ExportFormat


@dataclass(frozen=True, slots=True)
class ExportSummary:
    format: ExportFormat
    files: Sequence[Path]  # a tuple, or for a file a record (OSV) a sequence listed on demand
    counts: Mapping[str, int]  # objects written per kind, e.g. "nodes.package", "edges.similar"
