"""``assay reproduce REF``: run a version's recorded config again and compare the results."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from assay.cli.output import open_store, parser, print_json
from assay.errors import ConfigError, Problem


def reproduce_command(args: list[str]) -> int:
    """Exit 0 when every step fingerprint and metric matches; 1 when anything differs.

    A model artifact whose checksum differs is a note, not a difference: equal models can
    pickle to different bytes.
    """
    from assay.cli.run import make_importable
    from assay.config.project import locate_project
    from assay.engine.reproduce import reproduce
    from assay.registry import ModelRegistry

    made = parser("assay reproduce", "Re-run a registered version in a fresh store and "
                  "verify its fingerprints, metrics and model.")
    made.add_argument("ref")
    made.add_argument("--into", default=None,
                      help="the fresh store to run in (default: a temporary directory, removed)")
    options = made.parse_args(args)
    if options.into is not None:
        _check_into(Path(options.into))
    original = open_store(options.store)
    version = ModelRegistry(original.metadata).resolve(options.ref)
    project = locate_project()
    make_importable(project.root)
    fresh = Path(options.into) if options.into else Path(tempfile.mkdtemp(prefix="assay-repro-"))
    try:
        if not options.json:
            print(f"assay: reproducing {version.ref} (run {version.run_id}) in {fresh}",
                  flush=True)
        result = reproduce(version, project, original, fresh, announce=None if options.json
                           else lambda text: print(f"assay: running on {text}", flush=True))
    finally:
        if options.into is None:
            shutil.rmtree(fresh, ignore_errors=True)
    if options.json:
        print_json(result.to_json())
    elif result.ok:
        compared = result.compared
        model = ("and the model artifact match" if result.model_matches
                 else "match; the model artifact's checksum differs (see the note)")
        print(f"assay: {version.ref} reproduced: {compared['steps']} step fingerprints, "
              f"{compared['metrics']} metrics {model}")
    else:
        print(f"assay: {version.ref} did not reproduce; {len(result.differences)} "
              "difference(s):")
        for difference in result.differences:
            print(f"  {difference.describe()}")
    for note in [] if options.json else result.notes:
        print(f"assay: note: {note.describe()}")
    return 0 if result.ok else 1


def _check_into(into: Path) -> None:
    """Refuses a ``--into`` that exists and is not an empty directory.

    A store already there would serve the steps from its cache (and take the
    reproduction's records), so nothing would really run again.
    """
    if not into.exists() or (into.is_dir() and not any(into.iterdir())):
        return
    holds = "already holds an assay store" if (into / "assay.db").exists() else "is not empty"
    raise ConfigError(Problem(
        f"cannot reproduce into {into}: it {holds}", key="--into",
        expected="an empty or new directory",
        hint="pass a new directory, or leave --into out to use a temporary one"))
