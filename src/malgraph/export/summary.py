"""What an export wrote: its format, its files, and how many objects of each kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from malgraph.core.kinds import ExportFormat


@dataclass(frozen=True)
class ExportSummary:
    format: ExportFormat
    files: tuple[Path, ...]
    counts: Mapping[str, int]
