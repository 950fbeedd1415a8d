"""A Hydra launcher that runs the jobs of a sweep on Dask, as one deduplicated plan."""
