"""What every page and its JSON twin read: one read-only connection per server thread, the
search index and the overview built at start-up, and the lookups of each page kind."""

from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

from malgraph.core.card import PackageCard
from malgraph.core.graph import Family
from malgraph.core.kinds import WebLinkKind
from malgraph.core.web import CampaignPage, IocPage, PackageRef, ReportPage, SourcePage
from malgraph.store.read.card import find_packages, read_card
from malgraph.store.read.readonly import open_readonly
from malgraph.store.read.web import (
    campaign_page,
    family_of,
    group_members,
    ioc_page,
    report_page,
    search_entries,
    source_page,
)
from malgraph.web.graph import ALL_KINDS, GraphNode, Neighbourhood, neighbourhood
from malgraph.web.overview import Overview, overview
from malgraph.web.search import SearchHit, SearchIndex

GROUPS_KEPT = 4096
MEMBERS_SHOWN = 500  # packages a report, IoC, campaign or source page lists


class Explorer:
    """The store behind the server, opened read-only (`mode=ro`): it is never written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._members = lru_cache(maxsize=GROUPS_KEPT)(self._read_members)
        self._overview: Overview | BaseException | None = None
        self._overview_done = threading.Event()
        threading.Thread(target=self._count, name="malgraph-overview", daemon=True).start()
        self.index = SearchIndex(search_entries(self.db()))

    def _count(self) -> None:
        """The overview's numbers, counted beside the search index: they read every claim,
        and only the overview page waits for them."""
        try:
            db = open_readonly(self.path)
            try:
                self._overview = overview(db)
            finally:
                db.close()
        except BaseException as exc:  # handed to the page that waits for it
            self._overview = exc
        finally:
            self._overview_done.set()

    @property
    def overview(self) -> Overview:
        self._overview_done.wait()
        if isinstance(self._overview, BaseException):
            raise self._overview
        assert self._overview is not None
        return self._overview

    def db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections stay in the thread that made them)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = open_readonly(self.path)
            self._local.db = db
        return db

    def _read_members(
        self, kind: WebLinkKind, key: str, limit: int
    ) -> tuple[tuple[PackageRef, ...], int]:
        return group_members(self.db(), kind, key, limit)

    def search(self, query: str, limit: int) -> list[SearchHit]:
        return self.index.search(query, limit)

    def package(self, ecosystem: str, name: str) -> PackageCard | None:
        found = find_packages(self.db(), name, ecosystem)
        return read_card(self.db(), found[0], with_coreported=False) if found else None

    def graph(
        self, start: GraphNode, depth: int, kinds: frozenset[str] = ALL_KINDS, limit: int = 25
    ) -> Neighbourhood:
        return neighbourhood(self.db(), start, depth, kinds, limit, self.members)

    def members(
        self, kind: WebLinkKind, key: str, limit: int
    ) -> tuple[tuple[PackageRef, ...], int]:
        """A group's first members and their number, kept: a report or IoC naming thousands
        of packages is reached from each of them, and the store does not change."""
        return self._members(kind, key, limit)

    def family(self, family: str) -> Family | None:
        return family_of(self.db(), family)

    def report(self, report: int) -> ReportPage | None:
        return report_page(self.db(), report, MEMBERS_SHOWN)

    def ioc(self, ioc: int) -> IocPage | None:
        return ioc_page(self.db(), ioc, MEMBERS_SHOWN)

    def campaign(self, campaign: int) -> CampaignPage | None:
        return campaign_page(self.db(), campaign, MEMBERS_SHOWN)

    def source(self, source: str) -> SourcePage | None:
        return source_page(self.db(), source, MEMBERS_SHOWN)


def package_ref(card: PackageCard) -> PackageRef:
    return PackageRef(card.ecosystem, card.name)
