"""``assay init DIR``: write a starter project that runs as is."""

from __future__ import annotations

import shutil
from pathlib import Path

from assay.config.project import PACKAGED_PROJECT, display_path
from assay.errors import ConfigError, Problem

_GITIGNORE = """# assay state and Hydra run directories
.assay/
outputs/
multirun/
site/
"""


def init_command(args: list[str]) -> int:
    """Copies the packaged configs/ and pipelines/ into the target directory."""
    if len(args) != 1 or args[0].startswith("-"):
        raise ConfigError(Problem("assay init takes one directory", expected="assay init DIR",
                                  got=" ".join(args) or "nothing"))
    target = Path(args[0])
    existing = [name for name in ("configs", "pipelines") if (target / name).exists()]
    if existing:
        raise ConfigError(
            Problem(
                f"{display_path(target)} already has {' and '.join(existing)}/",
                file=display_path(target),
                expected="an empty or new directory",
                hint="choose another directory; nothing was written",
            )
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in ("configs", "pipelines"):
        shutil.copytree(PACKAGED_PROJECT / name, target / name)
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(_GITIGNORE)
    print(f"assay: wrote a starter project to {display_path(target)}; "
          f"run it with: cd {display_path(target)} && assay run")
    return 0
