"""Dask is an optional extra: the core install paths never import it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dask
import pytest

from malgraph.cli.entry import run
from malgraph.core.errors import InputError
from malgraph.pipeline.distributed.client import dask_client
from malgraph.store import Store


def test_importing_malgraph_and_its_cli_loads_no_dask() -> None:
    """In a fresh interpreter, since this one has loaded Dask for the cluster fixture; nor
    fsspec, nor pyarrow (heavy, loaded when a partition is read or written)."""
    probe = (
        "import sys, malgraph, malgraph.cli, malgraph.pipeline.distributed.analyze; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'dask', 'distributed', 'fsspec', 'pyarrow'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


def test_an_unreachable_scheduler_is_an_input_error() -> None:
    with (
        pytest.raises(InputError, match="no Dask scheduler"),
        dask_client("tcp://127.0.0.1:9", timeout="1s"),
    ):
        pass


def test_the_cluster_takes_no_archive_paths_and_no_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "a.tgz"
    archive.write_bytes(b"not read")
    for extra in (["-j", "2"], [str(archive)]):
        assert run(["analyze", "--scheduler", "tcp://127.0.0.1:9", *extra]) == 2
        assert "--scheduler analyses the stored archives" in capsys.readouterr().err


def test_an_unreachable_scheduler_is_told_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(tmp_path / "m.db"):
        pass
    command = ["--db", str(tmp_path / "m.db"), "analyze", "--scheduler", "tcp://127.0.0.1:9"]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):  # Dask's own setting
        assert run(command) == 2
    assert "no Dask scheduler reached at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_cluster_options_without_a_scheduler_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not silently ignored: the operator meant a cluster run."""
    with Store(tmp_path / "m.db"):
        pass
    db = ["--db", str(tmp_path / "m.db")]
    for option in (["--archives-root", "s3://b/c"], ["--results", "r"], ["--partition-size", "5"]):
        assert run([*db, "analyze", *option]) == 2
        assert "need --scheduler" in capsys.readouterr().err
    assert run([*db, "relate", "--kinds", "similar", "--results", "r"]) == 2
    assert "--results needs --scheduler" in capsys.readouterr().err


def test_a_scheduler_without_the_similar_relation_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the similar relation runs on a cluster: the others would silently run here."""
    with Store(tmp_path / "m.db"):
        pass
    db = ["--db", str(tmp_path / "m.db")]
    assert run([*db, "relate", "--kinds", "dependency", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--scheduler runs the similar relation on a cluster" in capsys.readouterr().err
