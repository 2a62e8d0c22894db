"""Relations: pure functions from typed inputs (store.read) to edges with evidence; the
pipeline reads their inputs and writes what they find."""
