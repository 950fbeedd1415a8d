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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from assay.config.project import Project, display_path
from assay.config.secrets import REDACTED
from assay.config.sections import section
from assay.engine.execute import executor_settings, new_run_id
from assay.errors import ConfigError, DataError, Problem, did_you_mean
from assay.monitor.check import ColumnDrift, DriftResult, DriftSettings, check_drift
from assay.monitor.current import profile_on_dask
from assay.monitor.performance import Quality, drop_names, drops
from assay.monitor.profile import histogram
from assay.monitor.profiling import Profiles, from_json, reference_from_file, table_rows
from assay.monitor.reading import DATA_SUFFIXES
from assay.monitor.scoring import PREDICTION, Scorer
from assay.monitor.trigger import TriggerDecision, check_rule, decide, parse_duration
from assay.registry import ModelRegistry, ModelVersion
from assay.registry.loading import ProjectTrust
from assay.store import Store
from assay.store.drift_records import DriftRecords, PendingTrigger

CHALLENGER = "challenger"
FIGURES = ("drift_share", "drifted", "drifted_columns", "columns_tested", "rows")
FORWARDED_GROUPS = frozenset({"executor", "store"})
"""Groups a retraining takes from the monitor's overrides, not the version's: where and
how to run now (and each key given once)."""
RETRAIN_KEYS = ("pipeline", "monitor.", "registry.name")
"""Keys the retraining command sets itself."""


@dataclass(frozen=True)
class Baseline:
    """What the current data is checked against."""

    profile: Profiles
    label: str  # how reports name it
    version: ModelVersion | None = None  # None: a data file
    scorer: Scorer | None = None  # for prediction drift and quality on labelled data
    target: str | None = None
    task: str | None = None


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
        return {"check_id": self.check_id, "model": self.model, "current": self.current,
                "rows": self.rows, "pieces": self.pieces, **self.result.to_json(),
                "prediction": asdict(self.prediction) if self.prediction else None,
                "performance": self.performance or None,
                "trigger": self.trigger.to_json() if self.trigger else None,
                "retrain": self.retrain}


def run_monitor(cfg: Any, project: Project, overrides: list[str],
                now: float | None = None) -> MonitorReport:
    """Checks ``monitor.current`` against the reference version; may retrain."""
    settings = section(cfg, "monitor")
    cooldown = parse_duration(settings["retrain"]["cooldown"])  # bad settings before any data
    current = _current_path(settings, project)
    store = Store(project.root / str(cfg.store.root))
    registry = ModelRegistry(store.metadata)
    rule = settings["retrain"]["when"]
    baseline = _baseline(settings, cfg, project, store, registry)
    _check_columns_setting(settings, baseline.profile)
    if rule and baseline.version is not None:  # a bad rule is reported before the data is read
        check_rule(rule, _figure_names(baseline))
    profile, quality, pieces = _profile(current, baseline.profile, cfg, baseline.scorer)
    rows = table_rows(profile)
    if not rows:
        raise DataError(Problem("the current data has no rows", file=display_path(current),
                                key="monitor.current"))
    # Unlabelled current data is the usual case: its missing target is not a missing column.
    drift = replace(_drift_settings(settings),
                    optional=frozenset([baseline.target] if baseline.target else []))
    result = check_drift({k: v for k, v in baseline.profile.items() if k != PREDICTION},
                         profile, drift)
    report = MonitorReport(new_run_id(), baseline.label, display_path(current), rows, pieces,
                           result, _prediction_drift(baseline.profile, profile, drift),
                           _performance(baseline.version, quality))
    pending = None
    if rule and baseline.version is not None:
        pending = _pending_trigger(rule, report, baseline, profile, cooldown, now)
    records = DriftRecords(store.metadata)
    recorded = records.record_check(
        report.check_id, baseline.label, report.current, rows, pieces,
        {**report.to_json(), "histograms": _histograms(report, baseline.profile, profile)},
        pending)
    if recorded is not None and baseline.version is not None:
        report.trigger, trigger_id = recorded
        if report.trigger.fired:
            report.retrain = _retrain(baseline.version, settings, project, overrides, registry,
                                      _promotion_alias(cfg))
            records.record_outcome(trigger_id, report.retrain["outcome"])
    return report


