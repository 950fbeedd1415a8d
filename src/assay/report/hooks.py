"""The MkDocs hook of a generated report site: copies ``exports/`` into the built site.

The model card exports sit beside ``docs/``, not in it (MkDocs would read an export's
``README.md`` as a page). ``assay report`` copies this file next to the site's
``mkdocs.yml``, which names it under ``hooks:``, so ``mkdocs build`` and ``mkdocs serve``
(``assay report serve``) both publish the exports. It imports nothing from assay: the
project builds with plain MkDocs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

EXPORTS = "exports"


def on_post_build(config: MkDocsConfig) -> None:
    """Copies ``<project>/exports`` into the site directory after MkDocs built it.

    Args:
        config: The loaded ``mkdocs.yml``; the project is the folder it is in.
    """
    source = Path(config.config_file_path).parent / EXPORTS
    if source.is_dir():
        shutil.copytree(source, Path(config.site_dir) / EXPORTS, dirs_exist_ok=True)
