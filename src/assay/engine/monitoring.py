"""``assay monitor``: one drift check, recorded, and the retraining it may trigger.

The reference is the profile the training pipeline stored for a registered version
(its ``profile`` step), so the training data is never read again. The current data is
profiled piece by piece on the configured Dask executor. When ``monitor.retrain.when``
holds and the cooldown has passed, the retraining pipeline runs with the version's own
overrides; the version it registers becomes the ``challenger`` and goes through the
promotion gate. Every decision is recorded with the figures it was made from.
"""

from __future__ import annotations

import functools
import math
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from assay.config.project import Project, display_path
from assay.config.sections import section
from assay.engine.execute import executor_settings, new_run_id
from assay.errors import ConfigError, DataError, Problem
from assay.monitor.check import ColumnDrift, DriftResult, DriftSettings, check_drift
from assay.monitor.current import profile_on_dask
from assay.monitor.performance import Quality, drops
from assay.monitor.profile import histogram
from assay.monitor.profiling import from_json
from assay.monitor.scoring import PREDICTION, Scorer
from assay.monitor.trigger import TriggerDecision, check_rule, decide, parse_duration
from assay.registry import ModelRegistry, ModelVersion
from assay.store import Store
from assay.store.drift_records import DriftRecords

CHALLENGER = "challenger"
FIGURES = ("drift_share", "drifted", "drifted_columns", "columns_tested", "rows")


@dataclass
class MonitorReport:
    """What one ``assay monitor`` found and did."""

    check_id: str
    model: str
    current: str
    rows: int
    pieces: int
    result: DriftResult
    prediction: ColumnDrift | None = None
    performance: dict[str, Any] = field(default_factory=dict)
    trigger: TriggerDecision | None = None
    retrain: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        trigger = None
        if self.trigger is not None:
            trigger = {"rule": self.trigger.rule, "fired": self.trigger.fired,
                       "reason": self.trigger.reason,
                       "inputs": {k: None if _nan(v) else v
                                  for k, v in self.trigger.inputs.items()}}
        return {"check_id": self.check_id, "model": self.model, "current": self.current,
                "rows": self.rows, "pieces": self.pieces, **self.result.to_json(),
                "prediction": asdict(self.prediction) if self.prediction else None,
                "performance": self.performance or None, "trigger": trigger,
                "retrain": self.retrain}


def run_monitor(cfg: Any, project: Project, overrides: list[str],
                now: float | None = None) -> MonitorReport:
    """Checks ``monitor.current`` against the reference version; may retrain."""
    settings = section(cfg, "monitor")
    current = _current_path(settings, project)
    store = Store(project.root / str(cfg.store.root))
    registry = ModelRegistry(store.metadata)
    rule = settings["retrain"]["when"]
    reference, version, scorer, label = _reference(settings, cfg, project, store, registry)
    cooldown = parse_duration(settings["retrain"]["cooldown"])
    if rule and version is not None:  # a bad rule is reported before the data is read
        check_rule(rule, _figure_names(version))
    profile, quality, pieces = _profile(current, reference, cfg, scorer)
    drift = _drift_settings(settings)
    data_columns = {k: v for k, v in reference.items() if k != PREDICTION}
    result = check_drift(data_columns, profile, drift)
    rows = max((c.current_rows for c in result.columns), default=0)
    report = MonitorReport(new_run_id(), label, display_path(current), rows, pieces, result)
    if scorer is not None and PREDICTION in profile:
        predicted = check_drift({PREDICTION: reference[PREDICTION]},
                                {PREDICTION: profile[PREDICTION]}, drift)
        report.prediction = predicted.columns[0]
    if quality is not None and version is not None:
        measured = quality.metrics()
        report.performance = {"current": measured, "recorded": {
            k: version.metrics[k] for k in measured if k in version.metrics},
            "drops": drops(version.metrics, measured)}
    records = DriftRecords(store.metadata)
    check_id = report.check_id
    records.record_check(check_id, label, display_path(current), rows, pieces,
                         {**report.to_json(), "histograms": _histograms(report, reference, profile)})
    if rule and version is not None:
        inputs = {**_figures(result, rows, version), **report.performance.get("drops", {})}
        decided = time.time() if now is None else now
        report.trigger = decide(rule, inputs, records.last_fired(version.name), cooldown, decided)
        trigger_id = records.record_trigger(check_id, version.name, rule, report.trigger.fired,
                                            report.trigger.reason, inputs, decided)
        if report.trigger.fired:
            report.retrain = _retrain(version, settings, project, overrides, registry)
            records.record_outcome(trigger_id, report.retrain["outcome"])
    return report


