"""A card's exports: Model Card Toolkit-style JSON and a Hugging Face-style README.

Both are written next to the site's pages under ``exports/models/NAME/vN/`` (outside
``docs/``, so MkDocs does not read the README as a page); the site's MkDocs hook copies
them into the built site. Like the card, they are written once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml

from assay.report.site import EXPORTS

if TYPE_CHECKING:
    from assay.report.card import CardContent
    from assay.report.site import SiteProject

MCT_SCHEMA = "0.0.2"  # the Model Card Toolkit schema version the JSON follows
_HF_TASKS = {"classification": "tabular-classification", "regression": "tabular-regression"}


def export_folder(card_page: str) -> str:
    """The exports folder of a card, relative to the site project (``exports/models/…``)."""
    return f"{EXPORTS}/{card_page.removesuffix('.md')}"


def write_exports(project: SiteProject, content: CardContent, card_page: str) -> None:
    """Writes both exports of a card (with the card, so once)."""
    folder = export_folder(card_page)
    project.write_text(f"{folder}/model-card.json", json.dumps(model_card_json(content), indent=1) + "\n")
    project.write_text(f"{folder}/README.md", huggingface_readme(content))


def model_card_json(content: CardContent) -> dict[str, Any]:
    """The card in the Model Card Toolkit's JSON layout (``model_details``,
    ``model_parameters``, ``quantitative_analysis``, ``considerations``).

    Graphics name the PNG files beside the card page instead of embedding them base64.
    """
    from assay.report.card import registered

    version, human = content.card.version, content.human
    metrics = []
    if content.evaluation is not None:
        metrics = [{"type": m.name, "value": _text(m.value),
                    "confidence_interval": {"lower_bound": _text(m.low),
                                            "upper_bound": _text(m.high)}}
                   for m in content.evaluation.metrics]
        metrics += [{"type": name, "value": _text(value), "slice": f"{s.column}={s.value}"}
                    for s in content.evaluation.slices for name, value in s.metrics.items()]
    license_ = human.get("license")
    return {
        "schema_version": MCT_SCHEMA,
        "model_details": {
            "name": version.name,
            "version": {"name": f"v{version.version}", "date": registered(version),
                        "diff": _diff_text(content)},
            "owners": [{"name": str(owner)} for owner in human.get("owners") or []],
            "licenses": [{"identifier": str(license_)}] if license_ else [],
            "overview": f"{version.estimator or 'a model'} for {version.task or 'an unknown task'}",
        },
        "model_parameters": {
            "model_architecture": version.estimator or "",
            "data": [{"name": f"{d.role}: {d.source or d.node}",
                      "description": f"fingerprint {d.fingerprint}, {d.rows} rows"}
                     for d in version.datasets],
        },
        "quantitative_analysis": {
            "performance_metrics": metrics,
            "graphics": {"description": "PNG files beside the card page",
                         "collection": [{"name": p.title, "image": p.file}
                                        for p in content.plots]},
        },
        "considerations": {
            "use_cases": _described(human.get("intended_use")),
            "out_of_scope_uses": _described(human.get("out_of_scope")),
            "limitations": _described(human.get("limitations")),
            "ethical_considerations": [{"name": str(text)} for text in
                                       [human.get("ethical_considerations")] if text],
        },
    }


def huggingface_readme(content: CardContent) -> str:
    """A Hugging Face model README: YAML metadata with ``model-index``, then the card."""
    from assay.report.card import registered

    version, human = content.card.version, content.human
    task = _HF_TASKS.get(version.task or "", "tabular-classification")
    test = next((d for d in version.datasets if d.role == "test"), None)
    results = [{"task": {"type": task},
                "dataset": {"name": (test.source if test else None) or "test split",
                            "type": "tabular"},
                "metrics": [{"type": m.name, "value": round(m.value, 6), "name": m.name}
                            for m in (content.evaluation.metrics if content.evaluation else ())]}]
    metadata: dict[str, Any] = {"library_name": "sklearn", "pipeline_tag": task,
                                "tags": ["assay", task]}
    if human.get("license"):
        metadata["license"] = str(human["license"])
    metadata["model-index"] = [{"name": version.name, "results": results}]
    sections = [f"# {version.name} v{version.version}", "",
                f"{version.estimator or 'Model'}, registered {registered(version)}.", ""]
    for title, key in (("Intended use", "intended_use"), ("Out-of-scope use", "out_of_scope"),
                       ("Limitations", "limitations"),
                       ("Ethical considerations", "ethical_considerations")):
        sections += [f"## {title}", "", str(human.get(key) or "Not written."), ""]
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n" + "\n".join(sections)


def _diff_text(content: CardContent) -> str:
    card = content.card
    if card.previous is None:
        return "first version"
    changed = [f"{kind} {key}" for kind, found in content.changes.items() for key in found]
    return f"since {card.previous}: " + (", ".join(changed) or "nothing recorded differs")


def _described(text: Any) -> list[dict[str, str]]:
    return [{"description": str(text)}] if text else []


def _text(value: float) -> str:
    return f"{value:.6g}"
