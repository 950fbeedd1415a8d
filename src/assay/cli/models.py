"""``assay models``: list, show, promote, tag and diff registered model versions."""

from __future__ import annotations

import time
from typing import Any

from assay.cli.output import dispatch, open_store, parser, print_json, short_metrics, table, when
from assay.errors import ConfigError, Problem
from assay.registry import ModelRegistry, ModelVersion, Promotion, check_alias
from assay.registry.diff import diff_versions, short_fingerprint

USAGE = """usage: assay models <list|show|promote|tag|diff|restore> ...

  list [NAME]               every version (of NAME), with aliases and headline metrics
  show REF                  one version: lineage, data, metrics, code, promotions
  promote REF ALIAS         point ALIAS (e.g. champion) at the version REF
  tag REF KEY=VALUE...      add or change tags of a version
  diff REF REF              overrides, config, data, metrics and code that differ
  restore REF               rebuild the version's missing or damaged model artifact in
                            place, from its recorded config, checked against its sha256

REF is NAME (its latest version), NAME:vN or NAME@ALIAS. Every command takes --json
and --store DIR."""


def models_command(args: list[str]) -> int:
    """Dispatches ``assay models SUBCOMMAND``."""
    return dispatch("models", USAGE, {"list": _list, "show": _show, "promote": _promote,
                                      "tag": _tag, "diff": _diff, "restore": _restore}, args)


def _list(args: list[str]) -> int:
    made = parser("assay models list", "List registered model versions.")
    made.add_argument("name", nargs="?")
    options = made.parse_args(args)
    registry = ModelRegistry(open_store(options.store).metadata)
    versions = registry.versions(options.name)
    if options.name and not versions:
        registry.resolve(options.name)  # raises with the registered names
    if options.json:
        print_json([_summary(v) for v in versions])
        return 0
    if not versions:
        print("no model versions yet: `assay run` registers the model it trains")
        return 0
    print(table(["version", "created", "aliases", "metrics", "run"],
                [[v.ref, when(v.created), ", ".join(v.aliases), short_metrics(dict(v.metrics)),
                  v.run_id] for v in versions]))
    return 0


def _summary(version: ModelVersion) -> dict[str, Any]:
    full = version.to_json()
    return {k: full[k] for k in ("ref", "name", "version", "created", "aliases", "tags",
                                 "run_id", "estimator", "metrics")}


def _show(args: list[str]) -> int:
    made = parser("assay models show", "Show one model version and its lineage.")
    made.add_argument("ref")
    options = made.parse_args(args)
    registry = ModelRegistry(open_store(options.store).metadata)
    version = registry.resolve(options.ref)
    promotions = registry.promotions(version.name, version.version)
    if options.json:
        print_json({**version.to_json(), "promotions": [_promotion_json(p) for p in promotions]})
        return 0
    print(f"{version.ref}  ({', '.join(version.aliases) or 'no aliases'})")
    print(f"  created    {when(version.created)} by run {version.run_id} "
          f"(pipeline '{version.pipeline}')")
    print(f"  estimator  {version.estimator} ({version.task})")
    print(f"  model      {version.model_fingerprint[:12]}  sha256 {version.model_sha256}")
    print(f"  metrics    {short_metrics(dict(version.metrics)) or '-'}")
    if version.tags:
        print("  tags       " + ", ".join(f"{k}={v}" for k, v in version.tags.items()))
    print(f"  overrides  {' '.join(version.overrides) or '(none)'}")
    code = version.code
    state = "unknown" if code.get("dirty") is None else "dirty" if code["dirty"] else "clean"
    print(f"  code       commit {code.get('commit') or 'unknown'} ({state})")
    print("  packages   " + ", ".join(f"{k} {v}" for k, v in version.packages.items() if v))
    print("  data")
    for data in version.datasets:
        print(f"    {data.role:<6} {data.source or data.node}: {data.rows} rows, "
              f"{len(data.columns)} columns, {data.node} {data.fingerprint[:12]}")
    print("  steps      " + ", ".join(f"{n} {f[:8]}" for n, f in version.fingerprints.items()))
    for promotion in promotions:
        verdict = "promoted to" if promotion.promoted else "refused for"
        print(f"  gate       {when(promotion.decided)} {verdict} {promotion.alias}: "
              + "; ".join(promotion.reasons))
    return 0


