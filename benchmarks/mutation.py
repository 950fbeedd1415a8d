"""Mutation scores: how many deliberate bugs in the core modules their fast tests catch.

For each module in ``tests/mutation/modules.toml`` (the one list of modules and their fast
tests), this runs mutmut 3 against that module alone with only its fast tests, then mutates
the functions mutmut leaves alone (decorated ones, such as ``singledispatch`` registrations)
with a few AST mutations of the same kinds and runs the same tests on each. A mutant is
killed when the tests fail (or hang); survivors listed in ``tests/mutation/equivalent.toml``
(mutants that cannot change behaviour, each with its reason) are left out of the score.
The figures go to ``benchmarks/results/mutation.json``; the run fails when a module's score
is below the file's threshold, when a listed equivalent no longer matches any survivor (the
list is reviewed, so a stale entry is an error) or when a module's tests fail unmutated.

Usage::

    python benchmarks/mutation.py                              # every listed module
    python benchmarks/mutation.py src/assay/registry/gate.py   # some of them (others kept)
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _results import RESULTS, record

REPO = Path(__file__).resolve().parents[1]
MODULES_FILE = REPO / "tests" / "mutation" / "modules.toml"
EQUIVALENT_FILE = REPO / "tests" / "mutation" / "equivalent.toml"
WORK = REPO / "mutants"
BIN = Path(sys.executable).parent
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
"""mutmut statuses that count as caught (a crash or hang of the tests is a failure noticed)."""
LINKED = ("src", "tests", "configs", "pipelines")


@dataclass
class Mutant:
    """One mutant's outcome: where, what it changed, and whether the tests caught it."""

    source: str  # "mutmut" or "ast" (decorated functions)
    name: str
    function: str
    status: str
    original: str = ""
    mutant: str = ""

    @property
    def killed(self) -> bool:
        return self.status in KILLED


@dataclass
class ModuleResult:
    """Every mutant of one module."""

    path: str
    tests: list[str]
    mutants: list[Mutant] = field(default_factory=list)
    seconds: float = 0.0

    def figures(self) -> dict[str, Any]:
        """The counts, with every mutant not killed among ``survivors`` (until
        :func:`apply_equivalents` moves the equivalent ones out)."""
        by_source = {
            source: {"mutants": sum(m.source == source for m in self.mutants),
                     "killed": sum(m.source == source and m.killed for m in self.mutants)}
            for source in ("mutmut", "ast")
        }
        return {
            "tests": self.tests,
            "mutants": len(self.mutants),
            "killed": sum(m.killed for m in self.mutants),
            "by_source": by_source,
            "seconds": round(self.seconds, 1),
            "survivors": [{"function": m.function, "status": m.status, "original": m.original,
                           "mutant": m.mutant, "name": m.name} for m in self.mutants if not m.killed],
            "equivalent_mutants": [],
        }


# ---------------------------------------------------------------------- mutmut


def _slug(path: str) -> str:
    return path.removeprefix("src/").removesuffix(".py").replace("/", ".")


def _mutmut_settings(tests: list[str], path: str) -> str:
    """The pyproject [tool.mutmut] table for one module: the shared settings, this module only."""
    shared = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"].get("mutmut", {})
    settings = {**shared, "only_mutate": [path],
                "pytest_add_cli_args_test_selection": [*tests]}
    lines = ["[tool.mutmut]"]
    for key, value in settings.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _without_mutmut_table(text: str) -> str:
    """``text`` (a pyproject) without its [tool.mutmut] table, which is replaced per module."""
    out: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.strip() == "[tool.mutmut]"
        if not skipping:
            out.append(line)
    return "".join(out)


def _workspace(path: str, tests: list[str]) -> Path:
    """A fresh directory where mutmut sees the project with this module's settings."""
    work = WORK / _slug(path)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in LINKED:
        (work / name).symlink_to(REPO / name)
    pyproject = _without_mutmut_table((REPO / "pyproject.toml").read_text())
    (work / "pyproject.toml").write_text(pyproject.rstrip() + "\n\n" + _mutmut_settings(tests, path))
    return work


