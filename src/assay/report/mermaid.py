"""A run's plan as a Mermaid flowchart, each node coloured by how it ended."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Fill colours by task status; the legend under each diagram names them.
STATUS_STYLES = {
    "ran": "fill:#c8e6c9,stroke:#2e7d32,color:#1b1b1b",
    "cached": "fill:#e3f2fd,stroke:#1565c0,color:#1b1b1b",
    "failed": "fill:#ffcdd2,stroke:#c62828,color:#1b1b1b",
    "skipped": "fill:#eeeeee,stroke:#757575,color:#1b1b1b",
}
# Mermaid reads labels as markup; node names come from pipeline specs, so a label keeps
# only characters that cannot form markup or Mermaid syntax.
_UNSAFE = re.compile(r"[^A-Za-z0-9_.()\[\] -]")


def plan_diagram(tasks: Sequence[Mapping[str, Any]], edges: Sequence[tuple[str, str]]) -> str:
    """Mermaid source of the plan: one node per task, producer → consumer edges."""
    ids = {str(task["node"]): f"n{index}" for index, task in enumerate(tasks)}
    lines = ["flowchart LR"]
    for task in tasks:
        label = _UNSAFE.sub("_", f"{task['node']} ({task['step']})")
        lines.append(f'  {ids[str(task["node"])]}["{label}"]')
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in edges if a in ids and b in ids]
    for status, style in STATUS_STYLES.items():
        lines.append(f"  classDef {status} {style}")
        members = [ids[str(t["node"])] for t in tasks if t["status"] == status]
        if members:
            lines.append(f"  class {','.join(members)} {status}")
    return "\n".join(lines)


def fenced(diagram: str) -> str:
    """The diagram as a Markdown ``mermaid`` fence (rendered to SVG in the browser)."""
    return f"```mermaid\n{diagram}\n```\n"
