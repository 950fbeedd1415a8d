"""Parts of a composed config: one settings section as plain data, and the config without
Hydra's own node."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from assay.config.schema import SETTINGS_GROUPS


def section(cfg: Any, group: str) -> dict[str, Any]:
    """The ``group`` section of ``cfg`` merged over its schema's defaults, resolved.

    A project may leave optional sections out (or ``cfg`` may be ``None`` when a
    command runs without a composed config): the schema's defaults apply.
    """
    defaults = OmegaConf.structured(SETTINGS_GROUPS[group])
    found = cfg.get(group) if cfg is not None else None
    merged = OmegaConf.merge(defaults, found) if found is not None else defaults
    settings = OmegaConf.to_container(merged, resolve=True)
    assert isinstance(settings, dict)
    return settings  # type: ignore[return-value]


def without_hydra(cfg: Any) -> Any:
    """A copy of ``cfg`` without Hydra's own ``hydra`` node, interpolations unresolved.

    Hydra's node is large and nothing of assay's reads it (``${hydra:...}`` resolvers read
    Hydra's state, not this tree), so it is left out of what is resolved and recorded.
    """
    if isinstance(cfg, DictConfig):
        # Copies the other nodes only: converting the whole tree first cost twice as much.
        return OmegaConf.masked_copy(cfg, [str(key) for key in cfg if key != "hydra"])
    container = OmegaConf.to_container(cfg, resolve=False)
    if isinstance(container, dict):
        container.pop("hydra", None)
    return OmegaConf.create(container)
