"""Imported by every worker of an embedded LocalCluster as it starts (Dask ``preload``).

A fresh worker process pays about 2 s importing pandas, pyarrow and scikit-learn; doing
it at start-up, while the client is still composing and compiling, keeps it off the
critical path of the first task each worker runs.
"""

import pandas  # noqa: F401
import pyarrow.parquet  # noqa: F401
import sklearn.base
import sklearn.linear_model
import sklearn.preprocessing  # noqa: F401

import assay.executor.task
import assay.steps.library  # noqa: F401
