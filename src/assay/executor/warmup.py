"""The libraries local worker processes need, imported before they run tasks.

A fresh worker process pays about 2 s importing pandas, pyarrow and scikit-learn. The
worker server (a forkserver) imports this module once and forks warm workers; where
there is no forkserver, each worker imports it as it starts (Dask ``preload``). Either
way it happens while the client is still composing and compiling, off the critical path
of the first task each worker runs. Anything a worker would otherwise import on its
first tasks belongs here: imported once in the server instead of once per worker, in
the middle of the sweep, on cores the tasks need.
"""
# ruff: noqa: F401  (imported for their side effect: loaded once, before forking)

import dask.local  # the multiprocessing scheduler's task runner, unpickled per task
import hydra.utils  # steps build estimators with Hydra's instantiate
import pandas
import pyarrow.dataset  # pandas reads Parquet through it
import pyarrow.parquet
import sklearn.base
import sklearn.compose
import sklearn.linear_model
import sklearn.pipeline
import sklearn.preprocessing

import assay.executor.task
import assay.steps.library
