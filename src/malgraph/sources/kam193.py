"""kam193/package-campaigns: campaigns of malicious (and suspicious) packages.

`<eco>/campaigns/<category>/<name>.json` describes a campaign and lists its packages;
`<eco>/packages/<category>/json/<name>.json` gives one package's versions and campaign. Both
become claims of `kam193` that join the campaign node, so a package is linked to its campaign
whichever file is read first.

The project also publishes `<eco>/packages/<category>/osv/<name>.json` beside each `json/` file:
the same package, campaign and category exported as OSV (its references are the campaign's).
Reading both would make every package two claims of one reporter, so the OSV copies are
recognised and skipped with a warning.
"""

from __future__ import annotations

from typing import Any

import orjson

from malgraph.core.dates import normalise_time
from malgraph.core.model import Campaign, Document, Problem
from malgraph.sources.base import claim, file_time
from malgraph.sources.inputs import InputFile

OSV_COPY = "kam193's OSV copy of a package file; the json/ file beside it is read (skipped)"


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


class Kam193Source:
    name: str = "kam193"
    description: str = "kam193/package-campaigns: campaign files and package files"
    suffixes: tuple[str, ...] = (".json",)
    containers: bool = True

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        path = item.inner
        if path.parent.name == "osv" and "packages" in path.parts:
            return Document(
                item.display,
                sha256,
                "kam193",
                f"kam193/osv-copy/{path.as_posix()}",
                file_time(item),
                (),
                (OSV_COPY,),
            )
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return Problem(item.display, f"not valid JSON: {exc}")
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return Problem(item.display, "expected an object with a 'name'")
        eco = str(data.get("ecosystem") or "pypi")
        if "campaigns" in path.parts:
            return self._campaign(data, eco, item, sha256)
        if "packages" in path.parts and isinstance(data.get("campaign"), str):
            found = claim(
                "kam193",
                eco,
                data["name"],
                versions=_strings(data.get("affected_versions")),
                published=normalise_time(data.get("campaign_assigned_at")),
                ident=f"kam193/{eco}/{data['name']}",
                details=data.get("description"),
                campaigns=(Campaign(data["campaign"], data["campaign"]),),
            )
            return Document(
                item.display,
                sha256,
                "kam193",
                f"kam193/package/{eco}/{data['name']}",
                file_time(item),
                (found,),
            )
        return Problem(item.display, "neither <eco>/campaigns/... nor <eco>/packages/... JSON")

    def _campaign(
        self, data: dict[str, Any], eco: str, item: InputFile, sha256: str
    ) -> Document | Problem:
        traits = _strings(data.get("abuse_categories"))
        campaign = Campaign(
            key=data["name"],
            name=data["name"],
            category=str(data.get("category") or "") or None,
            created=normalise_time(data.get("created_at")),
            description="; ".join(filter(None, [data.get("description"), ", ".join(traits)]))
            or None,
            references=_strings(data.get("references")),
            iocs=_strings(data.get("ioc")),
        )
        records = tuple(
            claim(
                "kam193",
                eco,
                package,
                ident=f"kam193/{eco}/{package}",
                published=campaign.created,
                urls=campaign.references,
                campaigns=(campaign,),
            )
            for package in _strings(data.get("packages"))
        )
        return Document(
            item.display,
            sha256,
            "kam193",
            f"kam193/campaign/{eco}/{data['name']}",
            file_time(item),
            records,
            campaigns=(campaign,),
        )
