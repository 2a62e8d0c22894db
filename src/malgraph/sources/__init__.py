"""The registry of sources: adding a source is one new file and one line here."""

from malgraph.sources.base import Source
from malgraph.sources.datadog import DataDogSource
from malgraph.sources.lists import ListSource
from malgraph.sources.maloss import MalossSource
from malgraph.sources.osv import OsvSource

SOURCES: dict[str, Source] = {
    "osv": OsvSource(),
    "datadog": DataDogSource(),
    "maloss": MalossSource(),
    "list": ListSource(),
}
