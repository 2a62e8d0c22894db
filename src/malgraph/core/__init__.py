"""The bottom layer: types and pure helpers that every layer above shares."""
