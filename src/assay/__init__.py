"""assay: a declarative ML pipeline compiler.

Hydra configs and pipeline specs compile into a fingerprinted networkx plan that
runs on Dask, with every result cached in a content-addressed store.
"""

__version__ = "0.1.0"
