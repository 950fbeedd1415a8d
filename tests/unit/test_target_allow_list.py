"""The ``_target_`` allow-list: what a config or a spec may make assay import and call."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assay.compiler import compile_plan, load_spec
from assay.compiler.allowed_targets import TargetPolicy, resolve_definitions
from assay.config.compose import compose, origin_of
from assay.config.project import locate_project
from assay.errors import CompileError
from assay.steps import default_catalog

REPO = Path(__file__).resolve().parents[2]
POLICY = TargetPolicy(REPO)

SHIPPED_TARGETS = [
    "sklearn.linear_model.LogisticRegression",
    "sklearn.ensemble.HistGradientBoostingClassifier",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.compose.ColumnTransformer",
    "torch.optim.AdamW",
    "torch.optim.lr_scheduler.StepLR",
    "torch.nn.Linear",
    "assay.torch.MLPClassifier",
    "assay.steps.sources.CsvFile",
    "assay.steps.features.tabular",
]


@pytest.mark.parametrize("target", SHIPPED_TARGETS)
def test_the_shipped_targets_are_allowed(target: str) -> None:
    assert POLICY.check(target).allowed, POLICY.check(target).reason


def test_names_a_module_fills_in_at_import_time_are_judged_by_their_module() -> None:
    # torch defines torch.tensor and torch.zeros in C and adds them to its namespace in a
    # loop, so only importing torch tells what they are
    assert POLICY.check("torch.tensor").allowed
    assert POLICY.check("torch.zeros").allowed


def test_a_typo_under_an_allowed_prefix_is_left_to_the_import_check() -> None:
    assert POLICY.check("sklearn.linear_model.Nope").allowed


@pytest.mark.parametrize(("target", "reason"), [
    ("pandas.read_pickle", "'pandas.read_pickle' is on assay's deny list"),
    ("builtins.getattr", "'builtins' is on assay's deny list"),
    ("os.system", "'os' is on assay's deny list"),
    ("importlib.import_module", "'importlib' is on assay's deny list"),
    ("subprocess.run", "'subprocess' is on assay's deny list"),
    ("pickle.loads", "'pickle' is on assay's deny list"),
    ("torch.load", "'torch.load' is on assay's deny list"),
    ("torch.hub.load", "'torch.hub' is on assay's deny list"),
    ("torch.jit.load", "'torch.jit' is on assay's deny list"),
    ("sklearn.datasets.fetch_openml", "'sklearn.datasets.fetch_*' is on assay's deny list"),
    # written under an allowed prefix, but what it names lives elsewhere
    ("sklearn.os.system", "'sklearn.os.system' is 'os.system': 'os' is on assay's deny list"),
    ("sklearn.base.np.load", "'sklearn.base.np.load' is 'numpy."),
    ("collections.OrderedDict", "it is outside the allowed modules"),
    ("sklearnx.evil", "it is outside the allowed modules"),
])
def test_dangerous_or_foreign_targets_are_refused(target: str, reason: str) -> None:
    verdict = POLICY.check(target)
    assert not verdict.allowed
    assert reason in verdict.reason


def test_resolution_reads_sources_without_importing_the_libraries() -> None:
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from assay.compiler.allowed_targets import TargetPolicy
        policy = TargetPolicy(Path({str(REPO)!r}))
        verdicts = [policy.check(t).allowed for t in {[*SHIPPED_TARGETS, "torch.os.system"]!r}]
        print(verdicts[-1], all(verdicts[:-1]),
              [m for m in ("sklearn", "torch", "numpy", "pandas") if m in sys.modules])
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split(None, 2) == ["False", "True", "[]\n"], result.stderr


def test_prefixes_match_whole_dotted_parts() -> None:
    policy = TargetPolicy(REPO, ["pandas"])
    assert policy.check("pandas.DataFrame").allowed
    assert not policy.check("pandasx.DataFrame").allowed
    assert not TargetPolicy(REPO, ["sklearn.linear"]).check("collections.OrderedDict").allowed


def test_a_module_prefix_does_not_lift_the_deny_list_but_an_exact_path_does() -> None:
    assert not TargetPolicy(REPO, ["pandas"]).check("pandas.read_pickle").allowed
    assert TargetPolicy(REPO, ["pandas.read_pickle"]).check("pandas.read_pickle").allowed
    assert TargetPolicy(REPO, ["torch.load"]).check("torch.load").allowed


def test_paths_that_are_not_plain_identifiers_are_refused() -> None:
    for target in ("sklearn..svm", "sklearn.svm.SVC ", "\uff53klearn.svm.SVC", ".os.system"):
        assert not POLICY.check(target).allowed, target


def _write_project_module(root: Path, name: str, body: str) -> None:
    (root / f"{name}.py").write_text(textwrap.dedent(body))


def test_project_modules_are_allowed_where_they_live(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _write_project_module(tmp_path, "allow_list_models", """
        from pickle import loads

        class Net:
            def __init__(self, width=1):
                self.width = width
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert TargetPolicy(tmp_path).check("allow_list_models.Net").allowed
    # the same module seen from another project is not that project's code
    assert not TargetPolicy(tmp_path / "elsewhere").check("allow_list_models.Net").allowed
    # a project module cannot re-export what the deny list refuses
    verdict = TargetPolicy(tmp_path).check("allow_list_models.loads")
    assert not verdict.allowed
    assert "'allow_list_models.loads' is 'pickle.loads'" in verdict.reason
    assert "allow_list_models" not in sys.modules


