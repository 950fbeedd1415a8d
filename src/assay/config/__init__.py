"""Configuration: locating the project, composing with Hydra, checking against schemas."""

from assay.config.project import Project, display_path, locate_project

__all__ = ["Project", "display_path", "locate_project"]
