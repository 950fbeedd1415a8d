"""The ``_target_`` allow-list at its edges: command-line Hydra callbacks, the refusal's
wording and fix, and the verdicts' reasons, compared in full."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

from assay.compiler.allowed_targets import (
    TargetPolicy,
    Verdict,
    _installed,
    _user_code,
    check_hydra_overrides,
    resolve_definitions,
    target_problems,
    uses_problem,
)
from assay.compiler.params import ParamSite
from assay.errors import ConfigError, Problem

REPO = Path(__file__).resolve().parents[2]

CALLBACK_HINT = ("Hydra builds a callback's _target_ before assay can check it against "
                 "security.allow_targets")


@pytest.mark.parametrize(("override", "key"), [
    ("hydra.callbacks.spy._target_=os.system", "hydra.callbacks.spy._target_"),
    ("+hydra.callbacks.spy._target_=os.system", "hydra.callbacks.spy._target_"),
    ("++hydra.callbacks.spy=x", "hydra.callbacks.spy"),
    ("~hydra.callbacks", "hydra.callbacks"),
    ("hydra.callbacks={}", "hydra.callbacks"),
])
def test_hydra_callbacks_on_the_command_line_are_refused(override: str, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        check_hydra_overrides(["model.C=2", override])
    assert raised.value.problems == (Problem(
        "hydra.callbacks cannot be set on the command line", file=f"command line '{override}'",
        key=key, expected="callbacks in configs/config.yaml", hint=CALLBACK_HINT),)


def test_every_callback_override_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        check_hydra_overrides(["hydra.callbacks.a=1", "hydra.callbacks.b=2"])
    assert [p.key for p in raised.value.problems] == ["hydra.callbacks.a", "hydra.callbacks.b"]


@pytest.mark.parametrize("override", [
    "hydra.run.dir=out", "hydra.job.chdir=true", "model.callbacks.a=1", "callbacks.hydra=1",
    "hydra=x", "hydra.callback=1",
])
def test_other_overrides_pass(override: str) -> None:
    check_hydra_overrides([override])


def test_no_overrides_pass() -> None:
    check_hydra_overrides([])


def test_policies_are_equal_by_root_and_extra_prefixes(tmp_path: Path) -> None:
    assert TargetPolicy(tmp_path, ["pandas"]) == TargetPolicy(tmp_path, ["pandas"])
    assert hash(TargetPolicy(tmp_path, ["pandas"])) == hash(TargetPolicy(tmp_path, ["pandas"]))
    assert TargetPolicy(tmp_path, ["pandas"]) != TargetPolicy(tmp_path, ["numpy"])
    assert TargetPolicy(tmp_path) != TargetPolicy(REPO)
    assert TargetPolicy(tmp_path) != "policy"


def test_a_path_outside_the_allowed_modules_names_them_and_the_extra_ones(tmp_path: Path) -> None:
    policy = TargetPolicy(tmp_path, ["numpy.linalg", "scipy"])
    assert policy.check("pandas.DataFrame") == Verdict(
        False, "it is outside the allowed modules (scikit-learn, torch, assay.steps, assay.torch, "
               "this project's modules, numpy.linalg, scipy)")


def test_a_malformed_path_is_not_a_dotted_import_path(tmp_path: Path) -> None:
    policy = TargetPolicy(tmp_path)
    for path in ("sklearn..linear_model", "sklearn.linear-model.X", "sklearn.é", "os.system()"):
        assert policy.check(path) == Verdict(False, f"'{path}' is not a dotted import path")


def test_the_deny_list_reason_names_the_most_specific_rule(tmp_path: Path) -> None:
    verdict = TargetPolicy(tmp_path).check("torch.hub.load")
    assert verdict == Verdict(False, "'torch.hub' is on assay's deny list (it can run code from "
                                     "files, the shell or the network)", denied=True)


def test_an_extra_prefix_shorter_than_a_deny_rule_does_not_lift_it(tmp_path: Path) -> None:
    # allow_targets=[pandas] allows pandas, but its pickle loader stays refused
    policy = TargetPolicy(tmp_path, ["pandas"])
    assert policy.check("pandas.DataFrame").allowed
    assert not policy.check("pandas.read_pickle").allowed
    assert TargetPolicy(tmp_path, ["pandas.read_pickle"]).check("pandas.read_pickle").allowed


# ---------------------------------------------------------------- compile-time problems


def _locate(path: list[str], in_spec: bool = False) -> ParamSite:
    return ParamSite("pipelines/train.yaml", "train", ".".join(path))


def test_a_refused_target_names_its_key_the_reason_and_the_setting_to_allow_it(tmp_path: Path) -> None:
    params = {"estimator": {"_target_": "pandas.DataFrame"}}
    [problem] = target_problems(params, _locate, TargetPolicy(tmp_path))
    assert problem == Problem(
        "_target_ 'pandas.DataFrame' is not allowed: it is outside the allowed modules (scikit-learn, "
        "torch, assay.steps, assay.torch, this project's modules)",
        file="pipelines/train.yaml", step="train", key="estimator._target_",
        expected="a class or function from scikit-learn, torch, assay.steps, assay.torch, "
                 "this project's modules or a module listed in security.allow_targets",
        hint="if you trust it, set security.allow_targets=[pandas]: whatever it names runs with "
             "your rights, and loaders such as pandas.read_pickle run the code inside the files "
             "they read")


def test_a_denied_target_is_allowed_only_by_naming_it_whole(tmp_path: Path) -> None:
    [problem] = target_problems({"_target_": "pandas.read_pickle"}, _locate, TargetPolicy(tmp_path))
    assert problem.hint is not None
    assert problem.hint.startswith("if you trust it, set security.allow_targets=[pandas.read_pickle]:")


def test_a_target_whose_module_does_not_exist_is_left_to_the_import_check(tmp_path: Path) -> None:
    assert target_problems({"_target_": "no_such_module_xyz.Thing"}, _locate, TargetPolicy(tmp_path)) == []


def test_a_scikit_learn_memory_cache_is_refused(tmp_path: Path) -> None:
    params = {"model": {"_target_": "sklearn.pipeline.Pipeline", "steps": [], "memory": "/tmp/c"}}
    assert target_problems(params, _locate, TargetPolicy(tmp_path)) == [Problem(
        "sklearn.pipeline.Pipeline may not be given a memory cache", file="pipelines/train.yaml",
        step="train", key="model.memory", expected="memory left unset (null)", got="'/tmp/c'",
        hint="scikit-learn caches steps with joblib, which unpickles what it finds in that folder; "
             "assay already caches every step by fingerprint")]
    unset = {"model": {"_target_": "sklearn.pipeline.Pipeline", "steps": [], "memory": None}}
    assert target_problems(unset, _locate, TargetPolicy(tmp_path)) == []


def test_a_memory_argument_outside_scikit_learn_is_not_a_cache(tmp_path: Path) -> None:
    params = {"model": {"_target_": "torch.nn.Linear", "memory": 5}}
    assert target_problems(params, _locate, TargetPolicy(tmp_path)) == []


def test_a_step_from_a_refused_module_is_refused_with_its_key(tmp_path: Path) -> None:
    problem = uses_problem("pandas:read_csv", (), TargetPolicy(tmp_path), "pipelines/p.yaml", "load")
    assert problem is not None
    assert problem.message.startswith("step 'pandas:read_csv' is not allowed: it is outside")
    assert (problem.file, problem.step, problem.key) == ("pipelines/p.yaml", "load", "uses")
    assert problem.hint is not None and "security.allow_targets=[pandas]:" in problem.hint


def test_a_declared_step_or_a_plain_name_needs_no_check(tmp_path: Path) -> None:
    policy = TargetPolicy(tmp_path)
    assert uses_problem("pandas:read_csv", ["pandas:read_csv"], policy, "p.yaml", "load") is None
    assert uses_problem("read_csv", (), policy, "p.yaml", "load") is None
    assert uses_problem("no_such_module_xyz:f", (), policy, "p.yaml", "load") is None


def test_a_step_from_user_code_on_the_path_is_allowed_but_not_a_denied_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mysteps_edge.py").write_text("def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    policy = TargetPolicy(tmp_path / "elsewhere")
    assert uses_problem("mysteps_edge:f", (), policy, "p.yaml", "s") is None
    assert uses_problem("os:system", (), policy, "p.yaml", "s") is not None


# ---------------------------------------------------------------- where modules live


def test_library_and_installed_paths_are_installed_and_others_not(tmp_path: Path) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert _installed(stdlib / "json" / "__init__.py")
    assert _installed(Path("/opt/x/site-packages/pkg/mod.py"))
    assert _installed(Path("/opt/x/dist-packages/pkg/mod.py"))
    assert not _installed(tmp_path / "mod.py")


def test_user_code_is_a_file_on_the_path_outside_the_library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "usercode_edge.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _user_code("usercode_edge")
    assert not _user_code("json")  # the library
    assert not _user_code("sys")  # built in
    assert not _user_code("sklearn")  # installed
    assert not _user_code("no_such_module_xyz")


def test_a_policy_can_tell_whether_a_top_level_module_exists(tmp_path: Path) -> None:
    policy = TargetPolicy(tmp_path)
    assert policy.findable("json.decoder.JSONDecoder")
    assert policy.findable("sys.exit")  # built in, already imported
    assert not policy.findable("no_such_module_xyz.json")


# ---------------------------------------------------------------- what a path names


def test_live_modules_resolve_to_where_things_are_defined() -> None:
    assert resolve_definitions("json.JSONDecoder") == ("json.JSONDecoder", "json.decoder.JSONDecoder")
    assert resolve_definitions("os.path.join") == ("posixpath.join",)
    assert resolve_definitions("json.no_such_name") == ()
    assert resolve_definitions("no_such_module_xyz.thing") == ()


PACKAGE = {
    "__init__.py": (
        "import json\nimport os.path\nimport json as js\nfrom json import dumps as dd\n"
        "from .sub import helper\nfrom .star import *\n"
        "X = json.loads\nY = compute()\n"
        "class Local:\n    pass\n"
        "def local():\n    pass\n"
    ),
    "sub.py": "def helper():\n    pass\n",
    "star.py": "def starred():\n    pass\n",
    "dyn.py": "def __getattr__(name):\n    return name\n",
}


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"edgepkg_{tmp_path.name.replace('-', '_')}"
    (tmp_path / name).mkdir()
    for file, text in PACKAGE.items():
        (tmp_path / name / file).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_source_is_read_to_follow_imports_and_aliases(package: str) -> None:
    assert resolve_definitions(f"{package}.Local") == (f"{package}.Local",)
    assert resolve_definitions(f"{package}.local") == (f"{package}.local",)
    assert resolve_definitions(f"{package}.dd") == ("json.dumps",)
    assert resolve_definitions(f"{package}.js.loads") == ("json.loads",)
    assert resolve_definitions(f"{package}.json.loads") == ("json.loads",)
    assert resolve_definitions(f"{package}.os.path.join") == ("posixpath.join",)
    assert resolve_definitions(f"{package}.X") == ("json.loads",)
    assert resolve_definitions(f"{package}.helper") == (f"{package}.sub.helper",)
    assert resolve_definitions(f"{package}.starred") == (f"{package}.star.starred",)
    assert package not in sys.modules  # nothing was imported to find out


def test_what_source_cannot_tell_is_undetermined(package: str) -> None:
    assert resolve_definitions(f"{package}.Y") is None  # computed at import time
    assert resolve_definitions(f"{package}.dyn.anything") is None  # a module __getattr__
    assert resolve_definitions(f"{package}.nothing_here") == ()
