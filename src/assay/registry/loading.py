"""Loading a registered model, and the data it was evaluated on, from a workspace's store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.registry.versions import ModelRegistry, ModelVersion, RegistryError
from assay.store import Store


def load_model(reference: str, store: str | Path = ".assay") -> Any:
    """The fitted model a reference names: ``NAME``, ``NAME:vN`` or ``NAME@ALIAS``.

    The result is the pipeline the train step fitted (features, then the estimator), so
    it takes the raw feature columns: ``load_model("churn@champion").predict(frame)``.

    Raises:
        MissingStoreError: when ``store`` holds no assay store (none is created).
        RegistryError: when the reference names no version, or its model is gone from
            the store.
    """
    opened = Store.existing(store)
    try:
        return stored_model(opened, ModelRegistry(opened.metadata).resolve(reference))
    finally:
        opened.close()


def stored_model(store: Store, version: ModelVersion) -> Any:
    """The model artifact of ``version`` in ``store``."""
    if store.artifacts.manifest(version.model_fingerprint) is None:
        raise RegistryError(f"the model of {version.ref} is no longer in {store.root}",
                            hint=f"run `assay reproduce {version.ref}` to rebuild it")
    return store.artifacts.read(version.model_fingerprint, "model")


def stored_dataset(store: Store, version: ModelVersion, role: str) -> Any | None:
    """The ``role`` dataset (``train`` or ``test``) of ``version``, or None if it is gone."""
    use = next((d for d in version.datasets if d.role == role), None)
    manifest = store.artifacts.manifest(use.fingerprint) if use is not None else None
    if use is None or manifest is None:
        return None
    # The producing node's output of that name (``split.test``), else its only dataset.
    datasets = [name for name, out in manifest.outputs.items() if out.kind == "dataset"]
    output = role if role in datasets else (datasets[0] if len(datasets) == 1 else None)
    return store.artifacts.read(use.fingerprint, output) if output else None
