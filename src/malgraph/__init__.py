"""malgraph: one knowledge graph of malicious open-source packages from many sources."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # `malgraph.open` is loaded on first use: the API pulls in pandas and networkx (heavy,
    # optional for everything else), which `import malgraph` and `malgraph --version` must
    # not pay for; import_module keeps every module that reads __version__ off the API layer.
    if name == "open":
        return import_module("malgraph.api").open
    raise AttributeError(f"module 'malgraph' has no attribute {name!r}")
