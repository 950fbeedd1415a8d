"""``assay plan``: compile and show what would run, without running anything."""

from __future__ import annotations

from assay.errors import ConfigError, Problem

_MULTIRUN = ("-m", "--multirun")


def plan_command(args: list[str]) -> int:
    """Prints the plan for the overrides in ``args`` (``--json`` for machines, ``-m`` for sweeps)."""
    from assay.cli.run import make_importable
    from assay.cli.summary import print_plan
    from assay.compiler.collector import freeze_long_lived
    from assay.config.compose import compose
    from assay.config.project import locate_project
    from assay.config.schema import register_schemas
    from assay.engine import prepare

    as_json = "--json" in args
    multirun = any(a in _MULTIRUN for a in args)
    overrides = [a for a in args if a != "--json" and a not in _MULTIRUN]
    flags = [a for a in overrides if a.startswith("-")]
    if flags:
        raise ConfigError(
            Problem(
                f"unknown option {flags[0]} for assay plan",
                expected="overrides (key=value, group=option), -m and --json",
            )
        )
    project = locate_project()
    register_schemas()
    make_importable(project.root)
    if multirun:
        from assay.cli.sweep_summary import print_sweep
        from assay.config.compose import expand_sweep
        from assay.engine.sweep import SweepJob, prepare_sweep

        jobs = [SweepJob(num, tuple(job), compose(project, job))
                for num, job in enumerate(expand_sweep(project, overrides))]
        sweep = prepare_sweep(jobs, project)
        freeze_long_lived()
        print_sweep(sweep, as_json)
        return 0
    cfg = compose(project, overrides)
    prepared = prepare(cfg, project)
    freeze_long_lived()
    print_plan(prepared, as_json)
    return 0
