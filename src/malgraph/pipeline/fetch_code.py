"""Getting code for the package-versions in the store: from registries and mirrors (download
only, bounded concurrency), or from local folders of archives. Each result is committed on
its own, so an interrupted run keeps what it got and a re-run asks only for the rest."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from malgraph.artifacts.cache import Cache
from malgraph.artifacts.local import local_archives
from malgraph.artifacts.registries import Downloader, FetchResult, fetch
from malgraph.core.code import VersionRef
from malgraph.core.dates import now_utc
from malgraph.core.errors import InputError
from malgraph.core.kinds import ArtifactKind, CodeEcosystem, RegistryStatus
from malgraph.store import Store
from malgraph.store.code import add_artifact, add_observation
from malgraph.store.read.code import find_version, removed_at, versions_without_code

FETCHABLE = tuple(CodeEcosystem)
MAX_LOCAL_BYTES = 64 * 2**20
Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class FetchSummary:
    asked: int = 0
    fetched: int = 0
    removed: int = 0  # every mirror asked said removed
    failed: list[str] = field(default_factory=list)  # "<purl-ish>: <last reason>"
    skipped_removed: int = 0  # not asked again: every mirror already said removed


def fetch_from_registries(
    store: Store,
    cache: Cache,
    downloader: Downloader,
    mirrors: Mapping[str, Sequence[str]],
    *,
    ecosystem: str | None = None,
    limit: int | None = None,
    jobs: int = 8,
    progress: Progress | None = None,
) -> FetchSummary:
    if ecosystem is not None and ecosystem not in FETCHABLE:
        raise InputError(f"cannot fetch {ecosystem} code: choose one of {', '.join(FETCHABLE)}")
    summary = FetchSummary()
    todo = versions_without_code(store.db, [ecosystem] if ecosystem else FETCHABLE)
    gone = removed_at(store.db)
    wanted = [v for v in todo if not all((v.id, m) in gone for m in mirrors[v.ecosystem])]
    summary.skipped_removed = len(todo) - len(wanted)
    wanted = wanted[:limit] if limit is not None else wanted
    summary.asked = len(wanted)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {
            pool.submit(fetch, downloader, v.ecosystem, v.name, v.version, mirrors[v.ecosystem]): v
            for v in wanted
        }
        for done, future in enumerate(as_completed(futures), start=1):
            _record(store, cache, futures[future], future.result(), summary)
            if progress:
                progress(done, len(wanted))
    return summary


def _record(
    store: Store, cache: Cache, version: VersionRef, result: FetchResult, summary: FetchSummary
) -> None:
    download = result.download
    sha256 = cache.put(download.data) if download else None  # the file first, then the row
    with store.transaction() as db:
        for o in result.observations:
            add_observation(
                db, version.id, o.registry, o.status, o.detail, o.released, o.observed_at
            )
        if download and sha256:
            add_artifact(
                db,
                version.id,
                download.registry,
                sha256,
                download.url,
                ArtifactKind.REGISTRY,
                now_utc(),
            )
    if download:
        summary.fetched += 1
    elif result.observations and all(
        o.status == RegistryStatus.REMOVED for o in result.observations
    ):
        summary.removed += 1
    else:
        reason = result.observations[-1].detail if result.observations else "no mirror"
        summary.failed.append(f"{version.ecosystem}/{version.name}@{version.version}: {reason}")


@dataclass
class LocalSummary:
    registered: int = 0
    unmatched: list[str] = field(default_factory=list)  # archives naming no known version
    refused: list[str] = field(default_factory=list)  # "<path>: <reason>"


def _ecosystems_for(filename: str) -> tuple[str, ...]:
    if filename.endswith(".whl"):
        return ("PyPI",)
    if filename.endswith(".gem"):
        return ("RubyGems",)
    return ("npm", "PyPI") if filename.endswith(".tgz") else ("PyPI", "npm")


def register_local(
    store: Store, cache: Cache, folder: Path, progress: Progress | None = None
) -> LocalSummary:
    """Copy into the cache each archive under `folder` that is the code of a package-version
    in the store (found by its place `name/version/file` or its file name)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of archives")
    summary = LocalSummary()
    source = f"local:{folder.resolve()}"
    archives = list(local_archives(folder))
    for done, archive in enumerate(archives, start=1):
        version_id = next(
            (
                found
                for name, version in archive.candidates
                for eco in _ecosystems_for(archive.path.name)
                if (found := find_version(store.db, eco, name, version)) is not None
            ),
            None,
        )
        if version_id is None:
            summary.unmatched.append(str(archive.path))
        elif archive.path.stat().st_size > MAX_LOCAL_BYTES:
            summary.refused.append(f"{archive.path}: over {MAX_LOCAL_BYTES >> 20} MiB")
        else:
            sha256 = cache.put(archive.path.read_bytes())
            with store.transaction() as db:
                add_artifact(
                    db,
                    version_id,
                    source,
                    sha256,
                    str(archive.path.resolve()),
                    ArtifactKind.LOCAL_ARCHIVE,
                    now_utc(),
                )
            summary.registered += 1
        if progress:
            progress(done, len(archives))
    return summary
