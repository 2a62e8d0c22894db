"""What every page and its JSON twin read: one read-only connection per server thread, the
search index and the overview built at start-up, and the lookups of each page kind."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from malgraph.core.card import PackageCard
from malgraph.core.graph import Family
from malgraph.core.web import CampaignPage, IocPage, PackageRef, ReportPage, SourcePage
from malgraph.store.read.card import find_packages, read_card
from malgraph.store.read.readonly import open_readonly
from malgraph.store.read.web import (
    campaign_page,
    family_of,
    ioc_page,
    report_page,
    search_entries,
    source_page,
)
from malgraph.web.graph import ALL_KINDS, GraphNode, Neighbourhood, neighbourhood
from malgraph.web.overview import Overview, overview
from malgraph.web.search import SearchHit, SearchIndex

MEMBERS_SHOWN = 500  # packages a report, IoC, campaign or source page lists


class Explorer:
    """The store behind the server, opened read-only (`mode=ro`): it is never written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        db = self.db()
        self.index = SearchIndex(search_entries(db))
        self.overview: Overview = overview(db)

    def db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections stay in the thread that made them)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = open_readonly(self.path)
            self._local.db = db
        return db

    def search(self, query: str, limit: int) -> list[SearchHit]:
        return self.index.search(query, limit)

    def package(self, ecosystem: str, name: str) -> PackageCard | None:
        found = find_packages(self.db(), name, ecosystem)
        return read_card(self.db(), found[0]) if found else None

    def graph(
        self, start: GraphNode, depth: int, kinds: frozenset[str] = ALL_KINDS, limit: int = 25
    ) -> Neighbourhood:
        return neighbourhood(self.db(), start, depth, kinds, limit)

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
