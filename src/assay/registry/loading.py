"""Loading a registered model, and the data it was evaluated on, from a workspace's store.

A registered model is unpickled only after its bytes match the ``model_sha256`` the
registry recorded when the version was registered: whoever can write an artifact can
rewrite its manifest too, so the manifest's own checksum proves nothing against them.
It is then unpickled through :mod:`assay.store.safe_pickle`, trusting what assay's
model kinds need and what the project in use trusts (:class:`ProjectTrust`): its
``security.allow_pickle``, and the classes the version's recorded config names as
``_target_`` that the project's target rules allow (its modules, scikit-learn, torch,
``security.allow_targets``). Security settings never come from the store: a store
someone else can write could otherwise allow its own payload.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.registry.versions import ModelRegistry, ModelVersion, RegistryError
from assay.store import Store
from assay.store.artifacts import ArtifactStore
from assay.store.codecs import codec_named
from assay.store.safe_pickle import Allowance, allowing


class ModelIntegrityError(RegistryError):
    """A registered model's bytes differ from the checksum the registry recorded (exit 2)."""


@dataclass(frozen=True)
class ProjectTrust:
    """What the project in use lets a stored model name besides assay's own list.

    Attributes:
        root: The project directory: classes of its modules that a version's recorded
            config names as ``_target_`` are trusted (None: the working directory).
        allow_pickle: ``security.allow_pickle``: exact ``module:qualname`` globals.
        allow_targets: ``security.allow_targets``: module prefixes whose classes a
            recorded ``_target_`` may name, as at compile time.
    """

    root: Path | None = None
    allow_pickle: tuple[str, ...] = ()
    allow_targets: tuple[str, ...] = ()

    @classmethod
    def of(cls, cfg: Any, root: Path) -> ProjectTrust:
        """The settings of a composed config (with its command-line overrides)."""
        from assay.config.sections import section

        security = section(cfg, "security")
        return cls(root, tuple(map(str, security.get("allow_pickle") or ())),
                   tuple(map(str, security.get("allow_targets") or ())))

    @classmethod
    def here(cls, allow_pickle: Iterable[str] = ()) -> ProjectTrust:
        """The ``security`` section of the project in the working directory's
        ``configs/config.yaml`` (none outside a project), plus ``allow_pickle``."""
        import yaml

        from assay.config.project import locate_project

        project = locate_project()
        try:
            loaded = yaml.safe_load((project.config_dir / "config.yaml").read_text())
        except (OSError, yaml.YAMLError):
            loaded = None
        security = loaded.get("security") if isinstance(loaded, dict) else None
        security = security if isinstance(security, dict) else {}
        listed = [*(security.get("allow_pickle") or ()), *allow_pickle]
        return cls(project.root, tuple(map(str, listed)),
                   tuple(map(str, security.get("allow_targets") or ())))


def load_model(reference: str, store: str | Path = ".assay",
               allow_pickle: Iterable[str] = ()) -> Any:
    """The fitted model a reference names: ``NAME``, ``NAME:vN`` or ``NAME@ALIAS``.

    The result is the pipeline the train step fitted (features, then the estimator), so
    it takes the raw feature columns: ``load_model("churn@champion").predict(frame)``.

    Args:
        reference: The version to load.
        store: The store directory.
        allow_pickle: ``module:qualname`` globals to trust besides the ``security``
            settings of the project in the working directory.

    Raises:
        MissingStoreError: when ``store`` holds no assay store (none is created).
        RegistryError: when the reference names no version, or its model is gone from
            the store.
        ModelIntegrityError: when the model's bytes are not the ones registered.
        UnsafeArtifactError: when the model names a global that is not trusted.
    """
    opened = Store.existing(store)
    try:
        version = ModelRegistry(opened.metadata).resolve(reference)
        return stored_model(opened, version, ProjectTrust.here(allow_pickle))
    finally:
        opened.close()


def stored_model(store: Store, version: ModelVersion, trust: ProjectTrust | None = None) -> Any:
    """The model artifact of ``version`` in ``store``, checked against the registry first.

    Args:
        store: The store.
        version: The registered version.
        trust: What the project trusts (default: :meth:`ProjectTrust.here`).

    Raises:
        RegistryError: when the model is gone from the store.
        ModelIntegrityError: when its bytes are not the ones registered.
        UnsafeArtifactError: when it names a global that is not trusted.
    """
    return read_registered_model(store.artifacts, version, trust or ProjectTrust.here())


def read_registered_model(artifacts: ArtifactStore, version: ModelVersion,
                          trust: ProjectTrust) -> Any:
    """:func:`stored_model` from an artifact store alone (what a worker process has)."""
    data, record_codec, meta, path = verified_model_bytes(artifacts, version)
    with allowing(version_allowance(version, trust)):
        return codec_named(record_codec).loads(data, {**meta, "source": str(path)})


def verified_model_bytes(artifacts: ArtifactStore,
                         version: ModelVersion) -> tuple[bytes, str, Mapping[str, Any], Path]:
    """The bytes of ``version``'s model, its codec, metadata and path, once they match
    the sha256 the registry recorded.

    Raises:
        RegistryError: when the model is gone from the store.
        ModelIntegrityError: when the bytes differ from the registered ones.
    """
    manifest = artifacts.manifest(version.model_fingerprint)
    record = manifest.outputs.get("model") if manifest is not None else None
    if record is None:
        raise RegistryError(f"the model of {version.ref} is no longer in {artifacts.root}",
                            hint=f"run `assay models restore {version.ref}` to rebuild it")
    path = artifacts.entry_dir(version.model_fingerprint) / record.file
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RegistryError(f"the model of {version.ref} cannot be read ({path}: "
                            f"{error.strerror or error})",
                            hint=f"run `assay models restore {version.ref}` to rebuild it"
                            ) from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != version.model_sha256:
        raise ModelIntegrityError(
            f"the model of {version.ref} ({path}) is not the one registered: its sha256 is "
            f"{digest[:12]}…, the registry recorded {version.model_sha256[:12]}…, so it was "
            "changed or damaged after registration and is not loaded",
            hint=f"run `assay verify --repair`, or `assay models restore {version.ref}`, "
                 "to put back the registered model")
    return data, record.codec, record.meta, path


def version_allowance(version: ModelVersion, trust: ProjectTrust) -> Allowance:
    """What loading ``version``'s model trusts: ``trust``'s ``allow_pickle``, and the
    classes its recorded config names as ``_target_`` that the project's target rules
    allow (a recorded target is checked again: the record lives in the store).

    Raises:
        ConfigError: a malformed ``allow_pickle`` entry.
    """
    import yaml

    from assay.compiler.allowed_targets import TargetPolicy

    try:
        config = yaml.safe_load(version.config) if version.config else None
    except yaml.YAMLError:
        config = None
    policy = TargetPolicy(trust.root or Path.cwd(), trust.allow_targets)
    targets = [t for t in config_targets(config)
               if policy.findable(t) and policy.check(t).allowed]
    return Allowance.parse(trust.allow_pickle, targets=targets)


def config_targets(config: Any) -> list[str]:
    """Every ``_target_`` path in a (plain) config, in order, without repeats."""
    return list(dict.fromkeys(_targets(config)))


def _targets(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        target = value.get("_target_")
        if isinstance(target, str):
            yield target
        for item in value.values():
            yield from _targets(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _targets(item)


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
