"""What every report plot shares: a fresh figure, a deterministic PNG, and safe text.

Figures are built with matplotlib's object API (a ``Figure`` on an Agg canvas), so no
global pyplot state is touched. Size and resolution are fixed and the PNG carries no
software version, so a rebuilt report only changes where the data did. Text can come
from user data (column names, class labels): :func:`text` escapes it so that a ``$`` is
never read as mathtext, which would fail to render or change the text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 100
SIZE = (6.0, 4.5)
LABEL_CHARS = 40


def new_figure(size: tuple[float, float] = SIZE) -> Figure:
    """A figure of ``size`` inches on its own Agg canvas, laid out to fit its labels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png(figure: Figure) -> bytes:
    """``figure`` as PNG bytes that depend on nothing but what was drawn."""
    import io

    buffer = io.BytesIO()
    # Without "Software" the PNG holds nothing but pixels: no version, no timestamp.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def text(value: Any) -> str:
    """User text made safe to draw: ``$`` escaped (no mathtext), long text shortened, and a
    leading underscore kept visible (matplotlib's legend hides such labels)."""
    result = str(value)
    result = result if len(result) <= LABEL_CHARS else result[:LABEL_CHARS - 1] + "…"
    result = result.replace("$", r"\$")
    return " " + result if result.startswith("_") else result


def xticks(ax: Axes, labels: list[str], positions: Any = None) -> None:
    """Category labels (already made safe with :func:`text`) on the x axis, slanted when they
    would not fit side by side."""
    slanted = len(labels) > 4 or sum(map(len, labels)) > 30
    ax.set_xticks(range(len(labels)) if positions is None else positions, labels,
                  rotation=45 if slanted else 0, ha="right" if slanted else "center")


def is_number(value: Any) -> bool:
    """Whether ``value`` is an int or float (a bool is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
