"""`malgraph serve`: the local web explorer on the store, read-only, on loopback by default."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer
import uvicorn

from malgraph.cli.application import State, UsageError, app, err
from malgraph.cli.safe import shown
from malgraph.store.read.readonly import open_readonly
from malgraph.web.app import create_app

LOOPBACK_HOSTS = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8321,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow a --host other than loopback: anyone who reaches it reads the store.",
        ),
    ] = False,
) -> None:
    """A local web explorer of the store (read-only): search, package pages, the
    neighbourhood graph, families, campaigns, reports, IoCs and sources, each page with a
    JSON twin under /api/. It never writes the store and fetches nothing from the network."""
    remote = not is_loopback(host)
    if remote and not allow_remote:
        raise UsageError(f"--host {host} is not loopback: add --allow-remote to serve it")
    open_readonly(State.db_path).close()  # a missing or foreign store fails here, in one line
    if remote:
        err.print(
            f"warning: serving on {shown(host)}: anyone who can reach it reads the whole store",
            highlight=False,
        )
    explorer = create_app(State.db_path, allowed_hosts=["*"] if remote else None)
    err.print(
        f"malgraph explorer on http://{shown(host)}:{port}/ (Ctrl-C stops it)", highlight=False
    )
    uvicorn.run(explorer, host=host, port=port, log_level="warning", server_header=False)
