"""The report: what the store knows, collected as plain data before anything renders it."""
