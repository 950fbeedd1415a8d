"""The step library: plain functions declared with :func:`assay.catalog.step`.

Steps take values and return values. They never import the compiler, the store or
Dask; heavy libraries (pandas, scikit-learn) are imported inside the functions that
use them, so declaring the catalog stays cheap.
"""

from __future__ import annotations

from assay.catalog import StepCatalog, catalog_of_declared, load_entry_point_steps
from assay.errors import Problem


def default_catalog() -> tuple[StepCatalog, list[Problem]]:
    """The built-in steps plus every step plugin installed under ``assay.steps``.

    Returns the catalog and one problem per plugin that failed to import.
    """
    import assay.steps.library  # noqa: F401  (importing declares the built-in steps)

    problems = load_entry_point_steps()
    return catalog_of_declared(), problems
