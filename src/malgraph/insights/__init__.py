"""Analyses over the graph (the paper's research questions): pure functions of the typed
objects store.read returns; their results are the JSON-ready numbers of report.json."""
