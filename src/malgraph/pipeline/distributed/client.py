"""Opens a `dask.distributed` client on a scheduler's address for the commands given
`--scheduler`, and closes it when their work ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from malgraph.core.errors import InputError

if TYPE_CHECKING:
    from distributed import Client

DASK_MISSING = "--scheduler needs Dask: pip install 'malgraph[dask]'"


@contextmanager
def dask_client(address: str, *, timeout: str | None = None) -> Iterator[Client]:
    """A client of the scheduler at `address` (e.g. tcp://10.0.0.5:8786), closed on exit. A
    missing Dask install or an unreachable scheduler is an input error, not a traceback. The
    connect timeout is Dask's own setting (distributed.comm.timeouts.connect) unless given."""
    try:
        # Dask is a heavy optional extra: only a command given --scheduler loads it.
        from distributed import Client  # noqa: PLC0415
    except ImportError as exc:
        raise InputError(DASK_MISSING) from exc
    try:
        if timeout is None:
            client = Client(address, set_as_default=False)
        else:
            client = Client(address, timeout=timeout, set_as_default=False)
    except OSError as exc:
        raise InputError(f"no Dask scheduler reached at {address}: {exc}") from exc
    try:
        yield client
    finally:
        client.close()