def _prediction_drift(reference: Profiles, current: Profiles,
                      drift: DriftSettings) -> ColumnDrift | None:
    if PREDICTION not in reference or PREDICTION not in current:
        return None
    predicted = check_drift({PREDICTION: reference[PREDICTION]},
                            {PREDICTION: current[PREDICTION]}, drift)
    return predicted.columns[0]


def _performance(version: ModelVersion | None, quality: Quality | None) -> dict[str, Any]:
    if quality is None or version is None:
        return {}
    measured = quality.metrics()
    return {"current": measured,
            "recorded": {k: version.metrics[k] for k in measured if k in version.metrics},
            "drops": drops(version.metrics, measured)}


def _pending_trigger(rule: str, report: MonitorReport, baseline: Baseline, current: Profiles,
                     cooldown: float, now: float | None) -> PendingTrigger:
    """The retraining decision, to be made when the last firing is read."""
    assert baseline.version is not None
    inputs = {**_figures(report.result, report.rows, baseline),
              **report.performance.get("drops", {})}
    # The retraining pipeline trains on the current data: without labels it cannot, and
    # firing would only start the cooldown.
    unable = None
    target = baseline.target
    if target is not None and target in baseline.profile and target not in current:
        unable = f"the current data has no '{target}' column"
    decided = time.time() if now is None else now
    return PendingTrigger(baseline.version.name, decided, functools.partial(
        decide, rule, inputs, cooldown_s=cooldown, now=decided, unable=unable))


def _histograms(report: MonitorReport, reference: Profiles,
                current: Profiles) -> dict[str, Any]:
    """Reference and current histograms of the columns that drifted, for the report."""
    drifted = [c.column for c in report.result.drifted_columns]
    if report.prediction is not None and report.prediction.verdict == "drift":
        drifted.append(PREDICTION)
    return {name: {"reference": histogram(reference[name]), "current": histogram(current[name])}
            for name in drifted if name in reference and name in current}


def _baseline(settings: dict[str, Any], cfg: Any, project: Project, store: Store,
              registry: ModelRegistry) -> Baseline:
    """The reference profile: a data file's, or a registered version's with its scorer."""
    data_reference = _data_path(settings["reference"], project)
    if data_reference is not None:
        if settings["retrain"]["when"]:
            raise ConfigError(Problem(
                "retraining needs a model reference, not a data file", key="monitor.reference",
                expected="NAME, NAME:vN or NAME@ALIAS", hint="or drop monitor.retrain.when"))
        return Baseline(reference_from_file(data_reference, "monitor.reference"),
                        display_path(data_reference))
    version = registry.resolve(settings["reference"] or _default_reference(cfg, registry))
    stored = _reference_profile(version, store)
    profile = from_json(stored["columns"])
    scorer = (_scorer(version, stored, store, ProjectTrust.of(cfg, project.root))
              if PREDICTION in profile else None)
    return Baseline(profile, version.ref, version, scorer, stored.get("target"),
                    stored.get("task"))


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


def _promotion_alias(cfg: Any) -> str:
    """The alias the promotion gate moves (``champion`` unless configured)."""
    return str(section(cfg, "registry")["promote"]["alias"])


def _default_reference(cfg: Any, registry: ModelRegistry) -> str:
    """The promoted version of ``registry.name`` (or of the only registered model), else
    its latest."""
    name = OmegaConf.select(cfg, "registry.name", default=None)
    names = registry.names()
    if not name and len(names) == 1:
        name = names[0]
    if name:
        alias = _promotion_alias(cfg)
        promoted = name in names and registry.alias_version(str(name), alias) is not None
        return f"{name}@{alias}" if promoted else str(name)
    raise ConfigError(Problem(
        "which model's reference to check against is not set", key="monitor.reference",
        expected="NAME, NAME:vN or NAME@ALIAS",
        hint=("registered models: " + ", ".join(names)) if names
        else "train and register a model first: assay run"))


