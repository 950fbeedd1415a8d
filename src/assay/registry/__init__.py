"""The model registry: immutable versions with their lineage, aliases, tags and gates."""

from assay.config.schema import LATEST
from assay.registry.gate import GateDecision, decide_promotion
from assay.registry.loading import load_model
from assay.registry.refs import Reference, parse_reference
from assay.registry.versions import (
    DatasetUse,
    ModelRegistry,
    ModelVersion,
    NewVersion,
    Promotion,
    RegistryError,
    check_alias,
)

__all__ = [
    "LATEST",
    "DatasetUse",
    "GateDecision",
    "ModelRegistry",
    "ModelVersion",
    "NewVersion",
    "Promotion",
    "Reference",
    "RegistryError",
    "check_alias",
    "decide_promotion",
    "load_model",
    "parse_reference",
]
