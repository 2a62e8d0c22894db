"""malgraph: one knowledge graph of malicious open-source packages from many sources."""

__version__ = "0.1.0"