def test_star_imports_and_aliases_are_followed(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "allow_list_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .inner import *\nimport os as _o\nrun = _o.system\n")
    (package / "inner.py").write_text("import subprocess\nclass Model:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resolve_definitions("allow_list_pkg.Model") == ("allow_list_pkg.inner.Model",)
    assert resolve_definitions("allow_list_pkg.run")[0] == "os.system"  # type: ignore[index]
    assert resolve_definitions("allow_list_pkg.subprocess.run") == ("subprocess.run",)
    assert not TargetPolicy(tmp_path).check("allow_list_pkg.run").allowed


def _compile(overrides: list[str], spec_text: str | None = None, tmp: Path | None = None) -> None:
    project = locate_project(REPO)
    cfg = compose(project, overrides)
    catalog, _ = default_catalog()
    path = REPO / "pipelines" / "train.yaml"
    if spec_text is not None:
        assert tmp is not None
        path = tmp / "hostile.yaml"
        path.write_text(textwrap.dedent(spec_text))
    compile_plan(load_spec(path), cfg, catalog, hash_file=lambda p: "h", base_dir=REPO,
                 origin=origin_of(cfg, project))


def test_a_refused_model_target_is_a_compile_error_naming_key_and_setting() -> None:
    with pytest.raises(CompileError) as error:
        _compile(["model._target_=pandas.read_pickle", "~model.C", "~model.max_iter"])
    text = str(error.value)
    assert ("command line 'model._target_=pandas.read_pickle', step 'train', key "
            "'model._target_': _target_ 'pandas.read_pickle' is not allowed") in text
    assert "set security.allow_targets=[pandas.read_pickle]" in text
    assert "runs with your rights" in text


def test_a_nested_target_is_checked() -> None:
    with pytest.raises(CompileError, match=re.escape(
            "key 'model.optimizer._target_': _target_ 'builtins.getattr' is not allowed")):
        _compile(["model=mlp", "model.optimizer._target_=builtins.getattr"])


def test_security_allow_targets_admits_a_module() -> None:
    with pytest.raises(CompileError) as refused:
        _compile(["model._target_=collections.OrderedDict", "~model.C", "~model.max_iter"])
    assert "security.allow_targets=[collections]" in str(refused.value)
    _compile(["model._target_=collections.OrderedDict", "~model.C", "~model.max_iter",
              "security.allow_targets=[collections]"])


def test_a_target_in_a_spec_with_block_is_located_in_the_spec(tmp_path: Path) -> None:
    spec = """
        steps:
          load:
            uses: load_dataset
            with:
              source: {_target_: importlib.import_module, name: os}
    """
    with pytest.raises(CompileError, match=re.escape(
            "hostile.yaml:6, step 'load', key 'with.source._target_': _target_ "
            "'importlib.import_module' is not allowed")):
        _compile([], spec, tmp_path)


def test_uses_may_not_name_a_module_outside_the_allow_list(tmp_path: Path) -> None:
    spec = """
        steps:
          boom: {uses: "os:system"}
    """
    with pytest.raises(CompileError, match=re.escape(
            "step 'boom', key 'uses': step 'os:system' is not allowed: 'os' is on assay's deny "
            "list")):
        _compile([], spec, tmp_path)


def test_uses_does_not_import_an_installed_module_it_refuses(tmp_path: Path) -> None:
    # importing pip's __main__ would run pip with assay's arguments
    spec = """
        steps:
          boom: {uses: "pip.__main__:step"}
    """
    with pytest.raises(CompileError, match=re.escape(
            "step 'pip.__main__:step' is not allowed: it is outside the allowed modules")):
        _compile([], spec, tmp_path)
    assert "pip.__main__" not in sys.modules


def test_uses_may_name_step_modules_put_on_the_path_outside_installed_packages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps_dir = tmp_path / "shared_steps"
    steps_dir.mkdir()
    (steps_dir / "allow_list_steps.py").write_text(textwrap.dedent("""
        from assay.artifacts import Metrics
        from assay.catalog import step

        @step(outputs={"metrics": Metrics})
        def constant(*, value: float = 1.0) -> Metrics:
            return Metrics({"value": value})
    """))
    monkeypatch.syspath_prepend(str(steps_dir))
    spec = """
        steps:
          one: {uses: "allow_list_steps:constant"}
    """
    _compile([], spec, tmp_path)  # a step must be declared with @step: the module is code


def test_targets_in_hydra_positional_args_are_checked(tmp_path: Path) -> None:
    spec = """
        steps:
          load:
            uses: load_dataset
            with:
              source:
                _target_: assay.steps.sources.CsvFile
                _args_: [{_target_: subprocess.getoutput, _args_: [id]}]
    """
    with pytest.raises(CompileError, match=re.escape(
            "key 'with.source._args_.0._target_': _target_ 'subprocess.getoutput' is not "
            "allowed")):
        _compile([], spec, tmp_path)


def test_a_scikit_learn_memory_cache_is_refused(tmp_path: Path) -> None:
    spec = """
        steps:
          load:
            uses: load_dataset
            with:
              source:
                _target_: sklearn.pipeline.Pipeline
                steps: []
                memory: /tmp/crafted-joblib-cache
    """
    with pytest.raises(CompileError, match=re.escape(
            "key 'with.source.memory': sklearn.pipeline.Pipeline may not be given a memory "
            "cache")):
        _compile([], spec, tmp_path)
