"""End-to-end tests start real external components (a Dask scheduler and workers)."""
