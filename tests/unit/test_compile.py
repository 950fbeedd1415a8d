from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import tests.sample_steps  # noqa: F401  (declares the sample steps)
from assay.artifacts import Metrics
from assay.catalog import StepCatalog, catalog_of_declared, step
from assay.compiler import Plan, compile_plan, load_spec
from assay.config.compose import compose, origin_of
from assay.config.project import locate_project
from assay.errors import CompileError
from assay.steps import default_catalog

REPO = Path(__file__).resolve().parents[2]


def _compile(overrides: list[str] = (), spec_text: str | None = None, tmp: Path | None = None) -> Plan:  # type: ignore[assignment]
    project = locate_project(REPO)
    cfg = compose(project, list(overrides))
    default_catalog()
    if spec_text is None:
        spec = load_spec(REPO / "pipelines" / "train.yaml")
    else:
        assert tmp is not None
        path = tmp / "custom.yaml"
        path.write_text(textwrap.dedent(spec_text))
        spec = load_spec(path)
    return compile_plan(spec, cfg, catalog_of_declared(), hash_file=lambda p: "h",
                        base_dir=REPO, origin=origin_of(cfg, project))


def test_default_plan_has_the_nine_steps_wired() -> None:
    plan = _compile()
    assert plan.order() == ["load", "validate", "split", "features", "profile_train", "train",
                            "evaluate", "profile", "register"]
    assert plan.producers("train") == ["features", "split"]
    assert plan.node("train").params["estimator"]["_target_"] == (
        "sklearn.linear_model.LogisticRegression"
    )
    assert plan.producers("register") == ["evaluate", "split", "train", "validate"]
    assert plan.producers("profile") == ["profile_train", "split", "train"]
    assert plan.producers("profile_train") == ["split"]
    assert len({n.fingerprint for n in plan}) == 9


def test_fingerprints_are_stable_across_compiles() -> None:
    assert [n.fingerprint for n in _compile()] == [n.fingerprint for n in _compile()]


def test_a_model_parameter_changes_only_train_and_downstream() -> None:
    before = {n.id: n.fingerprint for n in _compile()}
    after = {n.id: n.fingerprint for n in _compile(["model.C=0.5"])}
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"train", "evaluate", "profile", "register"}


def test_cross_validation_adds_one_node_per_fold_and_a_summary() -> None:
    plan = _compile(["evaluate.cv_folds=3"])
    folds = [n for n in plan.order() if n.startswith("cv_fold")]
    assert folds == ["cv_fold[0]", "cv_fold[1]", "cv_fold[2]"]
    assert [plan.node(f).params["fold"] for f in folds] == [0, 1, 2]
    assert plan.producers("cross_validation") == folds
    binding = plan.node("cross_validation").inputs[0]
    assert binding.many and len(binding.sources) == 3


def test_every_wiring_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as error:
        _compile(spec_text="""
            steps:
              a: {uses: sample_constnat}
              b: {uses: sample_constant, with: {valeu: 2}}
              c: {uses: sample_constant, with: {value: "high"}}
              d:
                uses: sample_add
                inputs: {left: b.metrics}
              e:
                uses: sample_add
                inputs: {left: b.metric, right: f.metrics}
              f:
                uses: sample_add
                inputs: {left: e.metrics, right: c.metrics}
                with: {offset: 99}
              g:
                uses: sample_rows
                inputs: {data: c.metrics}
              h:
                uses: sample_constant
                with: {value: "${modell.C}"}
        """, tmp=tmp_path)
    text = str(error.value)
    expected = [
        "step 'a', key 'uses': unknown step 'sample_constnat'",
        "did you mean 'sample_constant'?",
        "step 'b', key 'with.valeu': step 'sample_constant' has no parameter 'valeu'",
        "did you mean 'value'?",
        "step 'c', key 'with.value': the 'value' parameter of step 'sample_constant' must be a number",
        "got: 'high' (str)",
        "step 'd', key 'inputs.right': input 'right' of step 'sample_add' is not connected",
        "step 'e', key 'inputs.left': input 'left' reads 'b.metric', but step 'b' (sample_constant)"
        " has no output 'metric'",
        "the steps form a cycle: e -> f -> e",
        "step 'f', key 'with.offset': the 'offset' parameter of step 'sample_add' must be a number"
        " in [0, 10]",
        "step 'g', key 'inputs.data': input 'data' expects a dataset, but 'c.metrics' is a metrics",
        "step 'h', key 'with.value': cannot resolve an interpolation",
    ]
    for fragment in expected:
        assert fragment in text, fragment
    assert text.startswith(f"{len(error.value.problems)} problems found in the pipeline")


def test_a_target_that_does_not_import_is_located_in_the_config() -> None:
    with pytest.raises(CompileError) as error:
        _compile(["model._target_=sklearn.linear_model.LogisticRegresion"])
    assert re.search(
        r"command line 'model._target_=sklearn.linear_model.LogisticRegresion', step 'train', "
        r"key 'model._target_': _target_ 'sklearn.linear_model.LogisticRegresion' cannot be "
        r"imported", str(error.value))
    assert "did you mean 'LogisticRegression'?" in str(error.value)


def test_two_steps_with_one_name_must_be_named_by_path(tmp_path: Path) -> None:
    from assay.artifacts import Metrics

    def make(module: str):  # type: ignore[no-untyped-def]
        def twin(*, value: int = 1) -> Metrics:
            return Metrics({"value": value})

        twin.__module__ = module
        twin.__qualname__ = "twin"
        return step(outputs={"metrics": Metrics})(twin).__assay_step__

    catalog = StepCatalog([make("pkg_a.steps"), make("pkg_b.steps")])
    with pytest.raises(LookupError, match=re.escape(
            "several steps are named 'twin' (pkg_a.steps:twin, pkg_b.steps:twin)")):
        catalog.resolve("twin")
