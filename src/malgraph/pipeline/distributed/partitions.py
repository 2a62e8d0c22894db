"""One batch's analyses as a Parquet partition in the results folder: written by a worker,
read and merged into the store by the client. Features travel as JSON (never a pickle: the
client reads the folder as untrusted input) and decode back to the same typed objects."""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
import uuid
from functools import cache
from typing import Any, NamedTuple

import orjson

from malgraph.core.code import ANALYZER_VERSION, Analysis
from malgraph.core.derived_rows import CodeSketchRow
from malgraph.core.errors import InputError

if typing.TYPE_CHECKING:
    import pyarrow as pa
    from fsspec import AbstractFileSystem

# Our own names, so that the folder may hold other files: a partition is
# malgraph-<batch id>.parquet, and one being written .malgraph-<batch id>.parquet.partial-<hex>.
PREFIX, SUFFIX = "malgraph-", ".parquet"
PARTITION_NAME = re.compile(r"malgraph-([0-9a-f]+)\.parquet")
PARTIAL_NAME = re.compile(r"\.malgraph-[0-9a-f]+\.parquet\.partial-[0-9a-f]+")
COLUMNS = (
    "sha256",
    "analyzer",  # core.code.ANALYZER_VERSION of the worker's code
    "analysis",  # JSON of core.code.Analysis; null: no readable copy
    "file_sha256",  # the archive's files' sha256, for readers of the folder
    "sketch_method",  # null: no code to sketch
    "stream_sha256",
    "sketch",
)


@cache
def schema() -> pa.Schema:
    """The partitions' columns (COLUMNS) and their types."""
    # pyarrow is heavy: loaded only when a distributed run reads or writes a partition.
    import pyarrow as pa  # noqa: PLC0415

    text, binary = pa.string(), pa.binary()
    types = (text, pa.int32(), text, pa.list_(text), text, text, binary)
    return pa.schema(list(zip(COLUMNS, types, strict=True)))


class ArchiveResult(NamedTuple):
    """What a worker found for one archive: its analysis (None: no readable copy of the
    expected content) and its code's sketch (None: no code to sketch)."""

    sha256: str
    analysis: Analysis | None
    sketch: CodeSketchRow | None


def partition_table(results: list[ArchiveResult]) -> pa.Table:
    """The results, in the batch's order, as a table of the partitions' schema."""
    import pyarrow as pa  # noqa: PLC0415  (heavy: see schema)

    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for sha256, analysis, sketch in results:
        features = analysis.features if analysis else None
        columns["sha256"].append(sha256)
        columns["analyzer"].append(ANALYZER_VERSION)
        columns["analysis"].append(analysis_to_json(analysis) if analysis else None)
        columns["file_sha256"].append([f.sha256 for f in features.files] if features else [])
        columns["sketch_method"].append(sketch.method if sketch else None)
        columns["stream_sha256"].append(sketch.stream_sha256 if sketch else None)
        columns["sketch"].append(sketch.sketch if sketch else None)
    return pa.table(columns, schema=schema())


def analyzer_versions(table: pa.Table) -> set[int]:
    """The analyzer versions of the workers that wrote a partition's rows."""
    return {int(version) for version in table.column("analyzer").to_pylist()}


def results_of(table: pa.Table) -> list[ArchiveResult]:
    """The results a partition holds: the inverse of partition_table. Rows another analyzer
    version wrote are left out, so their archives are analysed again."""
    results = []
    for row in table.to_pylist():
        if row["analyzer"] != ANALYZER_VERSION:
            continue
        analysis = analysis_from_json(row["analysis"]) if row["analysis"] is not None else None
        sketch = (
            CodeSketchRow(row["sha256"], row["sketch_method"], row["stream_sha256"], row["sketch"])
            if row["sketch_method"] is not None
            else None
        )
        results.append(ArchiveResult(row["sha256"], analysis, sketch))
    return results


def write_partition(fs: AbstractFileSystem, path: str, table: pa.Table) -> None:
    """Publish `table` at `path` whole or not at all, so that a task run twice (its worker
    killed) leaves one complete partition under the same name. On a local or shared file
    system: a temporary name in the same folder, then a rename; an object store makes an
    object visible only once its upload completes."""
    import pyarrow.parquet as pq  # noqa: PLC0415  (heavy: see schema)

    if not _is_local(fs):
        with fs.open(path, "wb") as out:
            pq.write_table(table, out)
        return
    folder, _, name = path.rpartition("/")
    temporary = f"{folder}/.{name}.partial-{uuid.uuid4().hex}"
    try:
        with fs.open(temporary, "wb") as out:
            pq.write_table(table, out)
        fs.mv(temporary, path)
    finally:
        if fs.exists(temporary):
            fs.rm(temporary)


