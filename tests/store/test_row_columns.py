"""Every field of a typed row is a column of its table: the writer names columns by the
fields, so a field the store lacks would fail the first write; this says which."""

from __future__ import annotations

from pathlib import Path

import pytest

from malgraph.core import rows
from malgraph.store import Store

TABLES = {
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
    rows.InputFileRow: "input_files",
}


@pytest.mark.parametrize("row", list(TABLES), ids=lambda row: row.__name__)
def test_a_row_types_fields_are_its_tables_columns(tmp_path: Path, row: type) -> None:
    with Store(tmp_path / "s.db") as store:
        columns = {c[1] for c in store.db.execute(f"PRAGMA table_info({TABLES[row]})")}
    assert set(row._fields) <= columns
