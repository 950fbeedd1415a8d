"""Imports every built-in step module; importing a module declares its steps."""

from assay.steps import data, evaluate, features, monitoring, register, train, validate

__all__ = ["data", "evaluate", "features", "monitoring", "register", "train", "validate"]
