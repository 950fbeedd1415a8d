"""Feature transformers: building them from config and fitting them on training data."""

from __future__ import annotations

from typing import Any

from assay.artifacts import Dataset, Transformer
from assay.catalog import Target, step
from assay.errors import DataError, Problem
from assay.steps.instantiate import build


def tabular(numeric: Any = "passthrough", categorical: Any = None) -> Any:
    """A ColumnTransformer that treats numeric and categorical columns separately.

    Args:
        numeric: Transformer for numeric columns, ``"passthrough"`` or ``"drop"``.
        categorical: Transformer for string, category and boolean columns,
            ``"passthrough"``, ``"drop"``, or None to refuse data that has such columns.

    Returns:
        An unfitted ``sklearn.compose.ColumnTransformer``.
    """
    from sklearn.compose import ColumnTransformer, make_column_selector

    parts = [("numeric", numeric, make_column_selector(dtype_include="number"))]
    if categorical is not None:
        parts.append(("categorical", categorical, make_column_selector(dtype_exclude="number")))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)


@step(outputs={"transformer": Transformer})
def fit_features(data: Dataset, *, transformer: Target) -> Transformer:
    """Fits the configured transformer on the training features."""
    built = build(transformer, "transformer")
    features = data.features
    try:
        built.fit(features, data.labels)
    except ValueError as error:
        raise DataError(
            Problem(
                f"the features config cannot be fitted on '{data.name}': {error}",
                key="transformer",
                hint="pick a features option that matches the column types",
            )
        ) from error
    _refuse_unused_columns(built, features, transformer)
    return Transformer(built)


def _refuse_unused_columns(fitted: Any, features: Any, config: Target) -> None:
    """A ColumnTransformer must not silently drop columns it was not told to drop."""
    for name, kind, columns in getattr(fitted, "transformers_", []):
        if name != "remainder" or kind != "drop" or len(columns) == 0:
            continue
        names = [str(features.columns[c]) if isinstance(c, int) else str(c) for c in columns]
        raise DataError(
            Problem(
                f"columns {names} are not numeric, and the features config "
                f"({config.get('_target_')}) has no encoder for them",
                key="transformer",
                expected="numeric columns only, or a features option that encodes the others",
                hint="use features=onehot_standard, or set categorical: drop to drop them",
            )
        )
