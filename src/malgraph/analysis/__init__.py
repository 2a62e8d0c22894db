"""Static features of package code, from members read in memory. Nothing is imported or run."""
