"""Exports: the graph written in the formats other tools read, one module a format."""
