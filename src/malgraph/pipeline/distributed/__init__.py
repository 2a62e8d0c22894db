"""Work run on a `dask.distributed` cluster (`--scheduler ADDRESS`): the same per-archive code
as the local path, with results sent back as Parquet partitions the client merges.

Dask is an optional extra (`pip install 'malgraph[dask]'`): no module here imports it at the
top, so the core install and `import malgraph.cli` never load it."""
