"""The libraries an embedded LocalCluster's workers need, imported before they run tasks.

A fresh worker process pays about 2 s importing pandas, pyarrow and scikit-learn. The
worker server (a forkserver) imports this module once and forks warm workers; where
there is no forkserver, each worker imports it as it starts (Dask ``preload``). Either
way it happens while the client is still composing and compiling, off the critical path
of the first task each worker runs.
"""

import hydra.utils  # noqa: F401  (steps build estimators with Hydra's instantiate)
import pandas  # noqa: F401
import pyarrow.parquet  # noqa: F401
import sklearn.base
import sklearn.linear_model
import sklearn.preprocessing  # noqa: F401

import assay.executor.task
import assay.steps.library  # noqa: F401
