"""One model version's card: what it is, how well it does, where it came from.

A card describes a version as registered, so it is written once and never again:
aliases, promotions made later and drift checks change over time and are shown on the
model's page (``models/NAME/index.md``), which every card links to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from assay.errors import ConfigError
from assay.registry.loading import stored_dataset, stored_model
from assay.report import markup as md
from assay.report.collect import ModelCard
from assay.report.site import Page, SiteProject

if TYPE_CHECKING:
    from assay.registry import ModelVersion
    from assay.report.evaluation import Evaluation
    from assay.report.plots import Plot
    from assay.store import Store

HUMAN_SECTIONS = (
    ("intended_use", "Intended use"),
    ("out_of_scope", "Out-of-scope use"),
    ("limitations", "Limitations"),
    ("ethical_considerations", "Ethical considerations"),
)
NOT_EVALUATED = "Not evaluated"  # the title of a note saying why metrics are missing


@dataclass(frozen=True)
class CardContent:
    """What a card shows besides the version itself: computed once, when it is written."""

    card: ModelCard
    changes: Mapping[str, Any]  # overrides, data and metrics that differ from ``card.before``
    human: Mapping[str, Any]  # the config's ``card`` section when the version was registered
    evaluation: Evaluation | None
    plots: tuple[Plot, ...]
    problem: str | None  # why the evaluation is missing, when it is


def card_path(version: ModelVersion) -> str:
    """Where a version's card goes, relative to ``docs/``."""
    return f"models/{version.name}/v{version.version}.md"


def write_card(project: SiteProject, store: Store, card: ModelCard, resamples: int) -> bool:
    """Writes the card of ``card.version`` unless it exists; returns whether it was written."""
    from assay.report.exports import export_folder, write_exports

    version = card.version
    path = card_path(version)
    assets = path.removesuffix(".md")
    if project.exists(path) and project.exists(Page(path, "").data_path):
        project.keep_tree(assets)
        project.keep_tree(export_folder(path))
        return False
    content = _content(project, store, card, assets, resamples)
    page = Page(path, _markdown(content, path), _data(content), once=True)
    project.write_page(page)
    write_exports(project, content, path)
    project.keep_tree(assets)
    return True


def changes(card: ModelCard) -> dict[str, Any]:
    """The overrides, data and metrics that differ from the version before ``card``'s
    (empty for a first version); only a card written for the first time needs them."""
    from assay.registry.diff import diff_versions

    if card.before is None:
        return {}
    diff = diff_versions(card.before, card.version)
    return {k: diff[k] for k in ("overrides", "data", "metrics") if diff[k]}


def recorded_config(version: ModelVersion) -> dict[str, Any]:
    """The resolved config a version was registered with, as plain data."""
    loaded = yaml.safe_load(version.config) if version.config else None
    return loaded if isinstance(loaded, dict) else {}


def _content(project: SiteProject, store: Store, card: ModelCard, assets: str,
             resamples: int) -> CardContent:
    from assay.report.evaluation import evaluate
    from assay.report.plots import evaluation_plots
    from assay.report.site import digest

    version = card.version
    config = recorded_config(version)
    human = config.get("card") or {}
    slices = (config.get("evaluate") or {}).get("slices") or []
    changed = changes(card)
    model, test = stored_model_or_none(store, version), stored_dataset(store, version, "test")
    if model is None or test is None:
        missing = "model" if model is None else "test data"
        return CardContent(card, changed, human, None, (),
                           f"the {missing} of this version is no longer in the store, so "
                           "nothing could be evaluated")
    problem = None
    try:
        evaluation = evaluate(model, test, slices=slices, resamples=resamples)
    except ConfigError as error:  # a slice column the test data lacks: the card says so
        evaluation = evaluate(model, test, resamples=resamples)
        problem = f"per-slice metrics were not computed: {error.problems[0].message}"
    plots = evaluation_plots(evaluation, version.training)
    for plot in plots:
        project.draw_if_changed(f"{assets}/{plot.plot.file}", digest(plot.data), plot.render)
    return CardContent(card, changed, human, evaluation, tuple(p.plot for p in plots), problem)


