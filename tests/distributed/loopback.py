"""Test clusters on the loopback only: the scheduler, the workers and the scheduler's HTTP
routes (on a free port: with no dashboard address distributed still binds port 8787, so two
clusters at once would collide)."""

from __future__ import annotations

from typing import Any

from distributed import LocalCluster


def loopback_cluster(**options: Any) -> LocalCluster:
    """A LocalCluster with `options` (workers, threads), nothing listening beyond 127.0.0.1."""
    return LocalCluster(host="127.0.0.1", dashboard_address="127.0.0.1:0", **options)
