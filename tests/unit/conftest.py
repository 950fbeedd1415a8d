"""Unit tests run in-process against single modules."""