def _promotion_json(promotion: Promotion) -> dict[str, Any]:
    return {"alias": promotion.alias, "promoted": promotion.promoted,
            "previous": promotion.previous, "reasons": list(promotion.reasons),
            "gate": dict(promotion.gate), "run_id": promotion.run_id,
            "decided": promotion.decided}


def _promote(args: list[str]) -> int:
    made = parser("assay models promote", "Point an alias at a version.")
    made.add_argument("ref")
    made.add_argument("alias")
    options = made.parse_args(args)
    check_alias(options.alias, key="ALIAS")  # before opening the store: a typo is reported first
    registry = ModelRegistry(open_store(options.store).metadata)
    version = registry.resolve(options.ref)
    previous = registry.alias_version(version.name, options.alias)
    registry.record_promotion(Promotion(
        version.name, version.version, options.alias, True, previous,
        ("promoted by hand with `assay models promote`",), {"manual": True}, None, time.time()))
    if options.json:
        print_json({"ref": version.ref, "alias": options.alias, "previous": previous})
    else:
        before = f" (was v{previous})" if previous is not None else ""
        print(f"{version.name}@{options.alias} -> {version.ref}{before}")
    return 0


def _tag(args: list[str]) -> int:
    made = parser("assay models tag", "Add or change tags of a version.")
    made.add_argument("ref")
    made.add_argument("tags", nargs="+", metavar="KEY=VALUE")
    options = made.parse_args(args)
    bad = [t for t in options.tags if "=" not in t or not t.partition("=")[0]]
    if bad:
        raise ConfigError(Problem(f"'{bad[0]}' is not a tag", key="KEY=VALUE",
                                  expected="KEY=VALUE, e.g. owner=risk-team"))
    registry = ModelRegistry(open_store(options.store).metadata)
    version = registry.resolve(options.ref)
    tags = dict(t.split("=", 1) for t in options.tags)
    registry.set_tags(version.name, version.version, tags)
    tagged = registry.get(version.name, version.version)
    if options.json:
        print_json({"ref": tagged.ref, "tags": dict(tagged.tags)})
    else:
        print(f"{tagged.ref}: " + ", ".join(f"{k}={v}" for k, v in tagged.tags.items()))
    return 0


def _diff(args: list[str]) -> int:
    made = parser("assay models diff", "Show what differs between two versions.")
    made.add_argument("a", metavar="REF")
    made.add_argument("b", metavar="REF")
    options = made.parse_args(args)
    registry = ModelRegistry(open_store(options.store).metadata)
    diff = diff_versions(registry.resolve(options.a), registry.resolve(options.b))
    if options.json:
        print_json(diff)
        return 0
    print(f"{diff['a']} -> {diff['b']}")
    for section in ("overrides", "config", "data", "metrics", "code", "steps"):
        changes = diff[section]
        if not changes:
            print(f"{section}: no differences")
            continue
        print(f"{section}:")
        for key, change in changes.items():
            print(f"  {key}: {_describe_change(change)}")
    return 0


def _restore(args: list[str]) -> int:
    from assay.cli.run import make_importable
    from assay.config.project import locate_project
    from assay.engine.restore import restore_model

    made = parser("assay models restore", "Rebuild a version's missing or damaged model "
                  "artifact in place and check it against the recorded sha256.")
    made.add_argument("ref")
    options = made.parse_args(args)
    store = open_store(options.store)
    version = ModelRegistry(store.metadata).resolve(options.ref)
    project = locate_project()
    make_importable(project.root)
    restored = restore_model(version, project, store, announce=None if options.json else
                             lambda text: print(f"assay: rebuilding on {text}", flush=True))
    if options.json:
        print_json(restored.to_json())
    elif restored.restored:
        print(f"assay: restored {restored.ref} ({restored.problem}): rebuilt "
              f"{', '.join(restored.ran) or 'nothing'} in run {restored.run_id}; "
              f"{restored.path} has the registered sha256 {restored.sha256[:12]}")
    else:
        print(f"assay: {restored.ref}'s model artifact is intact ({restored.path}, sha256 "
              f"{restored.sha256[:12]}); nothing to restore")
    return 0


def _describe_change(change: Any) -> str:
    if isinstance(change, list):
        return " -> ".join(short_fingerprint(c) for c in change)
    if isinstance(change, dict) and "a" in change:
        delta = f" ({change['change']:+.6g})" if "change" in change else ""
        return f"{change['a']} -> {change['b']}{delta}"
    return "; ".join(f"{k} {_describe_change(v)}" for k, v in change.items())