def _histograms(report: MonitorReport, reference: dict[str, Any],
                current: dict[str, Any]) -> dict[str, Any]:
    """Reference and current histograms of the columns that drifted, for the report."""
    drifted = [c.column for c in report.result.columns if c.verdict == "drift"]
    if report.prediction is not None and report.prediction.verdict == "drift":
        drifted.append(PREDICTION)
    return {name: {"reference": histogram(reference[name]), "current": histogram(current[name])}
            for name in drifted if name in reference and name in current}


def _reference(settings: dict[str, Any], cfg: Any, project: Project, store: Store,
               registry: ModelRegistry) -> tuple[dict[str, Any], ModelVersion | None,
                                                 Scorer | None, str]:
    """The reference profile, the version it belongs to (None for a data file), the
    scorer for prediction drift, and how the reference is named in reports."""
    data_reference = _data_path(settings["reference"], project)
    if data_reference is not None:
        if settings["retrain"]["when"]:
            raise ConfigError(Problem(
                "retraining needs a model reference, not a data file", key="monitor.reference",
                expected="NAME, NAME:vN or NAME@ALIAS", hint="or drop monitor.retrain.when"))
        return _profile_reference_data(data_reference), None, None, display_path(data_reference)
    version = registry.resolve(settings["reference"] or _default_reference(cfg, registry))
    stored = _reference_profile(version, store)
    reference = from_json(stored["columns"])
    scorer = _scorer(version, stored, store) if PREDICTION in reference else None
    return reference, version, scorer, version.ref


def _current_path(settings: dict[str, Any], project: Project) -> Path:
    if not settings.get("current"):
        raise ConfigError(Problem("there is no current data to check", key="monitor.current",
                                  expected="a Parquet file or folder, or a CSV file",
                                  hint="pass monitor.current=PATH"))
    path = Path(settings["current"])
    path = path if path.is_absolute() else project.root / path
    if not path.exists():
        raise DataError(Problem("the current data does not exist", file=display_path(path),
                                key="monitor.current"))
    return path


def _default_reference(cfg: Any, registry: ModelRegistry) -> str:
    """The champion of ``registry.name`` (or of the only registered model), else its latest."""
    name = OmegaConf.select(cfg, "registry.name", default=None)
    names = registry.names()
    if not name and len(names) == 1:
        name = names[0]
    if name:
        has_champion = name in names and registry.alias_version(str(name), "champion") is not None
        return f"{name}@champion" if has_champion else str(name)
    raise ConfigError(Problem(
        "which model's reference to check against is not set", key="monitor.reference",
        expected="NAME, NAME:vN or NAME@ALIAS",
        hint=("registered models: " + ", ".join(names)) if names
        else "train and register a model first: assay run"))


def _data_path(reference: str | None, project: Project) -> Path | None:
    """The reference as a data file or folder, when it names one (rather than a model)."""
    if not reference:
        return None
    path = Path(reference)
    path = path if path.is_absolute() else project.root / path
    return path if path.exists() and (path.is_dir() or path.suffix) else None


def _profile_reference_data(path: Path) -> dict[str, Any]:
    if path.suffix.lower() == ".csv":
        import pandas as pd

        from assay.monitor.profiling import reference_profile

        return reference_profile(pd.read_csv(path))
    from assay.monitor.current import reference_from_file

    return reference_from_file(path)


def load_stored_model(root: str, fingerprint: str) -> Any:
    """The model an artifact entry holds (called on Dask workers, so importable by name)."""
    from assay.store.artifacts import ArtifactStore

    return ArtifactStore(Path(root)).read(fingerprint, "model")


