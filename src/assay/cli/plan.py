"""``assay plan``: compile and show what would run, without running anything."""

from __future__ import annotations

from assay.errors import ConfigError, Problem


def plan_command(args: list[str]) -> int:
    """Prints the plan for the overrides in ``args`` (``--json`` for machines)."""
    from assay.cli.run import _importable
    from assay.cli.summary import print_plan
    from assay.compiler.collector import freeze_long_lived
    from assay.config.compose import compose
    from assay.config.project import locate_project
    from assay.config.schema import register_schemas
    from assay.engine import prepare

    as_json = "--json" in args
    overrides = [a for a in args if a != "--json"]
    flags = [a for a in overrides if a.startswith("-")]
    if flags:
        raise ConfigError(
            Problem(
                f"unknown option {flags[0]} for assay plan",
                expected="overrides (key=value, group=option) and --json",
            )
        )
    project = locate_project()
    register_schemas()
    _importable(project.root)
    cfg = compose(project, overrides)
    prepared = prepare(cfg, project)
    freeze_long_lived()
    print_plan(prepared, as_json)
    return 0
