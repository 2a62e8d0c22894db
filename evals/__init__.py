"""Evaluations: scripts that measure how well malgraph's relations find what they should."""
