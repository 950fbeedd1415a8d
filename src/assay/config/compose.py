"""Composing the config with Hydra, and turning Hydra's errors into assay's.

``assay run`` composes through ``@hydra.main`` (so multirun, ``--cfg`` and output
directories behave as in any Hydra app); ``assay plan`` composes once with Hydra's
compose API, which creates no output directory. Both report composition errors the
same way, through :func:`config_error_from_hydra`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assay.config.project import Project, display_path
from assay.errors import ConfigError, Problem, did_you_mean, one_of

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from assay.config.validate import ConfigOrigin

CONFIG_NAME = "config"



def compose(project: Project, overrides: Sequence[str]) -> DictConfig:
    """The composed config (with its ``hydra`` node) for ``overrides``.

    Raises:
        ConfigError: for an unknown group option, key or malformed override.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    check_overrides(overrides)
    check_override_values(project, overrides)
    try:
        with initialize_config_dir(config_dir=str(project.config_dir), version_base="1.3"):
            return hydra_compose(CONFIG_NAME, overrides=list(overrides), return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as error:
        raise config_error_from_hydra(error, project, overrides) from error


def expand_sweep(project: Project, overrides: Sequence[str]) -> list[list[str]]:
    """The override list of every job of a sweep, in the order Hydra's basic sweeper runs them.

    Understands Hydra's sweep grammar: ``a,b``, ``choice()``, ``range()`` and ``glob()``.

    Raises:
        ConfigError: for a malformed override or a sweep the basic sweeper cannot expand.
    """
    from hydra import initialize_config_dir
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    check_overrides(overrides)
    check_override_values(project, overrides)
    try:
        with initialize_config_dir(config_dir=str(project.config_dir), version_base="1.3"):
            loader = GlobalHydra.instance().config_loader()
            parsed = OverridesParser.create(config_loader=loader).parse_overrides(list(overrides))
            batches = BasicSweeper.split_arguments(parsed, max_batch_size=None)
    except HydraException as error:
        raise config_error_from_hydra(error, project, overrides) from error
    return [list(job) for batch in batches for job in batch]


MAX_KEY_PART = 200
"""The longest key (between slashes) an override may have: Hydra looks keys up as file
names, and a file system refuses names over 255 bytes with an OSError."""

MAX_NESTING = 32
"""The deepest nesting of ``[]``, ``{}``, ``()`` and ``${}`` an override's value may have:
far deeper than any config needs, and far from where parsing it exhausts Python's stack."""


def check_overrides(overrides: Sequence[str]) -> None:
    """Refuses overrides whose shape Hydra cannot handle, before Hydra sees them.

    Raises:
        ConfigError: for a key part longer than :data:`MAX_KEY_PART` characters or a value
            nested deeper than :data:`MAX_NESTING` levels, naming the override.
    """
    problems = []
    for override in overrides:
        key, _, value = override.partition("=")
        shown = _shortened(override)
        longest = max((len(part) for part in key.lstrip("+~").split("/")), default=0)
        if longest > MAX_KEY_PART:
            problems.append(Problem(
                f"the key is {longest} characters long",
                file=f"command line '{shown}'", key=_shortened(key.lstrip("+~")),
                expected=f"at most {MAX_KEY_PART} characters between slashes (Hydra looks a "
                         "key up as a file name)",
                hint="`assay run --cfg job` shows the keys the config has"))
        depth = nesting_depth(value)
        if depth > MAX_NESTING:
            problems.append(Problem(
                f"the value nests {depth} levels deep",
                file=f"command line '{shown}'", key=_shortened(key.lstrip("+~")),
                expected=f"at most {MAX_NESTING} levels of nested [], {{}}, () and ${{}}",
                hint="put a deeply nested value in a config file instead"))
    if problems:
        raise ConfigError(problems)


def check_override_values(project: Project, overrides: Sequence[str]) -> None:
    """Refuses overrides Hydra parses but then fails on with a ValueError or a TypeError.

    Those are a number past Python's 4300-digit limit, and a config group given something
    other than option names (``data=1``, ``~data=1``, ``data=null``, ``data=[1, 2]``) or
    an override with no key (``=0``).

    Raises:
        ConfigError: naming each such override (and a group's options).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    problems = []
    for text in overrides:
        try:
            override = parser.parse_override(text)
        except HydraException:
            continue  # malformed: Hydra reports it with its own message
        except ValueError as error:  # int() of a number past Python's digit limit
            problems.append(Problem(
                f"a value cannot be read: {error}", file=f"command line '{_shortened(text)}'",
                key=_shortened(text.split("=", 1)[0].lstrip("+~")),
                expected="numbers of at most 4300 digits", hint="quote the value to keep it as text"))
            continue
        group = override.key_or_group
        if override.is_sweep_override() or not _is_group(project, group):
            continue
        value = override.value()
        if group and _names_options(value, override.is_delete()):
            continue
        options = _options(project, group) if group else []
        problems.append(Problem(
            f"'{group}' is a config group: its value names an option" if group
            else "the override names no key",
            file=f"command line '{text}'",
            key=group or None,
            expected=one_of(options) if options else "an option name" if group
            else "key=value, group=option, +key=value or ~key",
            got=repr(value) if group else None,
            hint=f"quote an option name that reads as a number: {group}='{value}'"
            if group and isinstance(value, int | float) and not isinstance(value, bool) else None,
        ))
    if problems:
        raise ConfigError(problems)


def _is_group(project: Project, key: str) -> bool:
    """Whether ``key`` names a config group (Hydra's own groups, under hydra/, included)."""
    if not key or "/" in key:
        return True
    try:
        return (project.config_dir / key).is_dir()
    except OSError:  # a name too long for the file system is no group
        return False


def _names_options(value: Any, delete: bool) -> bool:
    """Whether ``value`` is what Hydra takes for a group: option names (or none, to delete)."""
    if value is None:
        return delete
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(name, str) for name in value))


