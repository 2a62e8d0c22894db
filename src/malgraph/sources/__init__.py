"""The registry of sources: adding a source is one new file and one line here."""

from malgraph.sources.base import Source
from malgraph.sources.datadog import DataDogSource
from malgraph.sources.kam193 import Kam193Source
from malgraph.sources.lists import ListSource
from malgraph.sources.maloss import MalossSource
from malgraph.sources.osv import OsvSource
from malgraph.sources.paper import PaperSource
from malgraph.sources.reports import ReportsSource

SOURCES: dict[str, Source] = {
    "osv": OsvSource(),
    "datadog": DataDogSource(),
    "maloss": MalossSource(),
    "kam193": Kam193Source(),
    "paper": PaperSource(),
    "list": ListSource(),
    "reports": ReportsSource(),
}
