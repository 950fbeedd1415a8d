"""A composed config without Hydra's node: what the compiler resolves and runs record."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from assay.config.sections import without_hydra

REPO = Path(__file__).resolve().parents[2]


def _composed() -> DictConfig:
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose("config", ["model.C=0.5"], return_hydra_config=True)


def test_without_hydra_keeps_every_other_key_unresolved() -> None:
    cfg = _composed()
    trimmed = without_hydra(cfg)
    whole = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(whole, dict)
    del whole["hydra"]
    assert "hydra" not in trimmed
    assert OmegaConf.to_container(trimmed, resolve=False) == whole
    assert "${" in OmegaConf.to_yaml(trimmed)  # interpolations are left as written


def test_without_hydra_is_a_copy_the_caller_may_change() -> None:
    cfg = _composed()
    before = OmegaConf.to_yaml(cfg)
    trimmed = without_hydra(cfg)
    trimmed["scratch"] = {"value": 1}  # the compiler adds slots at the root to resolve values
    trimmed.model.C = 99.0
    del trimmed["data"]
    assert OmegaConf.to_yaml(cfg) == before
    assert cfg.model.C == 0.5
