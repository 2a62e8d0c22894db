"""Orchestration: runs parsers, analysers and relations over the store and writes what they find."""
