"""``assay runs``: the history of runs in a workspace, and one run in detail."""

from __future__ import annotations

import json
from typing import Any

from assay.cli.output import dispatch, open_store, parser, print_json, short_metrics, table, when
from assay.config.secrets import redact_command, redact_overrides, redact_yaml
from assay.errors import ConfigError, Problem, did_you_mean

USAGE = """usage: assay runs <list|show> ...

  list [--limit N]          the latest runs, newest first
  show RUN                  one run: its command, config, every step and what it registered

Both take --json and --store DIR."""


def runs_command(args: list[str]) -> int:
    """Dispatches ``assay runs SUBCOMMAND``."""
    return dispatch("runs", USAGE, {"list": _list, "show": _show}, args)


def _run_json(row: dict[str, Any]) -> dict[str, Any]:
    data = dict(row)
    # runs recorded before credentials were redacted on the way in
    data["overrides"] = redact_overrides(json.loads(data["overrides"] or "[]"))
    data["command"] = redact_command(data["command"]) if data.get("command") else None
    if data.get("config"):
        data["config"] = redact_yaml(data["config"])
    data["metrics"] = json.loads(data["metrics"]) if data["metrics"] else {}
    return data


def _list(args: list[str]) -> int:
    made = parser("assay runs list", "List the latest runs.")
    made.add_argument("--limit", type=int, default=50)
    options = made.parse_args(args)
    runs = [_run_json(r) for r in open_store(options.store).metadata.runs(options.limit)]
    if options.json:
        for run in runs:
            run.pop("config", None)
        print_json(runs)
        return 0
    if not runs:
        print("no runs yet")
        return 0
    print(table(["run", "started", "status", "ran", "cached", "failed", "metrics", "overrides"],
                [[r["id"], when(r["started"]), r["status"], r["n_ran"], r["n_cached"],
                  r["n_failed"], short_metrics(r["metrics"]), " ".join(r["overrides"])]
                 for r in runs]))
    return 0


def _show(args: list[str]) -> int:
    from assay.registry import ModelRegistry

    made = parser("assay runs show", "Show one run.")
    made.add_argument("run")
    options = made.parse_args(args)
    store = open_store(options.store)
    row = store.metadata.run(options.run)
    if row is None:
        recent = [r["id"] for r in store.metadata.runs(200)]
        raise ConfigError(Problem(f"there is no run '{options.run}'", key="RUN",
                                  hint=did_you_mean(options.run, recent)
                                  or "`assay runs list` shows the run ids"))
    run = _run_json(row)
    run["tasks"] = store.metadata.tasks(options.run)
    run["registered"] = [v.ref for v in ModelRegistry(store.metadata).registered_by(options.run)]
    if options.json:
        print_json(run)
        return 0
    print(f"run {run['id']}: {run['status']}, pipeline '{run['pipeline']}', "
          f"started {when(run['started'])}")
    print(f"  command    {run['command']}")
    print(f"  output     {run['output_dir'] or '-'}")
    print(f"  metrics    {short_metrics(run['metrics']) or '-'}")
    print(f"  registered {', '.join(run['registered']) or '-'}")
    if run["error"]:
        print(f"  error      {run['error']}")
    print(table(["step", "status", "fingerprint", "seconds", "why"],
                [[t["node"], t["status"], t["fingerprint"][:12],
                  f"{t['duration']:.2f}" if t["duration"] is not None else "", t["reason"] or ""]
                 for t in run["tasks"]]))
    return 0
