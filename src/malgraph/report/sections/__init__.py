"""One module a report section: each turns its numbers into a Section (text, figures, tables)."""

from malgraph.report.sections import (
    campaigns,
    dependency,
    diversity,
    evolution,
    lifecycle,
    paper_agreement,
    paper_rules,
    sources,
)

__all__ = [
    "campaigns",
    "dependency",
    "diversity",
    "evolution",
    "lifecycle",
    "paper_agreement",
    "paper_rules",
    "sources",
]
