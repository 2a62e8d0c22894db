"""What scanning one file's bytes finds, apart from where the file lies: the unit static analysis
memoises by content, so that a file seen in an earlier archive (a vendored library, an
`__init__.py`) costs a lookup. Analysis makes and places these; the store keeps them; the
pipeline passes a memo between the two, which never import each other."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from malgraph.core.code import CodeIoc, Finding, Import, ObfuscationSign
from malgraph.core.kinds import ScanDialect

# What a Python object and its strings' headers cost beside their characters, roughly.
_ITEM_OVERHEAD = 200
_SCAN_OVERHEAD = 400


class FileScanKey(NamedTuple):
    """A file's content and how it is scanned: equal keys give equal scans (for one version of
    the analyser, which the memo checks apart)."""

    sha256: str  # of the file's bytes
    dialect: ScanDialect


@dataclass(frozen=True, slots=True)
class FileScan:
    """One file's scan with no path in it: every `file` below is '' and each problem is its
    reason alone, until analysis places the scan at a path in an archive."""

    imports: tuple[Import, ...]
    findings: tuple[Finding, ...]
    iocs: tuple[CodeIoc, ...]
    obfuscation: tuple[ObfuscationSign, ...]
    problems: tuple[str, ...]  # reasons, without the '<path>: ' every placed problem starts with
    stream: str  # the normalised token stream, space-joined ('' for a script)
    normalised_sha256: str | None  # token_digest of that stream (None for a script)
    token_count: int

    def weight(self) -> int:
        """Roughly the bytes this scan holds in memory: what a memo bounded in memory counts."""
        chars = len(self.stream) + sum(map(len, self.problems))
        chars += sum(len(i.module) + len(i.snippet) for i in self.imports)
        chars += sum(len(f.api) + len(f.snippet) for f in self.findings)
        chars += sum(len(c.value) + len(c.as_written) for c in self.iocs)
        chars += sum(len(o.detail) for o in self.obfuscation)
        items = len(self.imports) + len(self.findings) + len(self.iocs) + len(self.obfuscation)
        return chars + _ITEM_OVERHEAD * items + _SCAN_OVERHEAD


class FileScanMemo(Protocol):
    """Scans already made, by key. Analysis asks for an archive's keys at once (one batched
    lookup) and tells the memo each scan it had to make."""

    def recall(self, keys: Collection[FileScanKey]) -> Mapping[FileScanKey, FileScan]:
        """The scans known for these keys (any subset; a key not known is left out)."""
        ...

    def remember(self, key: FileScanKey, scan: FileScan) -> None:
        """A scan just made: kept for later archives (or not, as the memo sees fit)."""
        ...
