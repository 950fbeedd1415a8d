"""``assay verify [--repair]``: check every artifact, registered model and run of a store."""

from __future__ import annotations

from assay.cli.output import open_store, parser, print_json


def verify_command(args: list[str]) -> int:
    """Exit 0 when the store is sound, 1 when any problem was found (repaired or not)."""
    from assay.engine.verify import verify_store

    made = parser("assay verify", "Check every artifact's checksum, every registered model's "
                  "artifact and sha256, and every run's status.")
    made.add_argument("--repair", action="store_true",
                      help="move damaged artifacts to artifacts/.corrupt and mark runs that "
                           "cannot still be running as interrupted")
    options = made.parse_args(args)
    store = open_store(options.store)
    result = verify_store(store, repair=options.repair)
    if options.json:
        print_json(result.to_json())
        return 0 if result.ok else 1
    counted = ", ".join(f"{n} {what}" for what, n in result.checked.items())
    if result.ok:
        print(f"assay: {store.root} is sound: {counted} checked")
        return 0
    for finding in result.findings:
        print(finding.describe())
    repaired = sum(1 for f in result.findings if f.repaired)
    repairable = any(f.kind != "model" for f in result.findings)
    tail = (f", {repaired} repaired" if options.repair
            else "; `assay verify --repair` repairs the artifacts and runs" if repairable else "")
    print(f"assay: {len(result.findings)} problem(s) in {store.root} ({counted} checked){tail}")
    return 1