def _function_of(name: str) -> str:
    """``decide_promotion`` from ``assay.registry.gate.x_decide_promotion__mutmut_8``;
    ``Manifest.from_json`` from ``...xǁManifestǁfrom_json__mutmut_2``."""
    tail = name.rsplit(".", 1)[-1]
    tail = re.sub(r"__mutmut_\d+$", "", tail)
    if tail.startswith("xǁ"):
        return ".".join(part for part in tail[2:].split("ǁ") if part)
    return tail.removeprefix("x_")


def _changed_lines(diff: str) -> tuple[str, str]:
    removed = [line[1:].strip() for line in diff.splitlines()
               if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff.splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    return "\n".join(removed), "\n".join(added)


def run_mutmut(path: str, tests: list[str], max_children: int, patience: float) -> list[Mutant]:
    """mutmut 3 on ``path`` with ``tests``; each survivor with the lines it changed.

    mutmut times a mutant out against the tests' durations in its own clean run, so on a busy
    machine a survivor that merely ran slowly reads as a timeout (a kill): each timeout is run
    again on its own with ``patience`` seconds of wall clock, and counts as what that run says.
    """
    work = _workspace(path, tests)
    log = work / "mutmut.log"
    print(f"   mutmut: progress in {log.relative_to(REPO)}", flush=True)
    with log.open("w") as out:
        done = subprocess.run([str(BIN / "mutmut"), "run", "--max-children", str(max_children)],
                              cwd=work, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"mutmut failed on {path} (exit {done.returncode}); see {log}")
    listing = subprocess.run([str(BIN / "mutmut"), "results", "--all", "true"], cwd=work,
                             capture_output=True, text=True, check=True).stdout
    mutants = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        if status == "timeout":
            code, _ = _run_tests(tests, work / "mutants" / "src", patience, mutant=name)
            status = _status(code)
        mutant = Mutant("mutmut", name, _function_of(name), status)
        if not mutant.killed:
            shown = subprocess.run([str(BIN / "mutmut"), "show", name], cwd=work,
                                   capture_output=True, text=True, check=True).stdout
            mutant.original, mutant.mutant = _changed_lines(shown)
        mutants.append(mutant)
    if not mutants:
        raise SystemExit(f"mutmut made no mutants of {path}; see {log}")
    return mutants


# ---------------------------------------------------------------------- decorated functions

_SWAPS: dict[type[ast.AST], type[ast.AST]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
    ast.GtE: ast.Gt, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.And: ast.Or, ast.Or: ast.And, ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div,
    ast.Div: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.Div, ast.Pow: ast.Mult,
}
"""Operator swaps, as mutmut makes them."""

Edit = Callable[[], None]


def _children(node: ast.AST) -> Iterator[tuple[str, int | None, ast.AST]]:
    for name, value in ast.iter_fields(node):
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield name, index, item
        elif isinstance(value, ast.AST):
            yield name, None, value


def _replace(parent: ast.AST, name: str, index: int | None, new: ast.AST) -> Edit:
    def edit() -> None:
        if index is None:
            setattr(parent, name, new)
        else:
            getattr(parent, name)[index] = new
    return edit


def _set_op(node: ast.AST, name: str, index: int | None, op: type[ast.AST]) -> Edit:
    return _replace(node, name, index, op())


def _edits(parent: ast.AST, name: str, index: int | None, node: ast.AST) -> Iterator[Edit]:
    """The mutations of ``node`` (held at ``parent.name[index]``), each as an in-place edit."""
    none = ast.Constant(None)
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _SWAPS:
                yield _set_op(node, "ops", i, _SWAPS[type(op)])
    elif isinstance(node, ast.BoolOp | ast.BinOp | ast.AugAssign) and type(node.op) in _SWAPS:
        yield _set_op(node, "op", None, _SWAPS[type(node.op)])
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield _replace(parent, name, index, node.operand)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield _replace(parent, name, index, ast.Constant(not value))
        elif isinstance(value, int | float):
            yield _replace(parent, name, index, ast.Constant(value + 1))
        elif isinstance(value, str):
            yield _replace(parent, name, index, ast.Constant(f"XX{value}XX"))
    elif isinstance(node, ast.Call):
        for i, arg in enumerate(node.args):
            if not isinstance(arg, ast.Starred) and not (isinstance(arg, ast.Constant) and arg.value is None):
                yield _replace(node, "args", i, none)
        for i in range(len(node.keywords)):
            def drop(i: int = i) -> None:
                del node.keywords[i]
            yield drop
    elif (isinstance(node, ast.Return | ast.Assign) and node.value is not None
          and not (isinstance(node.value, ast.Constant) and node.value.value is None)):
        yield _replace(node, "value", None, none)


def _walk(node: ast.AST) -> Iterator[tuple[ast.AST, str, int | None, ast.AST]]:
    """Every node under ``node`` with where it is held, in a fixed order; skips docstrings,
    annotations and format specs (whose mutants only fail to format)."""
    for name, index, child in _children(node):
        if name in ("annotation", "returns", "format_spec", "decorator_list"):
            continue
        if (name == "body" and index == 0 and isinstance(child, ast.Expr)
                and isinstance(child.value, ast.Constant) and isinstance(child.value.value, str)):
            continue
        yield node, name, index, child
        yield from _walk(child)


def _decorated(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """The functions mutmut skips: decorated ones, except a lone staticmethod or classmethod."""
    def visit(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, Any]]:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                yield from visit(stmt.body, f"{prefix}{stmt.name}.")
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.decorator_list:
                lone = stmt.decorator_list[0] if len(stmt.decorator_list) == 1 else None
                if not (isinstance(lone, ast.Name) and lone.id in ("staticmethod", "classmethod")):
                    yield f"{prefix}{stmt.name}", stmt
    yield from visit(tree.body, "")


def _function_edits(tree: ast.Module, qualname: str) -> tuple[ast.AST, list[Edit]]:
    function = dict(_decorated(tree))[qualname]
    edits = [edit for parent, name, index, node in _walk(function)
             for edit in _edits(parent, name, index, node)]
    return function, edits


def _run_tests(tests: list[str], src: Path, timeout: float,
               mutant: str | None = None) -> tuple[int | None, float]:
    """pytest's exit code on ``tests`` importing assay from ``src`` (None if past ``timeout``),
    and the seconds it took; ``mutant`` names the mutmut mutant to switch on."""
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("MUTANT_UNDER_TEST", None)
    if mutant:
        env["MUTANT_UNDER_TEST"] = mutant
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               *tests], cwd=REPO, env=env, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return None, timeout
    return done.returncode, time.perf_counter() - start


