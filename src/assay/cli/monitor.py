"""``assay monitor [OVERRIDES...] [--json]``: a drift check of the current data."""

from __future__ import annotations

from assay.errors import ConfigError, Problem


def monitor_command(args: list[str]) -> int:
    """Checks ``monitor.current`` against the reference version's profile; prints the result."""
    from assay.cli.output import print_json, table
    from assay.cli.run import make_importable
    from assay.config.compose import compose
    from assay.config.project import locate_project
    from assay.config.schema import register_schemas
    from assay.config.validate import validate_config
    from assay.engine.monitoring import run_monitor

    as_json = "--json" in args
    overrides = [a for a in args if a != "--json"]
    flags = [a for a in overrides if a.startswith("-")]
    if flags:
        raise ConfigError(Problem(f"unknown option {flags[0]} for assay monitor",
                                  expected="overrides (key=value) and --json"))
    project = locate_project()
    register_schemas()
    make_importable(project.root)
    cfg = compose(project, overrides)
    from assay.config.compose import origin_of

    validate_config(cfg, origin_of(cfg, project))
    report = run_monitor(cfg, project, overrides)
    if as_json:
        print_json(report.to_json())
        return 0
    result = report.result
    print(f"assay: drift check {report.check_id}: {report.current} ({report.rows} rows, "
          f"{report.pieces} pieces) against {report.model}")
    print(table(["column", "kind", "test", "value", "threshold", "verdict"],
                [[c.column, c.kind, c.test, "" if c.value is None else f"{c.value:.4g}",
                  f"{c.threshold:g}", c.verdict] for c in result.columns]))
    if report.prediction is not None:
        p = report.prediction
        print(f"assay: predictions: {p.verdict} ({p.test} {p.value:.4g}, threshold "
              f"{p.threshold:g})" if p.value is not None else f"assay: predictions: {p.verdict}")
    if report.performance:
        shown = ", ".join(f"{k} {v:.4f} (recorded {report.performance['recorded'].get(k, float('nan')):.4f})"
                          for k, v in report.performance["current"].items())
        print(f"assay: performance on labelled current data: {shown}")
    verdict = "DRIFT" if result.drifted else "no drift"
    print(f"assay: dataset: {verdict}: {result.drift_share:.0%} of the tested columns drifted "
          f"(threshold {result.threshold:.0%})")
    if report.trigger is not None:
        fired = "fired" if report.trigger.fired else "did not fire"
        print(f"assay: retraining rule '{report.trigger.rule}' {fired}: {report.trigger.reason}")
    if report.retrain:
        print(f"assay: retraining: {report.retrain['outcome']}")
    return 0
