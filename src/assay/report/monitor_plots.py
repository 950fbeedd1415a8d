"""Plots of drift checks and sweeps: column histograms, the drift timeline, parameters
against the objective. Drawn like every report plot (see :mod:`assay.report.canvas`), each
returned as PNG bytes for the caller to write.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assay.report.canvas import is_number, new_figure, png, text, xticks

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_BARS = 20  # categories per histogram; the rest are pooled
MAX_PARAMS = 12  # subplots per sweep plot
HISTOGRAM_BINS = 25  # a numeric profile's quantile bins are merged down to at most this many


def draw_histograms(column: str, reference: Mapping[str, Any], current: Mapping[str, Any]) -> bytes:
    """A column's reference and current profiles as shares of rows, one over the other (PNG).

    A profile is a dict as ``assay.monitor.profile.histogram`` or a profile's ``to_json``
    gives it: ``{"kind": "numeric", "edges", "counts"}`` (counts has an open bin at each
    end) or ``{"kind": "categorical", "counts": {value: count}}``, optionally ``missing``.

    Raises:
        ValueError: The two profiles are of different kinds.
    """
    if reference.get("kind") != current.get("kind"):
        raise ValueError(f"column {column!r}: a {reference.get('kind')} reference profile cannot be "
                         f"drawn against a {current.get('kind')} current one")
    figure = new_figure()
    ax = figure.subplots()
    if reference.get("kind") == "numeric":
        for name, profile in (("reference", reference), ("current", current)):
            _numeric_profile(ax, name, profile)
        ax.set_ylabel("share of rows per unit")
    else:
        _categorical_profiles(ax, reference, current)
        ax.set_ylabel("share of rows")
    ax.legend()
    ax.set_title(text(column))
    return png(figure)


def draw_timeline(points: Sequence[tuple[float, float]], threshold: float) -> bytes:
    """The drift share of each check over time (``(unix time, share)`` points), as PNG."""
    from datetime import UTC, datetime

    from matplotlib import dates

    figure = new_figure()
    ax = figure.subplots()
    ordered = sorted(points)
    # Day numbers of naive UTC datetimes: the axis then shows UTC whatever the machine's zone.
    stamps = [datetime.fromtimestamp(t, UTC).replace(tzinfo=None) for t, _ in ordered]
    times = [float(dates.date2num(stamp)) for stamp in stamps]  # type: ignore[no-untyped-call]
    shares = [share for _, share in ordered]
    if ordered:
        ax.plot(times, shares, marker="o", label="drift share")
        drifted = [(t, s) for t, s in zip(times, shares, strict=True) if s >= threshold]
        if drifted:
            ax.scatter([t for t, _ in drifted], [s for _, s in drifted], color="tab:red", zorder=3,
                       label="drifted")
        locator = dates.AutoDateLocator()  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    else:
        ax.text(0.5, 0.5, "no drift checks yet", transform=ax.transAxes, ha="center")
    ax.axhline(threshold, linestyle="--", color="tab:red", label=f"threshold {threshold:g}")
    ax.set_ylim(0, max(1.0, *shares, threshold) * 1.05)
    ax.set_xlabel("check time (UTC)")
    ax.set_ylabel("share of drifted columns")
    ax.legend()
    return png(figure)


def draw_sweep(rows: Sequence[Mapping[str, Any]], objective: str) -> bytes:
    """Each parameter of a sweep against the objective, one subplot per parameter (PNG).

    Args:
        rows: One per trial: ``{"params": {name: value}, "value": float | None}``; trials
            without a value (failed, pruned) are counted but not drawn.
        objective: The objective's name, for the y axis.

    Returns:
        The PNG's bytes.
    """
    names = list(dict.fromkeys(n for row in rows for n in row.get("params", {})))[:MAX_PARAMS]
    finished = [r for r in rows if is_number(r.get("value")) and math.isfinite(r["value"])]
    columns = min(3, len(names)) or 1
    grid = math.ceil(len(names) / columns) or 1
    figure = new_figure((4.0 * columns, 3.0 * grid + 0.5))
    axes = figure.subplots(grid, columns, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        pairs = [(r["params"][name], r["value"]) for r in finished if name in r["params"]]
        _parameter(ax, [p for p, _ in pairs], [v for _, v in pairs])
        ax.set_xlabel(text(name))
        ax.set_ylabel(text(objective))
    for ax in axes[len(names):]:
        ax.set_axis_off()
    if not names:
        axes[0].text(0.5, 0.5, "no trials with parameters", transform=axes[0].transAxes, ha="center")
    figure.suptitle(f"{len(finished)} of {len(rows)} trials finished")
    return png(figure)


def _numeric_profile(ax: Axes, name: str, profile: Mapping[str, Any]) -> None:
    """A step histogram of shares per unit width (bins are quantiles, so widths differ), its
    fine bins merged; the shares below and above the binned range go in the legend."""
    import numpy as np

    edges, counts = np.asarray(profile["edges"], float), np.asarray(profile["counts"], float)
    shares = counts / counts.sum() if counts.sum() else counts
    inner = shares[1:-1]
    starts = np.arange(0, len(inner), math.ceil(len(inner) / HISTOGRAM_BINS))
    merged, merged_edges = np.add.reduceat(inner, starts), np.r_[edges[starts], edges[-1]]
    density = merged / np.maximum(np.diff(merged_edges), np.finfo(float).tiny)
    outside = shares[0] + shares[-1]
    label = f"{name} ({outside:.1%} outside the range)" if outside else name
    ax.stairs(density, merged_edges, label=label, linewidth=1.5)


def _categorical_profiles(ax: Axes, reference: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    """Grouped bars of each value's share, the most common reference values first."""
    import numpy as np

    sides = [_category_shares(reference), _category_shares(current)]
    ranked = sorted(set(sides[0]) | set(sides[1]), key=lambda v: (-sides[0].get(v, 0.0),
                                                                   -sides[1].get(v, 0.0), v))
    shown = ranked[:MAX_BARS - 1] if len(ranked) > MAX_BARS else ranked
    positions = np.arange(len(shown) + (len(shown) < len(ranked)))
    for offset, name, shares in ((-0.2, "reference", sides[0]), (0.2, "current", sides[1])):
        heights = [shares.get(v, 0.0) for v in shown]
        if len(shown) < len(ranked):
            heights.append(sum(shares.get(v, 0.0) for v in ranked[len(shown):]))
        ax.bar(positions + offset, heights, 0.4, label=name)
    ticks = [text(v) for v in shown] + (["(other)"] if len(shown) < len(ranked) else [])
    xticks(ax, ticks, positions)


def _category_shares(profile: Mapping[str, Any]) -> dict[str, float]:
    counts = {str(k): float(v) for k, v in profile.get("counts", {}).items()}
    if profile.get("missing"):
        counts["(missing)"] = counts.get("(missing)", 0.0) + float(profile["missing"])
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else counts


def _parameter(ax: Axes, values: list[Any], objective: list[float]) -> None:
    """One parameter against the objective: numbers on a (log, when they span decades)
    axis, anything else as categories."""
    if values and all(is_number(v) for v in values):
        ax.scatter(values, objective, s=14, alpha=0.7)
        if min(values) > 0 and max(values) / min(values) >= 100:
            ax.set_xscale("log")
        return
    categories = sorted({str(v) for v in values})
    ax.scatter([categories.index(str(v)) for v in values], objective, s=14, alpha=0.7)
    ax.set_xlim(-0.5, len(categories) - 0.5)
    xticks(ax, [text(c) for c in categories])
