"""Where a project's configs and pipeline specs live.

A project is a directory with ``configs/config.yaml`` and ``pipelines/``. When
assay runs outside one, it uses the starter project shipped inside the package
(the same files ``assay init`` writes), so ``pip install assay && assay run``
works anywhere. Pipeline specs are looked up in the project first, then among the
shipped ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from assay.errors import ConfigError, Problem, did_you_mean, one_of

PACKAGED_PROJECT = Path(__file__).resolve().parent.parent / "_project"


@dataclass(frozen=True)
class Project:
    """The configs and pipelines a run is built from.

    Attributes:
        root: The directory paths in configs are relative to (where assay runs).
        config_dir: The Hydra config directory (holds ``config.yaml``).
        pipeline_dirs: Directories searched for ``<pipeline>.yaml``, in order.
    """

    root: Path
    config_dir: Path
    pipeline_dirs: tuple[Path, ...]

    @property
    def packaged(self) -> bool:
        """Whether this is the starter project shipped inside assay."""
        return self.config_dir == PACKAGED_PROJECT / "configs"

    def pipeline_path(self, name: str, where: str | None = None) -> Path:
        """The spec file for pipeline ``name``; ``where`` says where the name was set.

        Raises:
            ConfigError: when no directory holds it; lists the pipelines that exist.
        """
        for directory in self.pipeline_dirs:
            candidate = directory / f"{name}.yaml"
            if candidate.is_file():
                return candidate
        available = self.pipeline_names()
        raise ConfigError(
            Problem(
                f"no pipeline named '{name}'",
                file=where or display_path(self.pipeline_dirs[0]),
                key="pipeline",
                expected=one_of(available),
                got=repr(name),
                hint=did_you_mean(name, available)
                or f"add {display_path(self.pipeline_dirs[0] / (name + '.yaml'))}",
            )
        )

    def pipeline_names(self) -> list[str]:
        """Every pipeline name that resolves, project ones first."""
        names: set[str] = set()
        for directory in self.pipeline_dirs:
            if directory.is_dir():
                names.update(p.stem for p in directory.glob("*.yaml"))
        return sorted(names)


def locate_project(cwd: Path | None = None) -> Project:
    """The project in ``cwd`` if it has ``configs/config.yaml``, else the packaged one."""
    root = (cwd or Path.cwd()).resolve()
    packaged = PACKAGED_PROJECT.resolve()
    if (root / "configs" / "config.yaml").is_file():
        dirs = (root / "pipelines", packaged / "pipelines")
        unique = tuple(dict.fromkeys(d.resolve() for d in dirs))
        return Project(root, root / "configs", unique)
    return Project(root, PACKAGED_PROJECT / "configs", (packaged / "pipelines",))


def display_path(path: str | os.PathLike[str]) -> str:
    """A path relative to the working directory when it lies inside it."""
    absolute = Path(path).absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)
