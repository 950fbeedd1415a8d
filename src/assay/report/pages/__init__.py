"""The report's pages, one module per section of the site; each returns :class:`Page` objects."""
