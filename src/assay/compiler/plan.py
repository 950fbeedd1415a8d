"""The compiled plan: an immutable DAG of fingerprinted step calls."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assay.catalog import Resources

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Source:
    """One upstream output feeding an input: the producing node and its output name."""

    node: str
    output: str


@dataclass(frozen=True)
class InputBinding:
    """What a node's input receives: one source, or a list of them for a fan-in."""

    name: str
    sources: tuple[Source, ...]
    many: bool = False


@dataclass(frozen=True)
class PlanNode:
    """One step call in the plan.

    Attributes:
        id: Unique within the plan: the spec's step name, ``name[i]`` for repeats.
        step: The registered step name.
        reference: ``module:qualname`` of the step function.
        params: Resolved parameters, plain data.
        inputs: What each input reads.
        outputs: Output name → artifact kind.
        fingerprint: Hash of everything that determines the node's result.
        components: What went into the fingerprint (to explain why a node must run).
        resources: What the worker running it needs.
        spec_step: The step name in the spec (equal to ``id`` unless repeated).
        config_keys: Parameter name → the config key it was interpolated from
            (``source`` → ``data``), so errors found while running name config keys.
    """

    id: str
    step: str
    reference: str
    params: Mapping[str, Any]
    inputs: tuple[InputBinding, ...]
    outputs: Mapping[str, str]
    fingerprint: str
    components: Mapping[str, Any] = field(repr=False)
    resources: Resources = field(default_factory=Resources)
    spec_step: str = ""
    config_keys: Mapping[str, str] = field(default_factory=dict)

    @property
    def short(self) -> str:
        """The first 12 characters of the fingerprint, as shown to people."""
        return self.fingerprint[:12]


class Plan:
    """A compiled pipeline: a networkx DAG whose nodes carry :class:`PlanNode` objects.

    Edges run from producer to consumer and carry the ``output`` and ``input`` names.
    """

    def __init__(
        self,
        graph: nx.DiGraph,
        pipeline: str,
        spec_file: str,
        metrics: tuple[Source, ...] = (),
    ) -> None:
        self.graph = graph
        self.pipeline = pipeline
        self.spec_file = spec_file
        self.metrics = metrics
        self._order: list[str] | None = None

    def __len__(self) -> int:
        return int(self.graph.number_of_nodes())

    def __iter__(self) -> Iterator[PlanNode]:
        """Nodes in a topological order (stable across runs)."""
        return (self.node(node_id) for node_id in self.order())

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.graph

    def order(self) -> list[str]:
        """Node ids in a deterministic topological order."""
        if self._order is None:
            import networkx as nx

            self._order = list(nx.lexicographical_topological_sort(self.graph))
        return self._order

    def node(self, node_id: str) -> PlanNode:
        """The node with this id."""
        node: PlanNode = self.graph.nodes[node_id]["node"]
        return node

    def producers(self, node_id: str) -> list[str]:
        """Ids of the nodes whose outputs ``node_id`` reads."""
        return sorted(self.graph.predecessors(node_id))

    def consumers(self, node_id: str) -> list[str]:
        """Ids of the nodes that read outputs of ``node_id``."""
        return sorted(self.graph.successors(node_id))
