"""Relations: pure functions from store facts to edges with evidence."""
