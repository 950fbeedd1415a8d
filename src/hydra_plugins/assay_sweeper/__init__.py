"""Hydra's basic sweeper, without composing every job twice when the assay launcher runs it."""
