"""Package code: download-only acquisition and hostile-archive-safe reading. Nothing is run."""
