"""Property tests: whatever a pipeline spec holds, compiling it gives a plan or a user error.

Random specs are built from the sample steps: valid ones, which must compile to the plan
they describe, then the same specs mutated the ways people and tools break files (keys
missing, values of the wrong type, unknown steps and inputs, cycles, unresolvable
interpolations, odd names, huge numbers, deep nesting, alias bombs, duplicate keys,
bytes that are not UTF-8). Each is written as YAML and read and compiled through the
compiler's public entry points against the repository's composed config. The only
outcomes allowed are a :class:`Plan` or a :class:`UserError` the command line exits 2
for, with every problem located in a file; any other exception fails, and so does a
compile slower than the deadline (a hang).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from omegaconf import DictConfig

import tests.sample_steps  # noqa: F401  (declares the sample steps)
from assay.catalog import StepCatalog, catalog_of_declared
from assay.compiler import Plan, compile_plan, load_spec
from assay.compiler.resolve import MAX_INSTANCES
from assay.compiler.spec import MAX_DEPTH, MAX_INTERPOLATION_DEPTH, MAX_VALUES
from assay.config.compose import compose, origin_of
from assay.config.project import locate_project
from assay.config.schema import register_schemas
from assay.config.validate import ConfigOrigin, validate_config
from assay.errors import AssayError, UserError
from assay.steps import default_catalog

REPO = Path(__file__).resolve().parents[2]
TRAIN = (REPO / "pipelines" / "train.yaml").read_text()

PROPERTIES = settings(
    max_examples=150,
    # generous: the machines running tests are shared; a hang takes minutes, not seconds
    deadline=timedelta(seconds=5),
    derandomize=True,  # the same examples on every run, so CI is deterministic
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class World:
    """What every compile shares: the composed config, the catalog and a scratch folder."""

    cfg: DictConfig
    catalog: StepCatalog
    origin: ConfigOrigin
    directory: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    project = locate_project(REPO)
    cfg = compose(project, [])
    default_catalog()
    return World(cfg, catalog_of_declared(), origin_of(cfg, project),
                 tmp_path_factory.mktemp("specs"))


def outcome(world: World, text: str | bytes) -> Plan | UserError:
    """Reads and compiles ``text`` as a spec; fails on anything but a plan or a user error."""
    path = world.directory / "spec.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    try:
        spec = load_spec(path)
        return compile_plan(spec, world.cfg, world.catalog, hash_file=lambda _: "h",
                            base_dir=world.directory, origin=world.origin)
    except AssayError as error:
        assert isinstance(error, UserError), f"{type(error).__name__} is not a user error: {error}"
        assert error.exit_code == 2
        assert error.problems and all(p.file for p in error.problems), error.render()
        assert error.render().strip()
        return error


def as_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**9)


# --- valid specs --------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,11}", fullmatch=True)
VALUES = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(min_value=-1000, max_value=1000),
    st.sampled_from(["${split.test_size}", "${split.seed}", "${evaluate.cv_folds}"]),
)


@dataclass(frozen=True)
class Described:
    """A valid spec and the plan nodes it must compile to."""

    data: dict[str, Any]
    nodes: frozenset[str]


@st.composite
def valid_specs(draw: st.DrawFn) -> Described:
    """A DAG of sample steps: constants (some repeated with foreach), sums and adds."""
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique_by=str.lower))
    steps: dict[str, Any] = {}
    nodes: set[str] = set()
    single: list[str] = []  # steps with one instance: the only ones an add may read
    for index, name in enumerate(names):
        kind = "sample_constant" if index == 0 else draw(
            st.sampled_from(["sample_constant", "sample_add", "sample_sum"]))
        body: dict[str, Any] = {"uses": kind}
        if draw(st.booleans()):
            body["when"] = draw(st.sampled_from([True, 1, "${report.resamples}"]))
        if kind == "sample_constant":
            count = draw(st.one_of(st.none(), st.integers(0, 4)))
            if count is None:
                body["with"] = {"value": draw(VALUES)}
                single.append(name)
                nodes.add(name)
            else:
                body["foreach"] = count if draw(st.booleans()) else list(range(count))
                body["with"] = {"value": "${item}"}
                nodes.update(f"{name}[{i}]" for i in range(count))
        elif kind == "sample_sum":
            body["inputs"] = {"parts": f"{draw(st.sampled_from(names[:index]))}.metrics"}
            single.append(name)
            nodes.add(name)
        elif single:
            left, right = draw(st.sampled_from(single)), draw(st.sampled_from(single))
            body["inputs"] = {"left": f"{left}.metrics", "right": f"{right}.metrics"}
            body["with"] = {"offset": draw(st.floats(0, 10))}
            single.append(name)
            nodes.add(name)
        else:  # nothing single to add up: a constant instead
            body = {"uses": "sample_constant"}
            single.append(name)
            nodes.add(name)
        steps[name] = body
    data: dict[str, Any] = {"description": draw(st.text(max_size=20)), "steps": steps}
    if single and draw(st.booleans()):
        data["metrics"] = [f"{draw(st.sampled_from(single))}.metrics"]
    return Described(data, frozenset(nodes))


@given(valid_specs())
@PROPERTIES
def test_a_valid_spec_compiles_to_the_plan_it_describes(world: World, described: Described) -> None:
    plan = outcome(world, as_yaml(described.data))
    assert isinstance(plan, Plan), plan
    assert set(plan.order()) == described.nodes
    for node_id in plan.order():
        step = described.data["steps"][node_id.split("[")[0]]
        assert plan.producers(node_id) == sorted(
            {n for ref in step.get("inputs", {}).values() for n in described.nodes
             if n.split("[")[0] == ref.split(".")[0]})


# --- mutated specs ------------------------------------------------------------------

def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**30, -(10**30), 2**63, -1, 0, MAX_INSTANCES + 1, 10**11]),
    st.floats(),  # NaN and infinities included
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8).map(lambda s: s * 5000),
    st.sampled_from([
        "${nope}", "${nope.deeper}", "${item}", "${item.x}", "${", "}", "$${split}", "${split}",
        "${oc.env:ASSAY_NOT_SET}", "${unknown_resolver:x}", "${hydra:runtime.cwd}",
        "${split.test_size", "a ${model} b", "${model._target_}", "${card.owners}",
        "${" * (MAX_INTERPOLATION_DEPTH + 1) + "x" + "}" * (MAX_INTERPOLATION_DEPTH + 1),
        "step.output", "a.b.c", ".metrics", "module:function", ":", "..:x", "os:system",
        "a." * 3000 + "b:c", "\x00", "\u202e", "ä.metrics", "\U0001d518\U0001d52b",  # fraktur letters
    ]),
    st.integers(1, MAX_DEPTH + 10).map(nested),
    st.fixed_dictionaries(  # an object to build, as `${model}` gives
        {"_target_": st.sampled_from([
            "sklearn.linear_model.LogisticRegression", "sklearn.linear_model.Nope",
            "sklearn.pipeline.Pipeline", "nope.module.Thing", "os.system", "", "a..b", "...",
            "sklearn.linear_model.LogisticRegression.fit", "builtins.eval", "assay",
        ])},
        optional={"C": st.one_of(st.floats(), st.text(max_size=4)), "Cc": st.integers(),
                  "steps": st.lists(st.lists(st.text(max_size=3), max_size=2), max_size=2),
                  "_partial_": st.booleans(), "_args_": st.lists(st.integers(), max_size=2),
                  1: st.integers()},
    ),
    st.lists(st.integers(), max_size=5),
    st.dictionaries(st.one_of(st.text(max_size=5), st.integers(), st.booleans()),
                    st.one_of(st.integers(), st.text(max_size=5)), max_size=4),
)


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data`` (keys and list indexes)."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_paths(value, (*path, index)))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def _replace(draw: st.DrawFn, data: dict[str, Any]) -> Any:
    path = draw(st.sampled_from(_paths(data)))
    if not path:
        return draw(HOSTILE)
    _parent(data, path)[path[-1]] = draw(HOSTILE)
    return data


def _delete(draw: st.DrawFn, data: dict[str, Any]) -> Any:
    paths = [p for p in _paths(data) if p]
    if paths:
        path = draw(st.sampled_from(paths))
        del _parent(data, path)[path[-1]]
    return data


def _add_key(draw: st.DrawFn, data: dict[str, Any]) -> Any:
    mappings = [p for p in _paths(data) if isinstance(_parent(data, (*p, None)), dict)]
    where = _parent(data, (*draw(st.sampled_from(mappings)), None))
    where[draw(st.one_of(st.text(max_size=12), st.sampled_from(["with", "inputs", "steps"])))] = (
        draw(HOSTILE))
    return data


def _rewire(draw: st.DrawFn, data: dict[str, Any]) -> Any:
    """An input reads an unknown step or output, a later step (a cycle) or itself."""
    steps = data["steps"]
    bodies = [body for body in steps.values() if isinstance(body, dict)]
    if not bodies:
        return data
    inputs = draw(st.sampled_from(bodies)).setdefault("inputs", {})
    target = draw(st.one_of(st.sampled_from(list(steps)), NAMES))
    output = draw(st.sampled_from(["metrics", "nope", "data", "model", "train", "transformer"]))
    if isinstance(inputs, dict):
        name = draw(st.sampled_from(["left", "right", "parts", "data", "model", "x"]))
        inputs[name] = f"{target}.{output}"
    return data


def _rename(draw: st.DrawFn, data: dict[str, Any]) -> Any:
    steps = data["steps"]
    old = draw(st.sampled_from(list(steps)))
    new = draw(st.one_of(st.text(min_size=1), st.integers(), st.none(), st.booleans()))
    data["steps"] = {(new if key == old else key): body for key, body in steps.items()}
    return data


def _set_step_key(draw: st.DrawFn, data: dict[str, Any]) -> Any:
    bodies = [body for body in data["steps"].values() if isinstance(body, dict)]
    if not bodies:
        return data
    key = draw(st.sampled_from(["uses", "with", "inputs", "when", "foreach", "description"]))
    draw(st.sampled_from(bodies))[key] = draw(HOSTILE)
    return data


MUTATIONS: list[Callable[[st.DrawFn, dict[str, Any]], Any]] = [
    _replace, _delete, _add_key, _rewire, _rename, _set_step_key,
]


SHIPPED = [yaml.safe_load((REPO / "pipelines" / f"{name}.yaml").read_text())
           for name in ("train", "retrain")]


@st.composite
def mutated_specs(draw: st.DrawFn) -> str:
    base = draw(st.one_of(valid_specs().map(lambda d: d.data), st.sampled_from(SHIPPED)))
    data: Any = copy.deepcopy(base)
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        if not isinstance(data, dict) or not isinstance(data.get("steps"), dict) or not data["steps"]:
            break
        data = mutation(draw, data)
    return as_yaml(data)


@given(mutated_specs())
@PROPERTIES
@example("steps:\n  a: {uses: sample_constant, with: {1: 2}}\n")  # a number as a parameter name
@example("steps:\n  a: {uses: sample_constant, with: {value: {_target_: "  # a TypeError in did_you_mean
         "sklearn.linear_model.LogisticRegression, 1: 2}}}\n")
@example(TRAIN.replace("estimator: ${model}", "estimator: {_target_: "  # a TypeError fingerprinting
                       "sklearn.linear_model.LogisticRegression, class_weight: {0: 1.0, 1: 2.0}}"))
@example("steps:\n  ~: {uses: sample_constant}\n")  # a null step name read as 'None'
@example("steps:\n  a: {uses: sample_constant, foreach: 100000000000}\n")  # a hang
@example("steps:\n  a: {uses: sample_constant, foreach: -3}\n")
@example("steps:\n  a: {uses: ':'}\n")  # importlib: ValueError
@example("steps:\n  a: {uses: '..:x'}\n")  # importlib: TypeError
@example("steps:\n  a: {uses: '" + "a." * 3000 + "b:c'}\n")  # importlib: RecursionError
@example("steps:\n  a: {uses: sample_constant, with: {value: "
         + "[" * 400 + "]" * 400 + "}}\n")  # RecursionError in the resolver
@example('steps:\n  a: {uses: sample_constant, with: {value: "'
         + "${" * 1000 + "x" + "}" * 1000 + '"}}\n')  # RecursionError in OmegaConf's parser
def test_a_mutated_spec_gives_a_plan_or_a_user_error(world: World, text: str) -> None:
    outcome(world, text)


# --- hostile YAML texts -------------------------------------------------------------

def alias_bomb(levels: int, fanout: int, where: str) -> str:
    """A "billion laughs" file: each anchor lists ``fanout`` aliases of the one before."""
    lines = [f"    l0: &l0 [{', '.join(['x'] * fanout)}]"]
    for level in range(1, levels):
        lines.append(f"    l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * fanout)}]")
    body = "\n".join(lines)
    if where == "with":
        return f"steps:\n  a:\n   uses: sample_constant\n   with:\n{body}\n"
    if where == "description":
        return f"metrics:\n  - a.metrics\nsteps:\n  a:\n   uses: sample_constant\n   with:\n{body}\n" \
               f"description: *l{levels - 1}\n"
    return f"steps:\n  a:\n   uses: sample_constant\n   foreach: *l{levels - 1}\n   with:\n{body}\n"


VALID_TEXT = as_yaml({"steps": {"a": {"uses": "sample_constant", "with": {"value": 2}},
                                "b": {"uses": "sample_sum", "inputs": {"parts": "a.metrics"}}},
                      "metrics": ["b.metrics"]})


@st.composite
def hostile_texts(draw: st.DrawFn) -> str | bytes:
    kind = draw(st.sampled_from(["bomb", "duplicate", "recursive", "deep", "number", "date",
                                 "truncated", "spliced", "bytes", "text", "documents", "root"]))
    if kind == "bomb":
        return alias_bomb(draw(st.integers(2, 9)), draw(st.integers(2, 10)),
                          draw(st.sampled_from(["with", "description", "foreach"])))
    if kind == "duplicate":
        return draw(st.sampled_from([
            VALID_TEXT + VALID_TEXT,
            "steps:\n  a: {uses: sample_constant}\n  a: {uses: sample_add}\n",
            "steps:\n  a: {uses: sample_constant, uses: sample_sum}\n",
            "steps:\n  a: {uses: sample_constant, with: {value: 1, value: x}}\n",
        ]))
    if kind == "recursive":
        return draw(st.sampled_from([
            "steps:\n  a: {uses: sample_constant, with: {value: &v [*v]}}\n",
            "steps:\n  a: &s {uses: sample_constant, with: {value: *s}}\n",
            "steps: &s\n  a: {uses: sample_constant, with: {value: *s}}\n",
            "description: &d {x: *d}\nsteps:\n  a: {uses: sample_constant}\n",
        ]))
    if kind == "deep":
        depth = draw(st.integers(MAX_DEPTH - 5, 1200))
        opening, closing = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        key = draw(st.sampled_from(["with: {value: ", "when: ", "foreach: ", "with: "]))
        return f"steps:\n  a: {{uses: sample_constant, {key}{opening * depth}1{closing * depth}" \
               f"{'}' if key.startswith('with: {') else ''}}}\n"
    if kind == "number":
        digits = draw(st.integers(4000, 6000))
        return f"steps:\n  a: {{uses: sample_constant, with: {{value: {'9' * digits}}}}}\n"
    if kind == "date":
        return f"steps:\n  a: {{uses: sample_constant, with: {{value: {draw(st.dates())}}}}}\n" \
               if draw(st.booleans()) else "steps:\n  a: {uses: sample_constant, when: 2001-13-45}\n"
    if kind == "truncated":
        return VALID_TEXT[:draw(st.integers(0, len(VALID_TEXT)))]
    if kind == "spliced":
        at = draw(st.integers(0, len(VALID_TEXT)))
        junk = draw(st.one_of(st.text(max_size=10), st.sampled_from(
            ["\t", ":", "- ", "&a", "*a", "!!python/object:os.system", "!!binary x", "\x00", "{", "]"])))
        return VALID_TEXT[:at] + junk + VALID_TEXT[at:]
    if kind == "bytes":
        return draw(st.binary(max_size=30)) + b"\xff\xfe" + VALID_TEXT.encode()
    if kind == "text":
        return draw(st.text(max_size=200))
    if kind == "documents":
        return VALID_TEXT + "---\n" + VALID_TEXT
    return as_yaml(draw(st.one_of(st.none(), st.lists(st.integers(), max_size=3), st.text(),
                                  st.floats(), st.booleans())))


@given(hostile_texts())
@PROPERTIES
@example("steps:\n  a: {uses: sample_constant, with: {value: " + "9" * 5000 + "}}\n")  # ValueError
@example("steps:\n  a: {uses: sample_constant, when: 2001-13-45}\n")  # ValueError: month
@example(b"steps: \xff\xfe\n")  # UnicodeDecodeError
@example("steps:\n  a: {uses: sample_constant, with: {value: &v [*v]}}\n")  # RecursionError
@example(alias_bomb(7, 10, "with"))  # 10**7 values: minutes of compiling
def test_a_hostile_yaml_text_gives_a_plan_or_a_user_error(world: World, text: str | bytes) -> None:
    outcome(world, text)


# --- override lists -----------------------------------------------------------------

KEYS = ["model.C", "split.test_size", "split.seed", "data", "model", "features", "executor",
        "executor.kind", "pipeline", "evaluate.cv_folds", "registry.name", "card.owners",
        "report.resamples", "sweep.direction", "monitor", "data.path", "model._target_",
        "registry.promote.metric", "security.allow_targets", "store.root", "nope", "model.C.x"]
KEY_PART = st.one_of(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), st.text(min_size=1, max_size=6))
OVERRIDE_KEYS = st.one_of(
    st.sampled_from(KEYS),
    st.integers(1, 120).flatmap(lambda n: st.lists(KEY_PART, min_size=n, max_size=n).map(".".join)),
    st.text(max_size=10),
)
BRACKETS = [("[", "]"), ("{a:", "}"), ("${", "}"), ("(", ")")]
OVERRIDE_VALUES = st.one_of(
    st.integers().map(str),
    st.floats().map(repr),
    st.text(max_size=20),
    st.tuples(st.integers(1, 120), st.sampled_from(BRACKETS), st.sampled_from(["1", "x", "split.seed", ""]))
    .map(lambda t: t[1][0] * t[0] + t[2] + t[1][1] * t[0]),
    st.sampled_from([
        "nan", "inf", "null", "true", "", "'", '"', "'a", "\\", "a b", "1e400", "9" * 5000,
        "${split.seed}", "${nope}", "${oc.env:HOME}", "${oc.env:ASSAY_NOT_SET}", "${now:%Y}",
        "${hydra:job.name}", "${model}", "${item}", "${oc.decode:'[1'}", "'${split.seed}'",
        '"${"', "[1,2", "{a:1", "choice(1,2)", "range(1,3)", "interval(0,1)", "glob(*)",
        "int(1.5)", "float(x)", "json_str([1])", "\u00e4\u202e",
    ]),
    st.sampled_from(["logistic", "ridge", "csv", "wine", "diabetes", "threads", "nope", "../config"]),
)


@st.composite
def override_lists(draw: st.DrawFn) -> list[str]:
    """Command-line overrides: values, ``+key=``, ``++key=``, ``~key``, groups, odd shapes."""
    def one() -> str:
        form = draw(st.sampled_from(["set", "set", "delete", "text"]))
        if form == "delete":
            return f"~{draw(OVERRIDE_KEYS)}"
        if form == "text":
            return draw(st.text(max_size=30))
        prefix = draw(st.sampled_from(["", "", "+", "++", "~"]))
        return f"{prefix}{draw(OVERRIDE_KEYS)}={draw(OVERRIDE_VALUES)}"

    return [one() for _ in range(draw(st.integers(0, 4)))]


@given(override_lists())
@settings(PROPERTIES, max_examples=30)
@example(["~data=1"])  # ValueErrors and a TypeError out of Hydra's defaults list
@example(["data=1"])
@example(["data=[1,2]"])
@example(["=0"])
@example(["+model.C=" + "9" * 5000])  # a ValueError out of Hydra's override parser
@example([".".join(["a"] * 100) + "=1"])  # OSError: file name too long
@example(["+x=" + "{a:" * 100 + "1" + "}" * 100])  # RecursionError in Hydra's parser
def test_an_override_list_gives_a_plan_or_a_user_error(world: World, overrides: list[str]) -> None:
    project = locate_project(REPO)
    register_schemas()
    try:
        cfg = compose(project, overrides)
        origin = origin_of(cfg, project)
        validate_config(cfg, origin)
        spec = load_spec(project.pipeline_path(cfg.pipeline, origin.where("pipeline")))
        plan = compile_plan(spec, cfg, world.catalog, hash_file=lambda _: "h", base_dir=REPO,
                            origin=origin)
    except AssayError as error:
        assert isinstance(error, UserError), f"{type(error).__name__} is not a user error: {error}"
        assert error.exit_code == 2
        assert error.render().strip()
        return
    assert len(plan) > 0


# --- the limits, stated as behaviour -----------------------------------------------

def test_an_alias_bomb_is_refused_before_it_is_expanded(world: World) -> None:
    error = outcome(world, alias_bomb(9, 10, "with"))
    assert isinstance(error, UserError)
    assert f"the spec's YAML aliases expand to more than {MAX_VALUES} values" in error.render()


def test_a_large_spec_without_aliases_is_not_limited(world: World) -> None:
    steps = {f"s{i}": {"uses": "sample_constant", "with": {"value": i}} for i in range(200)}
    steps["total"] = {"uses": "sample_sum", "inputs": {"parts": "s0.metrics"},
                      "description": list(range(MAX_VALUES + 1))}
    plan = outcome(world, as_yaml({"steps": steps}))
    assert isinstance(plan, Plan)
    assert len(plan) == 201


def test_an_alias_inside_its_own_anchor_is_refused(world: World) -> None:
    error = outcome(world, "steps:\n  a: {uses: sample_constant, with: {value: &v [*v]}}\n")
    assert isinstance(error, UserError)
    assert f"step 'a', key 'with.value.0.0.0.0.…': the values nest more than {MAX_DEPTH} " \
           "levels deep" in error.render()


def test_values_nested_within_the_limit_compile(world: World) -> None:
    # steps > a > with > value are four levels; the value nests the rest
    text = as_yaml({"steps": {"a": {"uses": "sample_sum", "inputs": {"parts": "b.metrics"}},
                              "b": {"uses": "sample_constant"}},
                    "description": nested(MAX_DEPTH - 1)})
    assert isinstance(outcome(world, text), Plan)


def test_a_foreach_count_beyond_the_limit_is_refused(world: World) -> None:
    error = outcome(world, f"steps:\n  a: {{uses: sample_constant, foreach: {MAX_INSTANCES + 1}}}\n")
    assert isinstance(error, UserError)
    assert f"key 'foreach': 'foreach' repeats the step more than {MAX_INSTANCES} times" in (
        error.render())


def test_a_negative_foreach_count_is_refused(world: World) -> None:
    error = outcome(world, "steps:\n  a: {uses: sample_constant, foreach: -3}\n")
    assert isinstance(error, UserError)
    assert "key 'foreach': 'foreach' must resolve to a list or a count" in error.render()
    assert "got: -3" in error.render()


def test_a_malformed_module_reference_is_refused_by_shape(world: World) -> None:
    error = outcome(world, "steps:\n  a: {uses: '..:x'}\n")
    assert isinstance(error, UserError)
    assert "step 'a', key 'uses': 'uses' is not a valid module:function reference" in (
        error.render())


def test_a_number_as_a_parameter_name_is_refused(world: World) -> None:
    error = outcome(world, "steps:\n  a: {uses: sample_constant, with: {1: 2}}\n")
    assert isinstance(error, UserError)
    assert "step 'a', key 'with': parameter names and the keys of mappings inside parameters " \
           "must be text" in error.render()
    assert "got: 1 (int)" in error.render()


def test_a_number_as_a_key_inside_a_parameter_is_refused(world: World) -> None:
    # a fingerprint has text keys only: this was a TypeError out of the fingerprint
    error = outcome(world, "steps:\n  a:\n    uses: sample_constant\n    with:\n"
                           "      value: {weights: [{0: 1.0, 1: 2.5}]}\n")
    assert isinstance(error, UserError)
    assert "spec.yaml:5, step 'a', key 'with.value.weights.0': parameter names and the keys of " \
           "mappings inside parameters must be text" in error.render()
    assert "got: 0 (int)" in error.render()


def test_a_step_whose_parameters_fail_is_reported_once_not_in_each_consumer(world: World) -> None:
    error = outcome(world, TRAIN.replace("estimator: ${model}", "estimator: ${modell}", 1))
    assert isinstance(error, UserError)
    assert len(error.problems) == 1, error.render()
    assert "step 'train', key 'with.estimator': cannot resolve an interpolation" in error.render()


@pytest.mark.parametrize(("override", "got"), [
    ("data=1", "got: 1"), ("~data=1", "got: 1"), ("data=null", "got: None"),
    ("data=[1,2]", "got: [1, 2]"), ("hydra/launcher=1.5", "got: 1.5"),
])
def test_a_config_group_given_no_option_name_is_refused(override: str, got: str) -> None:
    with pytest.raises(UserError) as error:
        compose(locate_project(REPO), [override])
    group = override.split("=")[0].lstrip("~")
    assert f"command line '{override}', key '{group}': '{group}' is a config group: its value " \
           "names an option" in error.value.render()
    assert got in error.value.render()


def test_a_number_past_the_digit_limit_in_an_override_is_refused() -> None:
    with pytest.raises(UserError) as error:
        compose(locate_project(REPO), ["+model.C=" + "9" * 5000])
    assert "key 'model.C': a value cannot be read: Exceeds the limit (4300 digits)" in (
        error.value.render())


def test_an_override_without_a_key_is_refused() -> None:
    with pytest.raises(UserError, match=re.escape("command line '=0': the override names no key")):
        compose(locate_project(REPO), ["=0"])


@pytest.mark.parametrize(("text", "expected"), [
    ("steps:\n  a: {uses: sample_constant}\nsteps:\n  b: {uses: sample_constant}\n",
     "spec.yaml:3, key 'steps': key 'steps' is given twice"),
    ("steps:\n  a: {uses: sample_constant, uses: sample_sum}\n",
     "spec.yaml:2, step 'a', key 'uses': key 'uses' is given twice"),
    ("steps:\n  a:\n    uses: sample_constant\n    with:\n      value: 1\n      value: x\n",
     "spec.yaml:6, step 'a', key 'with.value': key 'with.value' is given twice"),
])
def test_a_key_given_twice_is_refused_not_silently_dropped(world: World, text: str,
                                                            expected: str) -> None:
    error = outcome(world, text)
    assert isinstance(error, UserError)
    assert expected in error.render()
    assert "YAML keeps only the last one" in error.render()


def test_a_file_that_is_not_utf8_is_refused(world: World) -> None:
    error = outcome(world, b"steps: \xff\n")
    assert isinstance(error, UserError)
    assert "the pipeline spec is not UTF-8 text: invalid start byte at byte 7" in error.render()


@pytest.mark.parametrize("name", ["~", "true", "1"])
def test_a_step_name_yaml_reads_as_no_text_is_refused(world: World, name: str) -> None:
    error = outcome(world, f"steps:\n  {name}: {{uses: sample_constant}}\n")
    assert isinstance(error, UserError)
    assert "invalid step name" in error.render()


def test_the_names_used_here_are_what_yaml_keeps_as_text() -> None:
    # the valid-spec strategy relies on safe_dump quoting names YAML would read otherwise
    for name in ["yes", "No", "on", "null", "1e3", "_"]:
        assert yaml.safe_load(as_yaml({name: 1})) == {name: 1}
