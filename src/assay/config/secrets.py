"""Keeping credentials out of everything assay stores, prints or exports.

A config value is a secret when its key names a credential (``api_token``, ``password``,
``client_secret``, ``aws_access_key``, ...) or when it comes from the environment
(``${oc.env:HF_TOKEN}``, seen on the config before interpolations are resolved). Such
values are replaced by ``***`` wherever a config, an override or a command line is
recorded (runs, model versions, node history), shown (``assay models show``, ``assay
runs show``) or exported (model cards, the report, Hugging Face and Model Card
Toolkit files); any other string that contains one has it masked the same way.

Only what is stored, shown or exported is redacted: steps receive the real values.
A card is never rewritten, so a value in clear there would stay forever: redaction
happens where config enters the store, and readers redact by key name again for
records written before.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

REDACTED = "***"

_WORDS = frozenset({
    "token", "secret", "secrets", "password", "passwords", "passwd", "pwd", "passphrase",
    "credential", "credentials", "creds", "auth", "authorization", "apikey", "bearer",
    "cookie", "privatekey", "accesskey", "secretkey", "sessionkey",
})
"""Name parts that alone make a key a credential (``tokens``, ``tokenizer``, ``author``
are other words)."""
_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"),
    ("session", "key"), ("signing", "key"), ("encryption", "key"), ("client", "secret"),
    ("account", "key"), ("master", "key"),
})
"""Two consecutive name parts that make a key a credential (``key`` alone does not)."""
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_ENV = "oc.env:"
_HINT = re.compile(r"token|secret|passw|pwd|passphrase|cred|auth|key|bearer|cookie", re.I)
"""Text without any of these holds no credential key (a cheap test before parsing)."""
_MIN_MASKED = 4
"""Shorter secret values are redacted where they stand but not searched for inside other
text: masking every "1" of a log would hide everything and protect nothing."""


@functools.lru_cache(maxsize=4096)
def is_secret_key(name: object) -> bool:
    """Whether a config key names a credential: ``api_token``, ``hfToken``, ``db-password``."""
    parts = [p.lower() for p in _SPLIT.split(str(name)) if p]
    if any(p in _WORDS for p in parts):
        return True
    return any(pair in _PAIRS for pair in itertools.pairwise(parts))


def _is_value(value: Any) -> bool:
    """Values worth hiding: flags and nulls say nothing (``use_auth_token: true``)."""
    return value is not None and not isinstance(value, bool) and value != ""


@dataclass(frozen=True)
class Redactor:
    """Redacts the secrets of one config: by key name, by path and by value.

    Attributes:
        paths: Dotted key paths whose values are secrets (from ``${oc.env:...}`` or a
            credential key), as found in the unresolved config.
        values: The secret values themselves, as text, to mask inside other strings.
    """

    paths: frozenset[str] = frozenset()
    values: frozenset[str] = field(default_factory=frozenset)

    def text(self, text: str) -> str:
        """``text`` with every secret value in it replaced by ``***``."""
        for secret in sorted(self.values, key=len, reverse=True):
            if len(secret) >= _MIN_MASKED and secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def data(self, value: Any, path: str = "") -> Any:
        """A copy of plain data (mappings, lists, scalars) with its secrets redacted."""
        if isinstance(value, Mapping):
            redacted = {}
            for key, child in value.items():
                child_path = f"{path}.{key}" if path else str(key)
                secret = is_secret_key(key) or child_path in self.paths
                redacted[key] = (REDACTED if secret and _is_value(child)
                                 else self.data(child, child_path))
            return redacted
        if isinstance(value, list | tuple):
            return [self.data(child, f"{path}.{index}" if path else str(index))
                    for index, child in enumerate(value)]
        if isinstance(value, str):
            return self.text(value)
        return value

    def overrides(self, overrides: Iterable[str]) -> list[str]:
        """Command-line overrides with secret values shown as ``***`` (``data.api_token=***``)."""
        return [self.override(o) for o in overrides]

    def override(self, override: str) -> str:
        """One ``key=value`` override, its value redacted when the key is a secret."""
        key, equals, value = override.partition("=")
        name = key.lstrip("+~")
        if equals and value and (name in self.paths or any(is_secret_key(p) for p in
                                                           name.split("."))):
            return f"{key}={REDACTED}"
        return self.text(override)

    def config_yaml(self, cfg: Any, resolve: bool = True) -> str:
        """``cfg`` without Hydra's node as YAML, its secrets redacted; ``resolve``:
        interpolations resolved where they resolve."""
        from omegaconf import OmegaConf

        return OmegaConf.to_yaml(OmegaConf.create(self.data(_plain(cfg, resolve=resolve))))


def redactor_for(cfg: Any) -> Redactor:
    """The redactor of a composed config (its unresolved form shows ``${oc.env:...}``)."""
    candidates: list[str] = []
    _collect(_plain(cfg, resolve=False), "", False, candidates)
    paths: set[str] = set()
    values: set[str] = set()
    for path in candidates:  # resolved one by one: resolving the whole config cost more
        value = _selected(cfg, path)
        if _is_value(value):
            paths.add(path)
            values.add(str(value))
    return Redactor(frozenset(paths), frozenset(values))


def _selected(cfg: Any, path: str) -> Any:
    from omegaconf import DictConfig, ListConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(cfg, DictConfig | ListConfig):
        node: Any = cfg
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node.get(part)
        return node
    try:
        return OmegaConf.select(cfg, path, throw_on_missing=False)
    except OmegaConfBaseException:
        return None  # an interpolation that does not resolve holds no value to hide


def _plain(cfg: Any, resolve: bool) -> Any:
    from omegaconf import DictConfig, ListConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(cfg, DictConfig | ListConfig):
        return cfg
    if not isinstance(cfg, DictConfig) or "hydra" not in cfg:
        try:
            return OmegaConf.to_container(cfg, resolve=resolve)
        except OmegaConfBaseException:
            if not resolve:
                raise
            return _resolved_where_possible(cfg)
    # Group by group, leaving Hydra's large node out (a masked copy of the rest cost more
    # than converting it); a child still resolves interpolations against the whole tree.
    plain = {}
    for key in cfg:
        if key == "hydra":
            continue
        node = cfg._get_node(key)
        try:
            if isinstance(node, DictConfig | ListConfig):
                plain[key] = OmegaConf.to_container(node, resolve=resolve)
            else:
                plain[key] = cfg[key] if resolve else node._value()  # type: ignore[union-attr]
        except OmegaConfBaseException:
            if not resolve:
                raise
            plain[key] = _resolved_where_possible(node)
    return plain


def _resolved_where_possible(node: Any) -> Any:
    """Resolves key by key: one broken interpolation must not leave the rest unresolved
    (and so a secret elsewhere unknown)."""
    from omegaconf import DictConfig, ListConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(node, DictConfig):
        out = {}
        for key in node:
            try:
                child = node[key]
            except OmegaConfBaseException:
                child = OmegaConf.to_container(node, resolve=False)[key]  # type: ignore[index]
            out[key] = _resolved_where_possible(child)
        return out
    if isinstance(node, ListConfig):
        return [_resolved_where_possible(node[i]) for i in range(len(node))]
    return node


def _collect(raw: Any, path: str, secret: bool, found: list[str]) -> None:
    """Paths of the leaves that are secrets: under a credential key, or read from the
    environment."""
    if isinstance(raw, Mapping):
        for key, child in raw.items():
            child_path = f"{path}.{key}" if path else str(key)
            _collect(child, child_path, secret or is_secret_key(key), found)
        return
    if isinstance(raw, list):
        for index, child in enumerate(raw):
            _collect(child, f"{path}.{index}", secret, found)
        return
    if secret or (isinstance(raw, str) and _ENV in raw):
        found.append(path)


def restore_secrets(stored: Any, current: Any) -> Any:
    """``stored`` (a recorded config as plain data) with each ``***`` taken from the same
    key of ``current`` (the project's config, unresolved), so that a re-run reads the
    credential where the project keeps it (``${oc.env:HF_TOKEN}``); ``***`` stays where
    the project has no such key."""
    raw = _plain(current, resolve=False)
    return _restored(stored, raw)


def _restored(stored: Any, current: Any) -> Any:
    if isinstance(stored, Mapping):
        return {key: (current[key] if child == REDACTED and isinstance(current, Mapping)
                      and key in current else
                      _restored(child, current.get(key) if isinstance(current, Mapping) else None))
                for key, child in stored.items()}
    if isinstance(stored, list):
        return [_restored(child, current[i] if isinstance(current, list) and i < len(current)
                          else None) for i, child in enumerate(stored)]
    return stored


def masked_like(value: Any, recorded: Any) -> Any:
    """``value`` with ``***`` wherever ``recorded`` (its redacted record, such as a plan
    node's recorded params) has it."""
    if recorded == REDACTED and _is_value(value):
        return REDACTED
    if isinstance(value, Mapping) and isinstance(recorded, Mapping):
        return {k: masked_like(v, recorded.get(k)) for k, v in value.items()}
    if isinstance(value, list | tuple) and isinstance(recorded, list | tuple):
        return [masked_like(v, recorded[i] if i < len(recorded) else None)
                for i, v in enumerate(value)]
    return value


def redact_data(value: Any) -> Any:
    """Plain data with credential keys redacted (for records whose config is gone)."""
    return Redactor().data(value)


def redact_overrides(overrides: Sequence[str]) -> list[str]:
    """Overrides with credential keys' values redacted."""
    return Redactor().overrides(overrides)


def redact_command(command: str) -> str:
    """A recorded ``assay run ...`` command line with credential overrides redacted."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return command
    redacted = redact_overrides(words)
    return command if redacted == words else shlex.join(redacted)


def redact_yaml(text: str) -> str:
    """A stored YAML config with credential keys redacted; unchanged when none are there."""
    if not _HINT.search(text):
        return text  # the usual case, without parsing every stored config
    import yaml

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    redacted = redact_data(loaded)
    if redacted == loaded:
        return text  # keep the text as written (order, comments)
    return yaml.safe_dump(redacted, sort_keys=False)