def stored_model_or_none(store: Store, version: ModelVersion) -> Any:
    """The version's model, or None when its artifact is gone (one that is not the
    registered one stops the build: ModelIntegrityError)."""
    from assay.registry import RegistryError
    from assay.registry.loading import ModelIntegrityError

    try:
        return stored_model(store, version)
    except ModelIntegrityError:
        raise
    except RegistryError:
        return None


def _markdown(content: CardContent, path: str) -> str:
    version = content.card.version
    title = f"# {md.text(version.name)} v{version.version}\n"
    parts = [title, _details(content), _human(content), _data_section(version),
             _metrics(content), _slices(content), _plots(content, path), _lineage(version, path),
             _drift(version), _usage(version), _exports(path)]
    return "\n".join(p for p in parts if p)


def registered(version: ModelVersion) -> str:
    """The registration time in UTC, to the second."""
    return f"{md.utc(version.created)} UTC"


def _details(content: CardContent) -> str:
    version, card, human = content.card.version, content.card, content.human
    rows = [("name", version.name), ("version", f"v{version.version}"),
            ("registered", registered(version)),
            ("owners", ", ".join(map(str, human.get("owners") or [])) or "not given"),
            ("license", human.get("license") or "not given"),
            ("estimator", version.estimator or "unknown"), ("task", version.task or "unknown"),
            ("previous version", card.previous or "none: this is the first")]
    differences = [(f"{kind}: {key}", *_pair(change))
                   for kind, found in content.changes.items() for key, change in found.items()]
    changed = (md.table(["what", "before", "now"], differences) if differences
               else "Nothing recorded differs from the previous version." if card.previous
               else "")
    return md.section("Details", md.table(["", ""], rows),
                      "### What changed since the previous version\n\n" + changed
                      if card.previous else "")


def _pair(change: Any) -> tuple[Any, Any]:
    if isinstance(change, list | tuple) and len(change) == 2:
        return change[0], change[1]
    return "", change


def _human(content: CardContent) -> str:
    sections = []
    for key, title in HUMAN_SECTIONS:
        written = content.human.get(key)
        body = md.text(written) if written else md.missing(
            f"Not written: set card.{key} in the config this model is trained with.")
        sections.append(md.section(title, body))
    return "\n".join(sections)


def _data_section(version: ModelVersion) -> str:
    rows = [(d.role, d.source or "", d.fingerprint[:12], d.rows, len(d.columns))
            for d in version.datasets]
    training = next((d for d in version.datasets if d.role == "train"), None)
    schema = (md.table(["column", "type"], sorted(training.columns.items()))
              if training is not None else "")
    return md.section("Training and evaluation data",
                      md.table(["role", "source", "fingerprint", "rows", "columns"], rows),
                      "### Schema of the training data\n\n" + schema if schema else "")


def _metrics(content: CardContent) -> str:
    evaluation = content.evaluation
    if evaluation is None:
        return md.section("Metrics", md.note(content.problem or "not evaluated", NOT_EVALUATED))
    rows = [(m.name, md.number(m.value), md.number(m.low), md.number(m.high))
            for m in evaluation.metrics]
    recorded = [(k, md.number(v)) for k, v in sorted(content.card.version.metrics.items())
                if isinstance(v, int | float)]
    return md.section(
        "Metrics",
        f"On the test split ({evaluation.rows:,} rows); 95% bootstrap confidence intervals.",
        md.table(["metric", "value", "95% CI low", "95% CI high"], rows),
        "### Recorded at registration\n\n" + md.table(["metric", "value"], recorded))


def _slices(content: CardContent) -> str:
    evaluation = content.evaluation
    if evaluation is None or not (evaluation.slices or content.problem):
        return ""
    names = sorted({k for s in evaluation.slices for k in s.metrics})
    rows = [(s.column, s.value, s.rows, *(md.number(s.metrics.get(n)) for n in names))
            for s in evaluation.slices]
    parts = [md.table(["column", "value", "rows", *names], rows)] if rows else []
    if content.problem:
        parts.append(md.note(content.problem, NOT_EVALUATED))
    return md.section("Metrics by slice", *parts)


