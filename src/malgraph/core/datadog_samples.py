"""The layout of DataDog's sample tree, `samples/<eco>/<intent>/<name>/<version>/<date>-<name>-
v<version>.zip`: read by the DataDog source (which registers each sample) and by the archive
layouts (which place a sample found in any folder), so it lives below both."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote

from malgraph.core.dates import normalise_time

ECOSYSTEMS = {"npm": "npm", "pypi": "PyPI"}
INTENTS = ("malicious_intent", "compromised_lib")

_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")


def sample_place(parts: Sequence[str], intent: int) -> tuple[str | None, str, str, str | None]:
    """(ecosystem or None, name, version, detection date) of the sample at `parts`, whose
    intent folder is `parts[intent]`: `@scope@name` folders read as `@scope/name`."""
    eco = ECOSYSTEMS.get(parts[intent - 1].lower())
    name, version = "/".join(parts[intent + 1 : -2]), parts[-2]
    if name.startswith("@") and "/" not in name and "@" in name[1:]:
        name = "@" + name[1:].replace("@", "/", 1)  # "@scope@name" -> "@scope/name"
    date = _DATE.match(parts[-1])
    detected = normalise_time("-".join(date.groups())) if date else None
    return eco, unquote(name), version, detected  # "%40scope%2Fname" too
