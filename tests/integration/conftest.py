"""Integration tests run the ``assay`` command line in a temporary project."""
