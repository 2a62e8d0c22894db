"""Data shipped with malgraph: the OSV schema and the bundled sample (see sample/NOTICE.md)."""