def _plots(content: CardContent, path: str) -> str:
    if not content.plots:
        return ""
    folder = path.removesuffix(".md").rsplit("/", 1)[-1]
    return md.section("Plots", *(f"### {md.text(p.title)}\n\n{md.image(p.title, f'{folder}/{p.file}')}"
                                 for p in content.plots))


def _lineage(version: ModelVersion, path: str) -> str:
    from assay.report.site import relative

    code = version.code or {}
    rows = [("run", md.link(version.run_id, relative(path, f"runs/{version.run_id}.md"))),
            ("pipeline", version.pipeline),
            ("overrides", " ".join(version.overrides) or "none"),
            ("git commit", code.get("commit") or "not a git checkout"),
            ("uncommitted changes", "yes" if code.get("dirty") else "no"),
            ("model fingerprint", version.model_fingerprint),
            ("model sha256", version.model_sha256)]
    return md.section(
        "Lineage", md.table(["", ""], rows),
        "### Package versions\n\n" + md.table(
            ["package", "version"], sorted((k, v or "not installed")
                                           for k, v in version.packages.items())),
        "### Step fingerprints\n\n" + md.table(["step", "fingerprint"],
                                               sorted(version.fingerprints.items())),
        "### Config\n\n" + fence(version.config, "yaml"))


def fence(content: str, language: str = "") -> str:
    """A fenced code block; the fence is longer than any backtick run inside, so no
    content can close it early (code blocks show their content escaped, as text)."""
    ticks = "`" * max(3, _longest_backticks(content) + 1)
    return f"{ticks}{language}\n{content.rstrip()}\n{ticks}\n"


def _longest_backticks(content: str) -> int:
    longest = current = 0
    for char in content:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest


def _drift(version: ModelVersion) -> str:
    return md.section(
        "Drift status",
        f"Drift checks against this version are listed on {md.link(version.name, 'index.md')}"
        " under Drift, with the newest verdict; this card describes the version as "
        "registered and does not change.")


def _usage(version: ModelVersion) -> str:
    test = next((d for d in version.datasets if d.role == "test"), None)
    columns = [c for c in (test.columns if test else {})]
    snippet = (
        "from assay.registry import load_model\n\n"
        f"model = load_model({version.ref!r}, store=\".assay\")\n"
        "# a pandas DataFrame with the training data's feature columns\n"
        "predictions = model.predict(frame)\n")
    return md.section(
        "How to use it",
        "The stored model is the fitted pipeline (features, then the estimator); it takes "
        "the raw feature columns.",
        fence(snippet, "python"),
        f"Columns of the test data: {md.text(', '.join(columns))}" if columns else "")


def _exports(path: str) -> str:
    from assay.report.exports import export_folder
    from assay.report.site import relative

    # The exports are copied beside the HTML by the site's MkDocs hook, not kept in docs/
    # (MkDocs would read a README.md as a page), so these are plain HTML links, which
    # MkDocs does not check; the report's link test does.
    folder = relative(path, export_folder(path))
    links = [f'<a href="{folder}/{name}">{label}</a>' for name, label in
             (("model-card.json", "Model Card Toolkit JSON"),
              ("README.md", "Hugging Face README with model-index metadata"))]
    return md.section("Exports", " · ".join(links))


def _data(content: CardContent) -> dict[str, Any]:
    version = content.card.version
    return {"page": "model card", "model": version.name, "version": version.version,
            "ref": version.ref, "registered": registered(version),
            "metrics": dict(version.metrics),
            "evaluation": content.evaluation.to_json() if content.evaluation else None,
            "plots": [p.file for p in content.plots],
            "datasets": [{"role": d.role, "fingerprint": d.fingerprint, "rows": d.rows}
                         for d in version.datasets]}
