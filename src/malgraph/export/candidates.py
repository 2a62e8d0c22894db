"""The campaign candidates the OSV and STIX exports share: the components of the whole graph
over package ids, worked out once before the records stream (no package's name is held)."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from malgraph.core.kinds import EvidenceKind
from malgraph.insights.campaigns import Joined, Label, Link, candidate_ids, join_packages
from malgraph.store.read.graph import family_packages, groupings, ioc_sightings, package_purls


class Components(NamedTuple):
    joined: Joined  # the components (`groups`) and what joins their packages
    ids: dict[int, str]  # a component's smallest package id -> its candidate id
    labels: dict[int, dict[EvidenceKind, list[Label | Link]]]  # the same key -> its evidence


def candidate_components(db: sqlite3.Connection) -> Components:
    joined = join_packages(groupings(db), family_packages(db), ioc_sightings(db))
    return Components(joined, candidate_ids(joined, package_purls(db)), joined.labels())
