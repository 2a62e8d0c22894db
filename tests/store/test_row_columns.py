"""Every field of a typed row is a column of its table: the store names columns by the
fields, so a field the table lacks would fail the first write; this says which. A row the
store writes whole is the table's columns, no more and no fewer; and every row type is here."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from malgraph.core import derived_rows, relations, rows
from malgraph.store import Store

# Rows the writer completes with the ids it gives (and the document they came from).
PART_OF_A_ROW = {
    rows.PackageRow: "packages",
    rows.VersionRow: "package_versions",
    rows.ReportKey: "reports",
    rows.ReportRow: "reports",
    rows.RecordRow: "records",
    rows.CampaignRow: "campaigns",
    rows.ArtifactRow: "artifacts",
    rows.LinkRow: "report_links",
    rows.SiteRow: "report_sites",
    rows.LabelMemberRow: "label_members",
    derived_rows.FetchedArtifactRow: "artifacts",
    derived_rows.CodeIocRow: "code_iocs",
    derived_rows.EdgeRow: "edges",
}
WHOLE_ROWS = {
    rows.InputFileRow: "input_files",
    rows.DocumentRow: "documents",
    rows.RecordVersionRow: "record_versions",
    rows.RecordReportRow: "record_reports",
    rows.SightingRow: "ioc_sightings",
    rows.CampaignMemberRow: "campaign_members",
    derived_rows.ObservationRow: "registry_observations",
    derived_rows.CodeAnalysisRow: "code_analyses",
    derived_rows.CodeFileRow: "code_files",
    derived_rows.CodeDependencyRow: "code_dependencies",
    derived_rows.CodeImportRow: "code_imports",
    derived_rows.CodeSketchRow: "code_sketches",
    derived_rows.FamilyRow: "families",
    derived_rows.FamilyMemberRow: "family_members",
    relations.ReportMention: "report_mentions",
}
# Row types that span tables, whose statements the writer spells out (and checks on import).
SPANNING = {rows.CitationRow, rows.IocRow}


@pytest.fixture(scope="module")
def table_columns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    path: Path = tmp_path_factory.mktemp("store") / "s.db"
    with Store(path) as store:
        tables = [
            t for (t,) in store.db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        ]
        return {t: {c[1] for c in store.db.execute(f"PRAGMA table_info({t})")} for t in tables}


@pytest.mark.parametrize("row", list(PART_OF_A_ROW), ids=lambda row: row.__name__)
def test_a_row_types_fields_are_columns_of_its_table(
    table_columns: dict[str, set[str]], row: type
) -> None:
    assert set(row._fields) <= table_columns[PART_OF_A_ROW[row]]


@pytest.mark.parametrize("row", list(WHOLE_ROWS), ids=lambda row: row.__name__)
def test_a_whole_rows_fields_are_its_tables_columns(
    table_columns: dict[str, set[str]], row: type
) -> None:
    assert len(set(row._fields)) == len(row._fields)
    assert set(row._fields) == table_columns[WHOLE_ROWS[row]]


def test_every_row_type_is_checked() -> None:
    declared = {
        cls
        for module in (rows, derived_rows)
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and (name.endswith("Row") or name == "ReportKey")
    }
    checked = set(PART_OF_A_ROW) | set(WHOLE_ROWS) | SPANNING
    assert declared == checked - {relations.ReportMention}
