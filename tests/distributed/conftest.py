"""A `LocalCluster` of two worker processes on 127.0.0.1, one for the whole run, shut down at
its end: the Dask tests run the real scheduler and workers, never a mock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from distributed import Client, LocalCluster

from tests.distributed.loopback import loopback_cluster

WORKERS = 2


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[LocalCluster]:
    """Two single-threaded worker processes under nannies (a killed worker is restarted, as
    on a real cluster), nothing listening beyond the loopback."""
    cluster = loopback_cluster(n_workers=WORKERS, threads_per_worker=1, processes=True)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def scheduler(dask_cluster: LocalCluster) -> str:
    """The cluster's address, every worker up (a test before may have killed one)."""
    with Client(dask_cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(WORKERS, timeout=60)
    return str(dask_cluster.scheduler_address)
