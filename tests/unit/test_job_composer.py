"""The launcher's job composer gives exactly the configs Hydra's own composition gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from hydra.types import HydraContext, RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from hydra_plugins.assay_launcher.compose import JobComposer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def hydra_sweep() -> Iterator[tuple[HydraContext, DictConfig]]:
    """A Hydra context and the master config of a multirun, as a launcher receives them."""
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        master = loader.load_configuration("config", ["hydra.verbose=false"], RunMode.MULTIRUN)
        yield HydraContext(config_loader=loader, callbacks=None), master  # type: ignore[arg-type]


def _hydra_composed(context: HydraContext, master: DictConfig, num: int,
                    overrides: list[str]) -> DictConfig:
    config = context.config_loader.load_sweep_config(master, overrides)
    with open_dict(config):
        config.hydra.job.id = num
        config.hydra.job.num = num
    return config


@pytest.mark.parametrize("overrides", [
    ["features=minmax", "model.C=0.5"],
    ["model.C=2.0"],
    ["split.seed=3", "model=random_forest", "model.n_estimators=10"],
    ["data.n_rows=500", "data=synthetic", "evaluate.cv_folds=3"],
    ["hydra.job.chdir=true", "model.C=3"],
    ["+extra=1", "model.C=1"],
    ["~evaluate.seed", "features=standard"],
    ["model=logistic", "model.max_iter=50", "model.C='${split.seed}'"],
])
def test_equal_to_hydras_composition(hydra_sweep: tuple[HydraContext, DictConfig],
                                     overrides: list[str]) -> None:
    context, master = hydra_sweep
    composer = JobComposer(context, master)
    composer.compose(0, ["features=minmax", "model.C=0.01"])  # a base shared with later jobs
    ours = composer.compose(4, overrides)
    theirs = _hydra_composed(context, master, 4, overrides)
    assert OmegaConf.to_yaml(ours) == OmegaConf.to_yaml(theirs)
    assert OmegaConf.is_struct(ours) and OmegaConf.is_struct(theirs)
    assert OmegaConf.to_container(ours.hydra.overrides.task) == [
        o for o in overrides if not o.startswith("hydra.")]


def test_one_base_per_choice_of_groups(hydra_sweep: tuple[HydraContext, DictConfig],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    context, master = hydra_sweep
    composed: list[list[str]] = []
    original = context.config_loader.load_sweep_config

    def counting(config: DictConfig, overrides: list[str]) -> DictConfig:
        composed.append(overrides)
        return original(config, overrides)

    monkeypatch.setattr(context.config_loader, "load_sweep_config", counting)
    composer = JobComposer(context, master)
    jobs = [composer.compose(n, [f"features={f}", f"model.C={c}"])
            for n, (f, c) in enumerate((f, c) for f in ("standard", "minmax") for c in (1, 2, 3))]
    assert composed == [["features=standard"], ["features=minmax"]]
    assert [j.model.C for j in jobs] == [1, 2, 3, 1, 2, 3]
    assert [j.hydra.job.num for j in jobs] == list(range(6))
    assert jobs[0].model is not jobs[1].model  # every job owns its config


def test_unknown_key_fails_as_in_hydra(hydra_sweep: tuple[HydraContext, DictConfig]) -> None:
    context, master = hydra_sweep
    with pytest.raises(ConfigCompositionException) as theirs:
        _hydra_composed(context, master, 0, ["model.Cx=1"])
    with pytest.raises(ConfigCompositionException) as ours:
        JobComposer(context, master).compose(0, ["model.Cx=1"])
    assert str(ours.value) == str(theirs.value)