def _status(code: int | None) -> str:
    return "timeout" if code is None else "survived" if code == 0 else "no tests" if code == 5 else "killed"


def run_decorated(path: str, tests: list[str], patience: float) -> list[Mutant]:
    """AST mutants of the decorated functions in ``path``, each run against ``tests``."""
    source = (REPO / path).read_text()
    names = [name for name, _ in _decorated(ast.parse(source))]
    if not names:
        return []
    src = WORK / _slug(path) / "ast-src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    target = src / Path(path).relative_to("src")
    mutants: list[Mutant] = []
    try:
        for qualname in names:
            count = len(_function_edits(ast.parse(source), qualname)[1])
            print(f"   {count} AST mutants of {qualname} (decorated, so mutmut skips it)", flush=True)
            for number in range(count):
                mutated, original, changed = _ast_mutant(source, qualname, number)
                target.write_text(mutated)
                code, _ = _run_tests(tests, src, patience)
                mutant = Mutant("ast", f"{_slug(path)}.{qualname}__ast_{number + 1}", qualname,
                                _status(code))
                if not mutant.killed:
                    mutant.original, mutant.mutant = original, changed
                mutants.append(mutant)
    finally:
        shutil.rmtree(src, ignore_errors=True)
    return mutants


def _ast_mutant(source: str, qualname: str, number: int) -> tuple[str, str, str]:
    """The module with edit ``number`` of ``qualname`` applied, and the lines it changed."""
    tree = ast.parse(source)
    function, edits = _function_edits(tree, qualname)
    before = ast.unparse(copy.deepcopy(function))
    edits[number]()
    after = ast.unparse(function)
    original, changed = _changed_lines("\n".join(
        difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")))
    return ast.unparse(tree) + "\n", original, changed


def recheck(path: str, tests: list[str], figures: dict[str, Any]) -> None:
    """Runs the last run's survivors of ``path`` again against ``tests`` (tests added since),
    counting those now caught as killed. mutmut's survivors run from its copy of the module
    as it was mutated; a decorated function's survivor is made again from the module now and
    must change the same lines, else it stays as it was."""
    code, baseline = _run_tests(tests, REPO / "src", timeout=600)
    if code != 0:
        raise SystemExit(f"the tests of {path} fail unmutated (pytest exit {code}): {' '.join(tests)}")
    patience = max(60.0, 10 * baseline)
    work = WORK / _slug(path)
    source = (REPO / path).read_text()
    src = work / "ast-src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    still = []
    try:
        for survivor in figures["survivors"]:
            qualname, ast_mark, number = survivor["name"].removeprefix(f"{_slug(path)}.").rpartition("__ast_")
            if ast_mark:
                mutated, original, changed = _ast_mutant(source, qualname, int(number) - 1)
                if (original, changed) != (survivor["original"], survivor["mutant"]):
                    still.append(survivor)
                    continue
                (src / Path(path).relative_to("src")).write_text(mutated)
                code, _ = _run_tests(tests, src, patience)
            else:
                code, _ = _run_tests(tests, work / "mutants" / "src", patience, mutant=survivor["name"])
            status = _status(code)
            if status in KILLED:
                figures["killed"] += 1
                figures["by_source"]["ast" if ast_mark else "mutmut"]["killed"] += 1
            else:
                still.append({**survivor, "status": status})
    finally:
        shutil.rmtree(src, ignore_errors=True)
    figures["survivors"] = still
    figures["tests"] = tests


# ---------------------------------------------------------------------- scoring


def _equivalents() -> list[dict[str, str]]:
    if not EQUIVALENT_FILE.exists():
        return []
    entries: list[dict[str, str]] = tomllib.loads(EQUIVALENT_FILE.read_text()).get("equivalent", [])
    for entry in entries:
        missing = {"module", "function", "original", "mutant", "reason"} - set(entry)
        if missing or not entry["reason"].strip():
            raise SystemExit(f"{EQUIVALENT_FILE}: an entry lacks {sorted(missing) or ['a reason']}: {entry}")
    return entries


def _matches(entry: dict[str, str], path: str, mutant: dict[str, str]) -> bool:
    def norm(text: str) -> str:
        return "\n".join(line.strip() for line in text.strip().splitlines())
    return (entry["module"] == path and entry["function"] == mutant["function"]
            and norm(entry["original"]) == mutant["original"]
            and norm(entry["mutant"]) == mutant["mutant"])


def apply_equivalents(path: str, figures: dict[str, Any],
                      equivalents: list[dict[str, str]]) -> list[dict[str, str]]:
    """Moves the mutants not killed that an entry lists out of ``survivors`` and scores the
    rest; returns the entries for ``path`` that match none (stale: to be reviewed)."""
    mine = [entry for entry in equivalents if entry["module"] == path]
    open_ = figures["survivors"] + figures.get("equivalent_mutants", [])
    equivalent = [m for m in open_ if any(_matches(entry, path, m) for entry in mine)]
    considered = figures["mutants"] - len(equivalent)
    figures.update(
        equivalent=len(equivalent), non_equivalent=considered,
        score_pct=round(100.0 * figures["killed"] / considered, 1) if considered else 100.0,
        survivors=[m for m in open_ if m not in equivalent], equivalent_mutants=equivalent)
    return [entry for entry in mine if not any(_matches(entry, path, m) for m in open_)]


def score(path: str, tests: list[str], max_children: int) -> ModuleResult:
    """All mutants of ``path``, run against ``tests``."""
    start = time.perf_counter()
    result = ModuleResult(path, tests)
    code, baseline = _run_tests(tests, REPO / "src", timeout=600)
    if code != 0:
        raise SystemExit(f"the tests of {path} fail unmutated (pytest exit {code}): {' '.join(tests)}")
    patience = max(60.0, 10 * baseline)  # a mutant's tests past this are taken to hang
    result.mutants = (run_mutmut(path, tests, max_children, patience)
                      + run_decorated(path, tests, patience))
    result.seconds = time.perf_counter() - start
    return result


def _save(table: dict[str, list[str]], threshold: float, figures: dict[str, Any],
          done: set[str]) -> dict[str, Any]:
    """Writes the figures of the modules in ``done`` over the file's (read again: another run
    may have scored other modules meanwhile); returns every module's figures."""
    path = RESULTS / "mutation.json"
    latest = json.loads(path.read_text()).get("modules", {}) if path.exists() else {}
    merged = {**latest, **{p: figures[p] for p in done}}
    ordered = {p: merged[p] for p in table if p in merged}
    record("mutation", {"threshold_pct": threshold, "modules": ordered})
    return ordered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths from tests/mutation/modules.toml "
                        "(default: all); the others' figures are kept from the last run")
    parser.add_argument("--max-children", type=int, default=1,
                        help="mutants mutmut runs at once (default 1)")
    parser.add_argument("--rescore", action="store_true",
                        help="run nothing: apply equivalent.toml again to the last run's survivors")
    parser.add_argument("--recheck", action="store_true",
                        help="run only the last run's survivors again, against the tests listed now")
    args = parser.parse_args(argv)

    listed = tomllib.loads(MODULES_FILE.read_text())
    threshold = float(listed["threshold"])
    # pytest's arguments per module: its test files, then the slow tests among them left out
    table = {entry["path"]: [*entry["tests"], *(arg for test in entry.get("deselect", [])
                                                 for arg in ("--deselect", test))]
             for entry in listed["module"]}
    unknown = [path for path in args.modules if path not in table]
    if unknown:
        parser.error(f"not in {MODULES_FILE.relative_to(REPO)}: {', '.join(unknown)}")
    named = [path for entry in listed["module"]
             for path in [entry["path"], *entry["tests"], *entry.get("deselect", [])]]
    missing = [path for path in named if not (REPO / path.partition("::")[0]).exists()]
    if missing:
        parser.error(f"{MODULES_FILE.relative_to(REPO)} names files that do not exist: {', '.join(missing)}")
    equivalents = _equivalents()

    previous_file = RESULTS / "mutation.json"
    previous = json.loads(previous_file.read_text()).get("modules", {}) if previous_file.exists() else {}
    figures = {path: previous[path] for path in table if path in previous
               and (args.modules or args.rescore or args.recheck)}
    failures: list[str] = []
    done: set[str] = set()
    for path in args.modules or list(table):
        print(f"== {path}", flush=True)
        if args.recheck and path in figures:
            recheck(path, table[path], figures[path])
        elif not args.rescore and not args.recheck:
            figures[path] = score(path, table[path], args.max_children).figures()
        elif path not in figures:
            print("   not scored yet")
            continue
        line = figures[path]
        stale = apply_equivalents(path, line, equivalents)
        done.add(path)
        _save(table, threshold, figures, done)  # after each module: a long run keeps what it did
        print(f"   {line['killed']}/{line['non_equivalent']} killed = {line['score_pct']}% "
              f"({line['mutants']} mutants, {line['equivalent']} equivalent, {line['seconds']} s)")
        for survivor in line["survivors"]:
            print(f"   survived in {survivor['function']}: "
                  f"{survivor['original']!r} -> {survivor['mutant']!r}")
        for entry in stale:
            failures.append(f"{path}: equivalent entry in {entry['function']} matches no survivor "
                            "(code or tests changed? review it): "
                            f"{entry['original']!r} -> {entry['mutant']!r}")
    ordered = _save(table, threshold, figures, done)
    for path, line in ordered.items():
        if line["score_pct"] < threshold:
            failures.append(f"{path}: {line['score_pct']}% killed, below {threshold:g}%")
    print("\n".join(f"{path}: {line['killed']}/{line['non_equivalent']} = {line['score_pct']}%"
                    for path, line in ordered.items()))
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
