"""Analyses over the graph (the paper's research questions): pure functions of store data."""
