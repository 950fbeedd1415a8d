"""A model's kind is told without importing it, and ``data.task`` is checked against it
(or set from it) before anything runs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from assay.compiler.resolve import StepInstance
from assay.compiler.spec import StepEntry
from assay.compiler.task_kind import model_kind, settle_task

SHIPPED = {
    "sklearn.linear_model.LogisticRegression": "classifier",
    "sklearn.linear_model.Ridge": "regressor",
    "sklearn.ensemble.HistGradientBoostingClassifier": "classifier",
    "sklearn.ensemble.HistGradientBoostingRegressor": "regressor",
    "sklearn.ensemble.RandomForestClassifier": "classifier",
    "sklearn.svm.SVC": "classifier",
    "assay.torch.TorchClassifier": "classifier",
    "assay.torch.TorchRegressor": "regressor",
    "assay.torch.MLPClassifier": "classifier",
    "assay.torch.MLPRegressor": "regressor",
    "sklearn.pipeline.Pipeline": None,
}


def test_kinds_are_read_from_source_without_importing_sklearn_or_torch() -> None:
    script = textwrap.dedent(f"""
        import json, sys
        from assay.compiler.task_kind import model_kind
        kinds = {{p: model_kind(p) for p in {list(SHIPPED)!r}}}
        print(json.dumps([kinds, "sklearn" in sys.modules, "torch" in sys.modules]))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    kinds, sklearn_imported, torch_imported = json.loads(out)
    assert kinds == SHIPPED
    assert not sklearn_imported and not torch_imported


def test_an_imported_class_is_inspected_directly() -> None:
    import sklearn.linear_model  # noqa: F401  (imported: the live path answers)

    assert model_kind("sklearn.linear_model.Lasso") == "regressor"
    assert model_kind("sklearn.linear_model.RidgeClassifier") == "classifier"


def test_a_project_estimator_is_followed_through_its_bases(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "kindpkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .models import Mine, Custom, Declared, Unknown\n")
    (package / "models.py").write_text(textwrap.dedent("""
        from sklearn.base import BaseEstimator, RegressorMixin as Reg
        import sklearn.base

        class _Base(Reg, BaseEstimator):
            pass

        class Mine(_Base):
            pass

        class Custom(sklearn.base.ClassifierMixin, BaseEstimator):
            pass

        class Declared:
            _estimator_type = "classifier"

        class Unknown(BaseEstimator):
            pass
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert model_kind("kindpkg.Mine") == "regressor"
    assert model_kind("kindpkg.Custom") == "classifier"
    assert model_kind("kindpkg.Declared") == "classifier"
    assert model_kind("kindpkg.Unknown") is None
    assert model_kind("kindpkg.Nothing") is None
    assert model_kind("nomodule_here.Thing") is None


def _cfg(task: str, model: str) -> object:
    return OmegaConf.create({"data": {"_target_": "assay.steps.sources.CsvFile", "path": "x.csv",
                                      "target": "y", "task": task},
                             "model": {"_target_": model}})


def test_auto_takes_the_models_task_in_the_config_itself() -> None:
    cfg = _cfg("auto", "sklearn.ensemble.HistGradientBoostingRegressor")
    check = settle_task(cfg)
    assert check.task == "regression" and OmegaConf.select(cfg, "data.task") == "regression"
    cfg = _cfg("auto", "sklearn.linear_model.LogisticRegression")
    assert settle_task(cfg).task == "classification"


def test_auto_stays_auto_when_the_kind_is_unknown() -> None:
    cfg = _cfg("auto", "sklearn.pipeline.Pipeline")
    assert settle_task(cfg).task == "auto" and OmegaConf.select(cfg, "data.task") == "auto"


def _locate(instance: StepInstance):  # type: ignore[no-untyped-def]
    from assay.compiler.params import ParamSite

    return lambda path: ParamSite("configs/model/x.yaml", instance.entry.name, "model")


def _train_step(model: str) -> StepInstance:
    entry = StepEntry(name="train", uses="train_model", params={}, inputs={})
    return StepInstance(entry, "train", {"estimator": {"_target_": model}})


@pytest.mark.parametrize(("task", "model", "message"), [
    ("classification", "sklearn.ensemble.HistGradientBoostingRegressor",
     "HistGradientBoostingRegressor is a regressor, but 'x.csv' is a classification task"),
    ("regression", "sklearn.linear_model.LogisticRegression",
     "LogisticRegression is a classifier, but 'x.csv' is a regression task"),
])
def test_a_model_of_the_other_task_is_a_problem_naming_data_task(task: str, model: str,
                                                                 message: str) -> None:
    check = settle_task(_cfg(task, model))
    (problem,) = check.problems([_train_step(model)], _locate)
    assert problem.message == message and problem.step == "train" and problem.key == "model"
    assert problem.hint is not None and "data.task=" in problem.hint


def test_no_problem_when_they_agree_or_no_step_trains_the_model() -> None:
    model = "sklearn.linear_model.Ridge"
    assert settle_task(_cfg("regression", model)).problems([_train_step(model)], _locate) == []
    other = _train_step("sklearn.linear_model.Lasso")
    assert settle_task(_cfg("classification", model)).problems([other], _locate) == []
