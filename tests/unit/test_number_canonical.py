"""``model.C=1`` and the default ``C: 1.0`` are one configuration, where C is a float.

An int given for a parameter declared a float is that float, in the fingerprint and in
what the step receives; everywhere else (ints, booleans, parameters whose int means
something else, like scikit-learn's ``max_features``) the value is kept as written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Optional, Union

import pytest

from assay.artifacts import Metrics
from assay.catalog import Interval, Step, Target, step
from assay.compiler import targets
from assay.compiler.fingerprint import fingerprint_of, normalise
from assay.compiler.numbers import annotation_is_float, documented_float
from assay.compiler.params import canonical_params
from assay.compiler.targets import inspect_target
from tests.helpers import assay


@step("number_canonical_probe", outputs={"out": Metrics})
def tune(
    *,
    rate: float = 0.1,
    count: int = 3,
    flag: bool = False,
    either: int | float = 1,
    maybe: float | None = None,
    bounded: Annotated[float, Interval(0, 10)] = 1.0,
    rates: list[float] | None = None,
    counts: list[int] | None = None,
    weights: dict[str, float] | None = None,
    pair: tuple[float, int] | None = None,
    anything: Any = None,
    estimator: Target | None = None,
) -> Metrics:
    """A step with one parameter of each kind."""
    return Metrics({})


TUNE: Step = tune.__assay_step__  # type: ignore[attr-defined]


def _print(params: dict[str, Any]) -> str:
    return fingerprint_of({"params": normalise(canonical_params(TUNE, params))})


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _print(a) == _print(b)


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ({"rate": 1}, {"rate": 1.0}),
        ({"maybe": 2}, {"maybe": 2.0}),
        ({"bounded": 3}, {"bounded": 3.0}),
        ({"rates": [1, 0.5, 2]}, {"rates": [1.0, 0.5, 2.0]}),
        ({"weights": {"a": 1, "b": 0.25}}, {"weights": {"a": 1.0, "b": 0.25}}),
        ({"pair": [1, 2]}, {"pair": [1.0, 2]}),
        ({"estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "C": 1}},
         {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "C": 1.0}}),
    ],
)
def test_an_int_for_a_declared_float_is_that_float(given: dict[str, Any],
                                                    written: dict[str, Any]) -> None:
    assert _same(given, written)
    canonical = canonical_params(TUNE, given)
    assert normalise(canonical) == normalise(written)
    assert repr(canonical) == repr(written)  # the step receives floats, not ints


@pytest.mark.parametrize(
    ("given", "other"),
    [
        ({"count": 3}, {"count": 3.0}),  # an int parameter stays an int
        ({"counts": [1, 2]}, {"counts": [1.0, 2.0]}),
        ({"either": 1}, {"either": 1.0}),  # int | float: either may mean something else
        ({"anything": 1}, {"anything": 1.0}),  # undeclared: kept as written
        ({"rate": True}, {"rate": 1.0}),  # a bool is not a number
        ({"flag": True}, {"flag": 1}),
        ({"rate": 2}, {"rate": 1.0}),  # a changed value is a changed fingerprint
        ({"rates": [1, 0.5]}, {"rates": [1.0, 0.75]}),  # ... in a list item too
        ({"weights": {"a": 1}}, {"weights": {"a": 2.0}}),
        ({"rate": 2**60}, {"rate": float(2**60)}),  # past 2**53 ints are kept exact
        # scikit-learn tells these apart: max_features=1 is one feature, 1.0 all of them
        ({"estimator": {"_target_": "sklearn.ensemble.IsolationForest", "max_features": 1}},
         {"estimator": {"_target_": "sklearn.ensemble.IsolationForest", "max_features": 1.0}}),
        ({"estimator": {"_target_": "sklearn.ensemble.RandomForestClassifier",
                        "min_samples_split": 2}},
         {"estimator": {"_target_": "sklearn.ensemble.RandomForestClassifier",
                        "min_samples_split": 2.0}}),
        ({"estimator": {"_target_": "sklearn.ensemble.HistGradientBoostingClassifier",
                        "max_features": 1}},
         {"estimator": {"_target_": "sklearn.ensemble.HistGradientBoostingClassifier",
                        "max_features": 1.0}}),
        ({"estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "max_iter": 100}},
         {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression",
                        "max_iter": 100.0}}),
    ],
)
def test_values_that_may_differ_keep_their_own_fingerprint(given: dict[str, Any],
                                                            other: dict[str, Any]) -> None:
    assert not _same(given, other)


def test_nested_target_configs_are_canonical_too() -> None:
    def mlp(lr: Any, weight_decay: Any) -> dict[str, Any]:
        return {"estimator": {"_target_": "assay.torch.MLPClassifier", "_recursive_": False,
                              "lr": lr, "hidden_sizes": [64, 32],
                              "optimizer": {"_target_": "torch.optim.AdamW",
                                            "weight_decay": weight_decay}}}

    assert _same(mlp(1, 0), mlp(1.0, 0.0))
    canonical = canonical_params(TUNE, mlp(1, 0))["estimator"]
    assert canonical["hidden_sizes"] == [64, 32]
    assert all(type(size) is int for size in canonical["hidden_sizes"])
    assert type(canonical["optimizer"]["weight_decay"]) is float
    assert not _same(mlp(1, 0), mlp(1, 0.5))


def test_unchanged_params_are_returned_as_they_were() -> None:
    given = {"rates": [0.5], "estimator": {"_target_": "sklearn.svm.SVC", "C": 2.0}}
    canonical = canonical_params(TUNE, given)
    assert canonical["rates"] is given["rates"] and canonical["estimator"] is given["estimator"]


MODELS = '''
from typing import Optional


class Annotated_:
    def __init__(self, a: float = 1, b: "float | None" = None, c: int = 1,
                 d: "int | float" = 1, e: Optional[float] = None):
        pass


class Documented:
    """Numpydoc.

    Parameters
    ----------
    ratio : int or float, default=1.0
        An int is a count.
    alpha : float, default=None
        A float.
    """

    def __init__(self, ratio=1.0, alpha=None, plain=0.5, count=1, name="x"):
        pass


class Constrained:
    _parameter_constraints = {"share": [Interval(RealNotInt, 0, 1, closed="right")],
                              "tol": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, share=1.0, tol=None):
        pass


class GoogleStyle:
    def __init__(self, rate=0.5, size=1.0):
        """Google style.

        Args:
            rate (float): A rate.
            size (int | float): A size or a share.
        """
'''

EXPECTED = {
    "Annotated_": ("a", "b", "e"),
    "Documented": ("alpha", "plain"),
    "Constrained": ("tol",),
    "GoogleStyle": ("rate",),
}


@pytest.fixture
def local_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"numbers_{tmp_path.name[-10:].replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        "from numbers import Real\nclass Interval:\n    def __init__(self, *a, **k):\n"
        "        self.type = a[0]\nclass RealNotInt(Real):\n    pass\n" + MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    targets._parse.cache_clear()
    inspect_target.cache_clear()
    yield name
    sys.modules.pop(name, None)
    inspect_target.cache_clear()


def test_local_targets_declare_floats_by_annotation_docs_constraints_or_default(
        local_models: str) -> None:
    static = {cls: inspect_target(f"{local_models}.{cls}").float_params for cls in EXPECTED}
    assert local_models not in sys.modules
    assert static == EXPECTED
    __import__(local_models)
    inspect_target.cache_clear()
    live = {cls: inspect_target(f"{local_models}.{cls}").float_params for cls in EXPECTED}
    assert live == EXPECTED  # the imported module reads the same


def test_scikit_learn_float_params_read_from_source_match_the_imported_classes() -> None:
    code = textwrap.dedent("""
        import importlib, json, sys
        from assay.compiler.targets import inspect_target
        paths = ["sklearn.linear_model.LogisticRegression", "sklearn.ensemble.IsolationForest",
                 "sklearn.ensemble.HistGradientBoostingClassifier", "sklearn.svm.SVC"]
        static = [inspect_target(p).float_params for p in paths]
        assert "sklearn" not in sys.modules
        for p in paths:
            importlib.import_module(p.rsplit(".", 1)[0])
        inspect_target.cache_clear()
        assert [inspect_target(p).float_params for p in paths] == static
        print(json.dumps(dict(zip(paths, static))))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert "C" in found["sklearn.linear_model.LogisticRegression"]
    assert "max_iter" not in found["sklearn.linear_model.LogisticRegression"]
    assert "max_features" not in found["sklearn.ensemble.IsolationForest"]
    assert "max_features" not in found["sklearn.ensemble.HistGradientBoostingClassifier"]
    assert "learning_rate" in found["sklearn.ensemble.HistGradientBoostingClassifier"]