def read_partition(fs: AbstractFileSystem, path: str) -> pa.Table:
    """The partition at `path`; InputError when the file there is not one of ours (other
    columns, or not Parquet at all): the caller leaves it in place."""
    import pyarrow as pa  # noqa: PLC0415  (heavy: see schema)
    import pyarrow.parquet as pq  # noqa: PLC0415

    with fs.open(path, "rb") as source:
        try:
            partition = pq.ParquetFile(source)
            if partition.schema_arrow.equals(schema(), check_metadata=False):
                table: pa.Table = partition.read()
                return table
        except pa.ArrowException:
            pass
    raise InputError(
        f"{path}: named as a malgraph partition but holds other data; "
        "move it out of the results folder"
    )


def _is_local(fs: AbstractFileSystem) -> bool:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    return "file" in protocols or "local" in protocols


def analysis_to_json(analysis: Analysis) -> str:
    return orjson.dumps(analysis).decode()  # dataclasses and enums natively, floats exactly


def analysis_from_json(text: str) -> Analysis:
    decoded = _decode(Analysis, orjson.loads(text))
    assert isinstance(decoded, Analysis)
    return decoded


def _decode(kind: Any, value: Any) -> Any:
    """`value` (parsed JSON) as the type `kind`, led by the dataclasses' own annotations, so a
    field added to core.code travels without a change here."""
    origin = typing.get_origin(kind)
    if value is None:
        return None
    if origin in (typing.Union, types.UnionType):
        (inner,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
        return _decode(inner, value)
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in value)
        return tuple(_decode(arg, item) for arg, item in zip(args, value, strict=True))
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{name: _decode(hint, value[name]) for name, hint in hints.items()})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    return value


@cache
def _hints(kind: type) -> dict[str, Any]:
    """The annotations of a dataclass's fields, resolved once."""
    hints = typing.get_type_hints(kind)
    return {field.name: hints[field.name] for field in dataclasses.fields(kind)}


class ResultsFolder:
    """The folder (an fsspec URL: a shared path, s3://, gs://...) where workers publish a
    partition a batch, named by the batch's id. A partition still there has not been merged:
    the client removes it once its rows are committed."""

    def __init__(self, url: str) -> None:
        # fsspec comes with the optional dask extra: only distributed runs load it.
        from fsspec.core import url_to_fs  # noqa: PLC0415

        self.url = url
        self.fs, self.root = url_to_fs(url)

    def path(self, batch_id: str) -> str:
        name = f"{PREFIX}{batch_id}{SUFFIX}"
        if not PARTITION_NAME.fullmatch(name):  # finished() would never list it
            raise ValueError(f"a batch id is hexadecimal, not {batch_id!r}")
        return f"{self.root.rstrip('/')}/{name}"

    def publish(self, batch_id: str, table: pa.Table) -> None:
        self.fs.makedirs(self.root, exist_ok=True)
        write_partition(self.fs, self.path(batch_id), table)

    def read(self, batch_id: str) -> pa.Table:
        return read_partition(self.fs, self.path(batch_id))

    def remove(self, batch_id: str) -> None:
        self.fs.rm(self.path(batch_id))

    def finished(self) -> list[str]:
        """The ids of the partitions present, sorted: only files of our name pattern, so a
        file of the operator's own in the folder is neither read nor removed."""
        found = (PARTITION_NAME.fullmatch(name) for name in self._names())
        return sorted(match.group(1) for match in found if match)

    def remove_partials(self) -> None:
        """Removes the temporary files of partitions whose writing stopped (a killed worker):
        at the end of a run, no task of it is still writing."""
        for name in self._names():
            if PARTIAL_NAME.fullmatch(name):
                self.fs.rm(f"{self.root.rstrip('/')}/{name}")

    def reachable(self) -> bool:
        """Whether this machine sees the folder at all (a disk local to each worker is not)."""
        return bool(self.fs.exists(self.root))

    def remove_if_empty(self) -> None:
        if self.fs.exists(self.root) and not self._names():
            self.fs.rmdir(self.root)

    def _names(self) -> list[str]:
        if not self.fs.exists(self.root):
            return []
        self.fs.invalidate_cache(self.root)  # an object store's listing may be cached
        return [
            str(path).rstrip("/").rpartition("/")[2] for path in self.fs.ls(self.root, detail=False)
        ]
