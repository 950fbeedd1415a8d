"""Building objects from ``_target_`` configs inside steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.errors import ConfigError, Problem


def build(config: Mapping[str, Any], param: str) -> Any:
    """Instantiates ``config`` with Hydra, converting nested configs to plain containers.

    Args:
        config: A mapping with ``_target_``.
        param: The step parameter it came from, to locate errors.

    Raises:
        ConfigError: when the target rejects its arguments.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    try:
        return instantiate(dict(config), _convert_="all")
    except InstantiationException as error:
        cause = error.__cause__ or error
        raise ConfigError(
            Problem(
                f"cannot build {config.get('_target_')}: {str(cause).splitlines()[0]}",
                key=param,
                hint="check the parameter values of this config",
            )
        ) from error
