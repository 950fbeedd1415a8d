"""The compiler: pipeline spec + composed config → a checked, fingerprinted plan.

Nothing here imports Dask, scikit-learn or torch, nor the step library: the steps a
spec may use arrive as a :class:`~assay.catalog.StepCatalog`.
"""

from assay.compiler.compile import HashFile, compile_plan
from assay.compiler.plan import InputBinding, Plan, PlanNode, Source
from assay.compiler.spec import PipelineSpec, load_spec

__all__ = [
    "HashFile",
    "InputBinding",
    "PipelineSpec",
    "Plan",
    "PlanNode",
    "Source",
    "compile_plan",
    "load_spec",
]
