"""Merging the plans of a sweep's jobs into one plan: equal fingerprints collapse.

Twelve jobs that share data loading and feature fitting give one load node and one
features node with twelve consumers, so shared work runs once and everything
independent runs side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from assay.compiler.plan import Plan, Source


@dataclass(frozen=True)
class MergedPlan:
    """The union of several plans.

    Attributes:
        plan: One node per distinct fingerprint. A node keeps its job-plan id when that
            id is free, else gets ``id~fingerprint`` (``train~3fa2c1d0``).
        mappings: For each input plan, its node ids → merged node ids.
    """

    plan: Plan
    mappings: tuple[dict[str, str], ...]

    @property
    def total_nodes(self) -> int:
        """Nodes summed over the input plans."""
        return sum(len(mapping) for mapping in self.mappings)

    @property
    def unique_nodes(self) -> int:
        """Nodes after merging."""
        return len(self.plan)


def merge_plans(plans: Sequence[Plan]) -> MergedPlan:
    """The union of ``plans`` by fingerprint."""
    import networkx as nx

    graph = nx.DiGraph()
    by_fingerprint: dict[str, str] = {}
    mappings: list[dict[str, str]] = []
    metrics: list[Source] = []
    for plan in plans:
        mapping: dict[str, str] = {}
        for node in plan:  # producers come before their consumers
            merged_id = by_fingerprint.get(node.fingerprint)
            if merged_id is None:
                merged_id = node.id if node.id not in graph else f"{node.id}~{node.short[:8]}"
                by_fingerprint[node.fingerprint] = merged_id
                inputs = tuple(
                    dataclasses.replace(
                        binding,
                        sources=tuple(Source(mapping[s.node], s.output) for s in binding.sources),
                    )
                    for binding in node.inputs
                )
                graph.add_node(merged_id, node=dataclasses.replace(node, id=merged_id, inputs=inputs))
                for binding in inputs:
                    for source in binding.sources:
                        graph.add_edge(source.node, merged_id, output=source.output,
                                       input=binding.name)
            mapping[node.id] = merged_id
        mappings.append(mapping)
        metrics.extend(Source(mapping[s.node], s.output) for s in plan.metrics)
    first = plans[0]
    merged = Plan(graph, first.pipeline, first.spec_file, tuple(dict.fromkeys(metrics)))
    return MergedPlan(merged, tuple(mappings))
