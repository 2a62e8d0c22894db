"""Dask is an optional extra: the core install paths never import it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from malgraph.core.errors import InputError
from malgraph.pipeline.distributed.client import dask_client


def test_importing_malgraph_and_its_cli_loads_no_dask() -> None:
    """In a fresh interpreter, since this one has loaded Dask for the cluster fixture."""
    probe = (
        "import sys, malgraph, malgraph.cli, malgraph.pipeline.distributed.client; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
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