def _data_path(reference: str | None, project: Project) -> Path | None:
    """The reference as a data file or folder, when it names one (rather than a model).

    Raises:
        DataError: when it looks like a path (a data suffix, a '/') to nothing.
    """
    if not reference:
        return None
    path = Path(reference)
    path = path if path.is_absolute() else project.root / path
    if path.exists() and (path.is_dir() or path.suffix):
        return path
    if path.suffix.lower() in DATA_SUFFIXES or "/" in reference:
        raise DataError(Problem("the reference data does not exist", file=display_path(path),
                                key="monitor.reference",
                                hint="a model reference is NAME, NAME:vN or NAME@ALIAS"))
    return None


def _check_columns_setting(settings: dict[str, Any], reference: Profiles) -> None:
    """Every column ``monitor.columns`` names is one the reference has."""
    for name in settings.get("columns") or {}:
        if name not in reference:
            raise ConfigError(Problem(
                f"the reference has no column '{name}'", key=f"monitor.columns.{name}",
                expected="one of its columns: " + ", ".join(sorted(reference)),
                hint=did_you_mean(str(name), reference)))


def load_stored_model(root: str, version: ModelVersion, trust: ProjectTrust) -> Any:
    """The registered model of ``version``, checked against the registry's sha256 before
    it is unpickled (called on Dask workers, so importable by name)."""
    from assay.registry.loading import read_registered_model
    from assay.store.artifacts import ArtifactStore

    return read_registered_model(ArtifactStore(Path(root)), version, trust)


def _scorer(version: ModelVersion, stored: dict[str, Any], store: Store,
            trust: ProjectTrust) -> Scorer:
    from assay.registry.loading import verified_model_bytes, version_allowance

    # Checked here, where it is a clean error: on a worker it would be a traceback.
    verified_model_bytes(store.artifacts, version)
    version_allowance(version, trust)
    loader = functools.partial(load_stored_model, str(store.root), version, trust)
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


def _profile(path: Path, reference: Profiles, cfg: Any,
             scorer: Scorer | None) -> tuple[Profiles, Quality | None, int]:
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
        missing_columns=str(settings.get("missing_columns") or "drifted"),
        column_tests={k: v["test"] for k, v in columns.items() if v.get("test")},
        type_tests={k: v for k, v in (settings.get("tests") or {}).items() if v},
        column_thresholds={k: float(v["threshold"]) for k, v in columns.items()
                           if v.get("threshold") is not None},
    )


def _figure_names(baseline: Baseline) -> set[str]:
    """The names a rule may use: the check's figures, and the drops of the metrics the
    model's quality on current data can give (only with a scorer: it makes predictions)."""
    if baseline.version is None or baseline.scorer is None or baseline.task is None:
        return set(FIGURES)
    return {*FIGURES, *drop_names(baseline.task, baseline.version.metrics)}


def _figures(result: DriftResult, rows: int, baseline: Baseline) -> dict[str, float]:
    figures = {"drift_share": result.drift_share, "drifted": float(result.drifted),
               "drifted_columns": float(len(result.drifted_columns)),
               "columns_tested": float(len(result.tested)), "rows": float(rows)}
    # A metric's drop is measured only when the current data has labels; until then it is
    # unknown (NaN: comparisons with it are false).
    figures.update({name: math.nan for name in _figure_names(baseline) if name.endswith("_drop")})
    return figures


def _retrain(version: ModelVersion, settings: dict[str, Any], project: Project,
             overrides: list[str], registry: ModelRegistry, alias: str) -> dict[str, Any]:
    """Runs the retraining pipeline with the version's overrides and the current data."""
    # A stored record never widens what may run: security settings come from the project.
    # A credential was recorded as ***: the project's config supplies it again.
    kept = [o for o in version.overrides
            if not _override_key(o).startswith((*RETRAIN_KEYS, "security."))
            and not _forwarded(o) and o.partition("=")[2] != REDACTED]
    command = [sys.executable, "-m", "assay", "run", *kept,
               f"pipeline={settings['retrain']['pipeline']}",
               f"monitor.current={settings['current']}",
               f"registry.name={version.name}",
               *[o for o in overrides if _forwarded(o)]]
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
    promoted = registry.alias_version(new.name, alias)
    return {"outcome": f"registered {new.ref} as {CHALLENGER}"
            + (f"; {alias} is v{promoted}" if promoted is not None else ""),
            "version": new.ref, "command": command}


def _override_key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def _forwarded(override: str) -> bool:
    return _override_key(override).split(".", 1)[0] in FORWARDED_GROUPS
