"""Wiring step instances into a DAG and checking every edge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assay.catalog import Step
from assay.compiler.plan import InputBinding, Source
from assay.compiler.resolve import StepInstance
from assay.compiler.spec import OutputRef, PipelineSpec
from assay.errors import Problem, did_you_mean, one_of

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Wiring:
    """The graph (node id → instance) and each instance's input bindings."""

    graph: nx.DiGraph
    bindings: Mapping[str, tuple[InputBinding, ...]]


def build_graph(
    spec: PipelineSpec,
    instances: Sequence[StepInstance],
    steps: Mapping[str, Step],
    disabled: frozenset[str],
) -> tuple[Wiring, list[Problem]]:
    """Connects every instance's inputs to the outputs of upstream instances.

    Args:
        spec: The pipeline spec (for locations in messages).
        instances: Enabled step instances.
        steps: Spec step name → declared step (only for names that resolved).
        disabled: Spec step names turned off by ``when``.
    """
    import networkx as nx

    graph = nx.DiGraph()
    by_entry: dict[str, list[str]] = {}
    for instance in instances:
        graph.add_node(instance.node_id, instance=instance)
        by_entry.setdefault(instance.entry.name, []).append(instance.node_id)
    problems: list[Problem] = []
    bindings: dict[str, tuple[InputBinding, ...]] = {}
    for instance in instances:
        declared = steps.get(instance.entry.name)
        if declared is None:
            continue
        wired = _wire(spec, instance, declared, steps, by_entry, disabled, problems)
        bindings[instance.node_id] = tuple(wired)
        for binding in wired:
            for source in binding.sources:
                graph.add_edge(source.node, instance.node_id, output=source.output,
                               input=binding.name)
    problems.extend(_dedupe(_check_acyclic(spec, graph)))
    return Wiring(graph, bindings), _dedupe(problems)


def _wire(
    spec: PipelineSpec,
    instance: StepInstance,
    declared: Step,
    steps: Mapping[str, Step],
    by_entry: Mapping[str, list[str]],
    disabled: frozenset[str],
    problems: list[Problem],
) -> list[InputBinding]:
    entry = instance.entry
    bindings = []
    for name, ref in entry.inputs.items():
        where = _Where(spec, entry.name, f"inputs.{name}")
        expected = declared.inputs.get(name)
        if expected is None:
            problems.append(
                Problem(
                    f"step '{declared.name}' has no input '{name}'",
                    file=str(where),
                    step=entry.name,
                    key=f"inputs.{name}",
                    expected=one_of(declared.inputs),
                    hint=did_you_mean(name, declared.inputs),
                )
            )
            continue
        producer = _producer(spec, entry.name, name, ref, steps, disabled, problems, where)
        if producer is None:
            continue
        kind = producer.outputs[ref.output]
        if kind != expected.kind:
            problems.append(
                Problem(
                    f"input '{name}' expects a {expected.kind}, but '{ref}' is a {kind}",
                    file=str(where),
                    step=entry.name,
                    key=f"inputs.{name}",
                    expected=f"an output of kind '{expected.kind}'",
                    got=f"'{ref}' ({kind})",
                )
            )
            continue
        sources = tuple(Source(node, ref.output) for node in by_entry.get(ref.step, []))
        if not sources and spec.steps[ref.step].foreach is None:
            continue  # the step's own resolution failed, and that problem is reported
        if len(sources) != 1 and not expected.many:
            problems.append(
                Problem(
                    f"input '{name}' takes one {kind}, but '{ref.step}' is repeated "
                    f"({len(sources)} instances, foreach)",
                    file=str(where),
                    step=entry.name,
                    key=f"inputs.{name}",
                    hint=f"declare the input as list[...] in step '{declared.name}'",
                )
            )
            continue
        bindings.append(InputBinding(name, sources, expected.many))
    for name in declared.inputs:
        if name not in entry.inputs:
            problems.append(
                Problem(
                    f"input '{name}' of step '{declared.name}' is not connected",
                    file=spec.where(entry.name, "inputs"),
                    step=entry.name,
                    key=f"inputs.{name}",
                    expected=f"inputs: {{{name}: <step>.<output>}} giving a "
                    f"{declared.inputs[name].kind}",
                )
            )
    return bindings


def _producer(
    spec: PipelineSpec,
    consumer: str,
    input_name: str,
    ref: OutputRef,
    steps: Mapping[str, Step],
    disabled: frozenset[str],
    problems: list[Problem],
    where: _Where,
) -> Step | None:
    key = f"inputs.{input_name}"
    if ref.step not in spec.steps:
        problems.append(
            Problem(
                f"input '{input_name}' reads '{ref}', but there is no step '{ref.step}'",
                file=str(where),
                step=consumer,
                key=key,
                expected=one_of(spec.steps),
                hint=did_you_mean(ref.step, spec.steps),
            )
        )
        return None
    if ref.step in disabled:
        problems.append(
            Problem(
                f"input '{input_name}' reads '{ref}', but step '{ref.step}' is turned off "
                "by its 'when'",
                file=str(where),
                step=consumer,
                key=key,
                hint=f"give step '{consumer}' the same 'when' as '{ref.step}'",
            )
        )
        return None
    producer = steps.get(ref.step)
    if producer is None:
        return None  # its own problem (unknown step) is already reported
    if ref.output not in producer.outputs:
        problems.append(
            Problem(
                f"input '{input_name}' reads '{ref}', but step '{ref.step}' "
                f"({producer.name}) has no output '{ref.output}'",
                file=str(where),
                step=consumer,
                key=key,
                expected=one_of(producer.outputs),
                hint=did_you_mean(ref.output, producer.outputs),
            )
        )
        return None
    return producer


def _check_acyclic(spec: PipelineSpec, graph: nx.DiGraph) -> list[Problem]:
    import networkx as nx

    if nx.is_directed_acyclic_graph(graph):
        return []
    problems = []
    position = {name: index for index, name in enumerate(spec.steps)}
    for cycle in nx.simple_cycles(graph):
        names = [graph.nodes[n]["instance"].entry.name for n in cycle]
        start = min(range(len(names)), key=lambda i: position.get(names[i], 0))
        names = names[start:] + names[:start]  # start the loop where the spec does
        loop = " -> ".join([*names, names[0]])
        problems.append(
            Problem(
                f"the steps form a cycle: {loop}",
                file=spec.where(names[0], "inputs"),
                step=names[0],
                key="inputs",
                expected="a pipeline where no step depends, directly or not, on itself",
                hint="remove one of the inputs in the loop",
            )
        )
        if len(problems) >= 5:
            break
    return problems


class _Where:
    """``file:line`` of a spec key, computed only when a problem needs it."""

    def __init__(self, spec: PipelineSpec, step: str, key: str) -> None:
        self.spec, self.step, self.key = spec, step, key

    def __str__(self) -> str:
        return self.spec.where(self.step, self.key)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Repeated instances of one step report the same problem once."""
    return list(dict.fromkeys(problems))
