"""Hydra's composition errors, raised through ``@hydra.main``, as assay config errors."""

from __future__ import annotations

from assay.errors import ConfigError

_CONTEXT: dict[str, object] = {}


def remember(project: object, overrides: list[str]) -> None:
    """Records what is being composed, so a later Hydra error can be located."""
    _CONTEXT.update(project=project, overrides=overrides)


def remembered_overrides() -> list[str]:
    """The overrides :func:`remember` recorded; none before a run composed anything."""
    return list(_CONTEXT.get("overrides") or [])  # type: ignore[call-overload]


def translate(error: BaseException) -> ConfigError | None:
    """A ConfigError for a Hydra or OmegaConf error; None for anything else."""
    import yaml
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(error, HydraException | OmegaConfBaseException | yaml.YAMLError):
        return None
    from assay.config.compose import config_error_from_hydra
    from assay.config.project import locate_project

    project = _CONTEXT.get("project") or locate_project()
    return config_error_from_hydra(error, project, remembered_overrides())  # type: ignore[arg-type]
