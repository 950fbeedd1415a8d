"""Markdown for the report's pages, with every value from the store written as text.

Column names, category values, config strings and model names reach the pages; any of
them may hold HTML or Markdown syntax (``<script>``, ``"><img onerror=…>``, ``|``,
``{: onclick=…}``). :func:`text` turns every character that Markdown or HTML could read
as syntax into a numeric character reference, so Python-Markdown passes it through as
literal text and the browser shows it as written. Page code never concatenates a store
value into Markdown any other way.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

# Letters, digits and a few characters that are never Markdown or HTML syntax inside a
# line of text; everything else is written as ``&#NN;``.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.-/@")


class Markdown(str):
    """Markdown the report generated itself (links, images): written as it is."""

    __slots__ = ()


def text(value: Any) -> Markdown:
    """``value`` as Markdown that renders exactly as its ``str``, on one line."""
    if isinstance(value, Markdown):
        return value
    shown = " ".join(str(value).split()) if value is not None else ""
    return Markdown("".join(c if c in _PLAIN or (c.isalnum() and not c.isascii())
                            else f"&#{ord(c)};" for c in shown))


def number(value: Any, digits: int = 4) -> Markdown:
    """A metric as text: floats to ``digits`` significant digits, the rest as text."""
    if isinstance(value, bool) or value is None:
        return text("—" if value is None else str(value).lower())
    if isinstance(value, int):
        return text(f"{value:,}")
    if isinstance(value, float):
        return text("—" if math.isnan(value) else f"{value:.{digits}g}")
    return text(value)


def link(label: Any, target: str) -> Markdown:
    """A link to ``target``, a path the report generated (never a store value)."""
    return Markdown(f"[{text(label)}]({target})")


def image(title: str, target: str) -> Markdown:
    """An image the report drew, with its title as alternative text."""
    return Markdown(f"![{text(title)}]({target})")


def code(value: Any) -> Markdown:
    """``value`` in a code span, still escaped (a code span would show references raw)."""
    return Markdown(f"<code>{text(value)}</code>")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table; cells that are not :class:`Markdown` are written as text."""
    lines = ["| " + " | ".join(text(h) for h in headers) + " |",
             "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(text(cell) for cell in row) + " |")
    return "\n".join(lines) + "\n"


def section(title: str, *parts: str) -> str:
    """A ``##`` section: its heading and the parts, separated by blank lines."""
    return "\n\n".join([f"## {text(title)}", *(p.rstrip("\n") for p in parts if p)]) + "\n"


def missing(what: str) -> str:
    """A visible warning that a human-written part of a card was not written."""
    return f'!!! warning "Missing"\n    {text(what)}\n'


def note(what: str, title: str = "Not recorded yet") -> str:
    """A visible note: by default for parts the store has nothing for yet.

    Args:
        what: The note's text (written as text).
        title: The admonition's title.
    """
    return f'!!! note "{text(title)}"\n    {text(what)}\n'


def utc(timestamp: float) -> str:
    """A Unix time as ``YYYY-mm-dd HH:MM:SS`` in UTC (pages say UTC in their headings)."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
