"""``assay data list``: the dataset versions models were trained and tested on."""

from __future__ import annotations

from assay.cli.output import dispatch, open_store, parser, print_json, table, when

USAGE = """usage: assay data list [--json] [--store DIR]

  list    dataset versions (by fingerprint) and the model versions that used them"""


def data_command(args: list[str]) -> int:
    """Dispatches ``assay data SUBCOMMAND`` (only ``list``)."""
    return dispatch("data", USAGE, {"list": _list}, args)


def _list(args: list[str]) -> int:
    from assay.registry import ModelRegistry

    options = parser("assay data list", "List dataset versions.").parse_args(args)
    uses = ModelRegistry(open_store(options.store).metadata).dataset_uses()
    if options.json:
        print_json(uses)
        return 0
    if not uses:
        print("no dataset versions yet: they are recorded when a model is registered")
        return 0
    print(table(["dataset", "role", "fingerprint", "rows", "columns", "first used", "models"],
                [[u["source"] or u["node"], u["role"], u["fingerprint"][:12], u["rows"],
                  len(u["columns"]), when(u["first_used"]), ", ".join(u["models"])]
                 for u in uses]))
    return 0