@pytest.mark.parametrize(
    ("doc", "verdict"),
    [
        ("C : float, default=1.0", True),
        ("C : int or float, default=1.0", False),
        ("C : {'auto'} or float", True),
        ("C : str", None),
        ("C (float): the inverse strength", True),
        ("C (int): a count", False),
        ("CC : float", None),
        ("", None),
    ],
)
def test_documented_types(doc: str, verdict: bool | None) -> None:
    assert documented_float([doc], "C") is verdict


@pytest.mark.parametrize(
    ("annotation", "verdict"),
    [
        (float, True),
        (float | None, True),
        (Optional[float], True),  # noqa: UP045  (the older spelling is read too)
        (Optional[Annotated[float, Interval(0, 1)]], True),  # noqa: UP045
        (Union[float, str], True),  # noqa: UP007
        (Optional["float"], True),
        ("float | None", True),
        (int | float, False),
        ("int | float", False),
        (int, False),
        (bool, False),
        (Any, False),
        (list[float], False),  # a list, whose items canonical_params reads
        (None, None),
    ],
)
def test_annotations_that_declare_a_float(annotation: Any, verdict: bool | None) -> None:
    assert annotation_is_float(annotation) is verdict


@pytest.mark.e2e  # the real command line, three times
def test_running_again_with_an_int_for_a_float_is_all_cached(project: Path) -> None:
    first = assay("run", "executor=threads", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "registered logistic-regression:v1" in first.stdout
    again = assay("run", "executor=threads", "model.C=1", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "9 steps: 0 ran, 9 from cache" in again.stdout, again.stdout
    assert "registered logistic-regression:v2" not in again.stdout
    listed = assay("models", "list", "--json", cwd=project)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count('"ref"') == 1
    changed = assay("plan", "model.C=2", cwd=project)
    assert changed.returncode == 0, changed.stderr
    assert "estimator.C: 1.0 -> 2.0" in changed.stdout