def _scorer(version: ModelVersion, stored: dict[str, Any], store: Store) -> Scorer:
    loader = functools.partial(load_stored_model, str(store.root), version.model_fingerprint)
    return Scorer(loader, stored["features"], stored["target"], stored["task"])


def _reference_profile(version: ModelVersion, store: Store) -> dict[str, Any]:
    fingerprint = version.fingerprints.get("profile")
    if fingerprint is None:
        raise ConfigError(Problem(
            f"{version.ref} has no reference profile: its pipeline had no profile step",
            key="monitor.reference",
            hint="retrain it with the shipped train pipeline (it profiles the training data)"))
    stored: dict[str, Any] = store.artifacts.read(fingerprint, "profile")
    return stored


def _profile(path: Path, reference: dict[str, Any], cfg: Any,
             scorer: Scorer | None) -> tuple[dict[str, Any], Quality | None, int]:
    from assay.executor import make_executor

    settings = executor_settings(cfg)
    if settings["kind"] in ("local", "dask"):
        with make_executor(settings) as executor:
            return profile_on_dask(path, reference, client=executor.client,  # type: ignore[attr-defined]
                                   scorer=scorer)
    return profile_on_dask(path, reference, scorer=scorer,
                           scheduler="sync" if settings["kind"] == "sequential" else "threads")


def _drift_settings(settings: dict[str, Any]) -> DriftSettings:
    columns = settings.get("columns") or {}
    return DriftSettings(
        drift_share=float(settings["drift_share"]),
        correction=settings.get("correction"),
        min_rows=int(settings["min_rows"]),
        column_tests={k: v["test"] for k, v in columns.items() if v.get("test")},
        type_tests=dict(settings.get("tests") or {}),
        thresholds={k: float(v["threshold"]) for k, v in columns.items()
                    if v.get("threshold") is not None},
    )


def _figure_names(version: ModelVersion) -> set[str]:
    drops = {f"{m}_drop" for m, v in version.metrics.items() if isinstance(v, int | float)}
    return {*FIGURES, *drops}


def _figures(result: DriftResult, rows: int, version: ModelVersion) -> dict[str, float]:
    tested = [c for c in result.columns if c.value is not None]
    figures = {"drift_share": result.drift_share, "drifted": float(result.drifted),
               "drifted_columns": float(sum(c.verdict == "drift" for c in tested)),
               "columns_tested": float(len(tested)), "rows": float(rows)}
    # A metric's drop is measured only when the current data has labels; until then it is
    # unknown (NaN: comparisons with it are false).
    figures.update({name: math.nan for name in _figure_names(version) if name.endswith("_drop")})
    return figures


def _retrain(version: ModelVersion, settings: dict[str, Any], project: Project,
             overrides: list[str], registry: ModelRegistry) -> dict[str, Any]:
    """Runs the retraining pipeline with the version's overrides and the current data."""
    kept = [o for o in version.overrides if not o.split("=", 1)[0].lstrip("+~").startswith(
        ("pipeline", "monitor.", "registry.name"))]
    command = [sys.executable, "-m", "assay", "run", *kept,
               f"pipeline={settings['retrain']['pipeline']}",
               f"monitor.current={settings['current']}",
               f"registry.name={version.name}",
               *[o for o in overrides if o.startswith(("executor", "store."))]]
    before = {v.version for v in registry.versions(version.name)}
    finished = subprocess.run(command, cwd=project.root, capture_output=True, text=True,
                              check=False)
    made = [v for v in registry.versions(version.name) if v.version not in before]
    if finished.returncode != 0 or not made:
        tail = (finished.stderr or finished.stdout).strip().splitlines()[-3:]
        return {"outcome": f"retraining failed (exit {finished.returncode}): " + " ".join(tail),
                "command": command}
    new = made[-1]
    registry.set_alias(new.name, CHALLENGER, new.version)
    champion = registry.alias_version(new.name, "champion")
    return {"outcome": f"registered {new.ref} as {CHALLENGER}"
            + (f"; champion is v{champion}" if champion is not None else ""),
            "version": new.ref, "command": command}


def _nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)