def _options(project: Project, group: str) -> list[str]:
    try:
        return sorted(p.stem for p in (project.config_dir / group).glob("*.yaml"))
    except OSError:
        return []


def nesting_depth(text: str) -> int:
    """The deepest nesting of brackets in ``text`` (quoted text too: it may interpolate)."""
    depth = deepest = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "[{(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]})":
            depth = max(0, depth - 1)
    return deepest


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit - 3]}..."


def origin_of(cfg: DictConfig, project: Project) -> ConfigOrigin:
    """Where each value of a composed config came from."""
    from omegaconf import OmegaConf

    from assay.config.validate import ConfigOrigin

    hydra_node = cfg.get("hydra") if "hydra" in cfg else _running_hydra_config()
    if hydra_node is None:
        return ConfigOrigin(project.config_dir, {}, ())
    choices = OmegaConf.to_container(hydra_node.runtime.choices)
    overrides = OmegaConf.to_container(hydra_node.overrides.task)
    return ConfigOrigin(project.config_dir, choices, tuple(overrides))  # type: ignore[arg-type]


def _running_hydra_config() -> DictConfig | None:
    """Inside ``@hydra.main`` the job config has no ``hydra`` node; Hydra keeps it aside."""
    from hydra.core.hydra_config import HydraConfig

    node: Any = HydraConfig.get() if HydraConfig.initialized() else None
    return node  # type: ignore[no-any-return]


def config_error_from_hydra(
    error: BaseException, project: Project, overrides: Sequence[str]
) -> ConfigError:
    """A ConfigError that says what Hydra could not do, where, and how to fix it."""
    from hydra.errors import MissingConfigException, OverrideParseException

    config_dir = display_path(project.config_dir)
    yaml_error = _yaml_cause(error)
    if yaml_error is not None:
        return _malformed_yaml(yaml_error)
    if isinstance(error, MissingConfigException):
        return _missing_option(error, config_dir, overrides)
    if isinstance(error, OverrideParseException):
        return ConfigError(
            Problem(
                f"cannot parse the command-line override '{error.override}'",
                key=error.override.split("=", 1)[0],
                expected="key=value, group=option, +key=value or ~key",
                hint=error.message.splitlines()[-2 if "See https" in error.message else -1],
            )
        )
    cause = error.__cause__
    text = str(error)
    match = re.search(r"Could not override '([^']+)'", text)
    if match:
        key = match.group(1)
        detail = str(cause).splitlines()[0] if cause else ""
        override = next((o for o in overrides if o.split("=", 1)[0].lstrip("+~") == key), key)
        return ConfigError(
            Problem(
                f"cannot set '{key}' from the command line: {detail}".rstrip(": "),
                file=f"command line '{override}'",
                key=key,
                expected="a key that exists in the composed config",
                hint=f"to add a new key use +{key}=...; `assay run --cfg job` shows every key",
            )
        )
    match = re.search(r"Could not append to config\. An item is already at '([^']+)'", text)
    if match:
        key = match.group(1)
        return ConfigError(
            Problem(
                f"'{key}' already exists; + adds only new keys",
                key=key,
                hint=f"drop the '+': {key}=...",
            )
        )
    first = text.splitlines()[0] if text else type(error).__name__
    if cause is not None:
        first = f"{first} ({str(cause).splitlines()[0]})"
    return ConfigError(Problem(f"the config cannot be composed: {first}", file=config_dir))


def _missing_option(error: object, config_dir: str, overrides: Sequence[str]) -> ConfigError:
    missing = getattr(error, "missing_cfg_file", None) or ""
    options = list(getattr(error, "options", None) or [])
    text = str(error)
    if not missing:
        match = re.search(r"Could not find '([^']+)'", text)
        missing = match.group(1) if match else ""
    group, _, option = missing.rpartition("/")
    if not group:
        return ConfigError(
            Problem(
                f"config '{missing}' not found",
                file=config_dir,
                hint="check the defaults list in config.yaml",
            )
        )
    override = next((o for o in overrides if o.split("=", 1)[0].lstrip("+~") == group), None)
    where = f"command line '{override}'" if override else f"{config_dir}/config.yaml"
    return ConfigError(
        Problem(
            f"no option '{option}' in config group '{group}'",
            file=where,
            key=group,
            expected=one_of(options),
            got=repr(option),
            hint=did_you_mean(option, options) or f"add {config_dir}/{group}/{option}.yaml",
        )
    )


def _yaml_cause(error: BaseException) -> BaseException | None:
    import yaml

    current: BaseException | None = error
    while current is not None:
        if isinstance(current, yaml.YAMLError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _malformed_yaml(error: BaseException) -> ConfigError:
    mark = getattr(error, "problem_mark", None)
    where = f"{display_path(mark.name)}:{mark.line + 1}:{mark.column + 1}" if mark else None
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    return ConfigError(
        Problem(
            f"malformed YAML: {problem}" + (f" ({context})" if context else ""),
            file=where,
            expected="valid YAML: 'key: value' pairs, lists in [] or '- ' items",
            hint="check brackets, quotes and indentation around that line",
        )
    )
