"""`python -m malgraph` runs the command line."""

from malgraph.cli import main

main()
