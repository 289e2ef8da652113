"""Figures of the report, drawn on matplotlib's Agg canvas.

The Agg canvas is attached to each figure explicitly (no pyplot, no global backend
switch), so the figures never need a display and never touch a notebook's own backend.

Each function takes a table from :mod:`pipelines.history.stats` and returns PNG bytes.
The x axis is time: a snapshot sits at its period's midpoint, so law events can be
marked on their dates; with few snapshots the ticks carry the snapshot labels.
"""

from __future__ import annotations

import io
import logging
import math
from datetime import UTC, datetime, timedelta

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pipelines.history.stats import Timeline, events_in, snapshot_midpoint

logger = logging.getLogger(__name__)

WIDTH, HEIGHT, DPI = 9.0, 4.2, 100
MAX_TICK_LABELS = 24
MAX_LAW_LINES = 8
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
KIND_COLORS = {
    "first": "#444444",
    "identical": "#bbbbbb",
    "reextracted": "#bbbbbb",
    "cosmetic": "#9ecae1",
    "date_only": "#6baed6",
    "near_duplicate": "#3182bd",
    "changed": "#d62728",
    "substantive": "#d62728",
    "revert": "#9467bd",
}


def _figure(height: float = HEIGHT) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # no software/version metadata: the same data gives the same bytes
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _x(index: pd.Index) -> list[datetime]:
    return [snapshot_midpoint(str(s)) for s in index]


def _time_axis(ax: Axes, labels: list[str], xs: list[datetime]) -> tuple[datetime, datetime]:
    """Pad the range (a single snapshot still gets a readable axis) and label the ticks."""
    lo, hi = min(xs), max(xs)
    pad = max((hi - lo) * 0.04, timedelta(days=120))
    ax.set_xlim(lo - pad, hi + pad)
    if len(xs) <= MAX_TICK_LABELS:
        ax.set_xticks(
            xs, labels, rotation=45 if len(xs) > 6 else 0, ha="right" if len(xs) > 6 else "center"
        )
        ax.set_xlabel("snapshot (period midpoint)")
    else:
        locator = mdates.AutoDateLocator(maxticks=12)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel(f"time ({len(xs)} snapshots, each at its period midpoint)")
    ax.grid(True, axis="y", alpha=0.3)
    return lo - pad, hi + pad


def coverage(table: pd.DataFrame) -> bytes:
    fig, ax = _figure()
    xs = _x(table.index)
    ax.plot(xs, table["sites_tried"], marker="o", color=COLORS[0], label="sites tried")
    ax.plot(
        xs, table["sites_with_policy"], marker="s", color=COLORS[2], label="sites with a policy"
    )
    _time_axis(ax, list(table.index), xs)
    ax.set_ylim(bottom=0, top=max(1, int(table["sites_tried"].max())) * 1.12)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("sites")
    ax.set_title("Sites tried and sites with a policy, per snapshot")
    ax.legend(loc="lower right")
    return _png(fig)


def words(table: pd.DataFrame) -> bytes:
    fig, ax = _figure()
    xs = _x(table.index)
    ax.fill_between(
        xs,
        table["q1_words"],
        table["q3_words"],
        color=COLORS[0],
        alpha=0.2,
        label="interquartile range",
        step=None,
    )
    ax.errorbar(
        xs,
        table["median_words"],
        yerr=[table["median_words"] - table["q1_words"], table["q3_words"] - table["median_words"]],
        fmt="none",
        ecolor=COLORS[0],
        alpha=0.5,
        capsize=3,
    )
    ax.plot(xs, table["median_words"], marker="o", color=COLORS[0], label="median")
    _time_axis(ax, list(table.index), xs)
    ax.set_ylim(bottom=0, top=max(1.0, float(table["q3_words"].max())) * 1.12)
    ax.set_ylabel("words per policy")
    ax.set_title("Length of policies: words per policy (median and interquartile range)")
    ax.legend(loc="lower right")
    return _png(fig)


def readability(table: pd.DataFrame) -> bytes:
    fig, ax = _figure()
    scored = table.dropna(subset=["median_grade"])
    xs = _x(scored.index)
    ax.fill_between(
        xs,
        scored["q1_grade"],
        scored["q3_grade"],
        color=COLORS[3],
        alpha=0.2,
        label="interquartile range",
    )
    ax.errorbar(
        xs,
        scored["median_grade"],
        yerr=[
            scored["median_grade"] - scored["q1_grade"],
            scored["q3_grade"] - scored["median_grade"],
        ],
        fmt="none",
        ecolor=COLORS[3],
        alpha=0.5,
        capsize=3,
    )
    ax.plot(xs, scored["median_grade"], marker="o", color=COLORS[3], label="median")
    _time_axis(ax, list(scored.index), xs)
    top = float(scored["q3_grade"].max())
    ax.set_ylim(bottom=0, top=max(12.0, top * 1.12))
    ax.set_ylabel("Flesch-Kincaid grade (US school years)")
    ax.set_title("Readability: median Flesch-Kincaid grade level per snapshot")
    ax.legend(loc="lower right")
    return _png(fig)


def change_share(table: pd.DataFrame, substantive_known: bool) -> bytes:
    fig, ax = _figure()
    t = table[table["sites_compared"] > 0]
    xs = _x(t.index)
    ax.plot(
        xs, 100 * t["share_changed"], marker="o", color=COLORS[0], label="any change of the text"
    )
    if substantive_known:
        ax.plot(
            xs,
            100 * t["share_substantive"],
            marker="s",
            color=COLORS[1],
            label="substantive change",
        )
    _time_axis(ax, list(t.index), xs)
    ax.set_ylim(-2, 105)
    ax.set_ylabel("% of sites compared")
    ax.set_title("Sites whose policy changed since their previous version")
    ax.legend(loc="upper right")
    return _png(fig)


def _mark_events(ax: Axes, lo: datetime, hi: datetime) -> int:
    events = events_in(lo, hi)
    middle = lo + (hi - lo) / 2
    for i, e in enumerate(events):
        when = datetime(e.when.year, e.when.month, e.when.day, tzinfo=UTC)
        ax.axvline(when, color="#555555", linestyle="--", linewidth=1)
        # labels of the right half go left of their line, so none runs off the axes
        ax.text(
            when,
            0.98 - 0.07 * (i % 4),
            f" {e.label} ({e.when.isoformat()}) ",
            transform=ax.get_xaxis_transform(),
            fontsize=8,
            va="top",
            ha="right" if when > middle else "left",
            color="#333333",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        )
    return len(events)


def law_share(table: pd.DataFrame) -> bytes:
    fig, ax = _figure(HEIGHT + 0.6)
    xs = _x(table.index)
    laws = list(table.columns[:MAX_LAW_LINES])
    for i, law in enumerate(laws):
        # lines of laws named together overlap: markers and dashes tell them apart
        ax.plot(
            xs,
            100 * table[law],
            marker=MARKERS[i % len(MARKERS)],
            markersize=5,
            color=COLORS[i % len(COLORS)],
            linestyle=("-", "--", ":")[i % 3],
            label=law,
        )
    lo, hi = _time_axis(ax, list(table.index), xs)
    if not _mark_events(ax, lo, hi):
        ax.text(
            0.01,
            0.98,
            "no dated event (GDPR, CCPA, Safe Harbor, Privacy Shield) falls in this period",
            transform=ax.transAxes,
            fontsize=8,
            va="top",
            color="#555555",
        )
    ax.set_ylim(-2, 105)
    ax.set_ylabel("% of policies naming the law")
    more = len(table.columns) - len(laws)
    ax.set_title(
        "Laws and frameworks named in policies"
        + (f" (the {len(laws)} most named; {more} more in the table)" if more else "")
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return _png(fig)


def no_data(title: str, message: str) -> bytes:
    fig, ax = _figure(1.6)
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, transform=ax.transAxes)
    return _png(fig)


def category_coverage(table: pd.DataFrame) -> bytes:
    n = len(table.index)
    fig, ax = _figure(HEIGHT + 0.4)
    data = 100 * table.T.to_numpy(dtype=float)
    im = ax.imshow(data, aspect="auto", cmap="Blues", vmin=0, vmax=100, interpolation="nearest")
    ax.set_yticks(range(len(table.columns)), list(table.columns), fontsize=8)
    if n <= MAX_TICK_LABELS * 2:
        ax.set_xticks(
            range(n),
            list(table.index),
            rotation=45 if n > 6 else 0,
            ha="right" if n > 6 else "center",
            fontsize=8,
        )
    else:
        step = math.ceil(n / MAX_TICK_LABELS)
        ax.set_xticks(
            range(0, n, step), list(table.index[::step]), rotation=45, ha="right", fontsize=8
        )
    if n <= 24:  # values readable in the cells
        for (r, c), v in pd.DataFrame(data).stack().items():
            ax.text(
                c,
                r,
                f"{v:.0f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v > 60 else "black",
            )
    ax.set_xlabel("snapshot")
    ax.set_title("OPP-115 categories: % of policies with at least one clause of the category")
    fig.colorbar(im, ax=ax, label="% of policies", shrink=0.9)
    return _png(fig)


def timeline(tl: Timeline) -> bytes:
    sites = list(tl.sites.index)
    height = min(14.0, max(2.4, 1.3 + 0.28 * len(sites)))
    fig, ax = _figure(height)
    row = {s: i for i, s in enumerate(sites)}
    m = tl.marks
    shares = m["share_changed"].astype("Float64")
    sizes = []
    for kind, share in zip(m["kind"], shares, strict=True):
        if kind in ("identical", "reextracted"):
            sizes.append(12.0)
        elif kind == "first":
            sizes.append(40.0)
        elif pd.isna(share):
            sizes.append(
                {"cosmetic": 25.0, "date_only": 25.0, "near_duplicate": 45.0}.get(kind, 90.0)
            )
        else:  # area grows with the share of words added or removed
            sizes.append(20.0 + 220.0 * math.sqrt(float(share)))
    colors = [KIND_COLORS.get(k, "#d62728") for k in m["kind"]]
    ys = [row[s] for s in m["site"]]
    xs = list(m["captured_at"])
    ax.scatter(xs, ys, s=sizes, c=colors, alpha=0.85, edgecolors="black", linewidths=0.4, zorder=3)
    for i in range(len(sites)):
        ax.axhline(i, color="#eeeeee", linewidth=0.8, zorder=1)
    ax.set_yticks(range(len(sites)), sites, fontsize=8 if len(sites) > 15 else 9)
    ax.set_ylim(len(sites) - 0.5, -0.5)
    lo, hi = min(xs), max(xs)
    pad = max((hi - lo) * 0.04, timedelta(days=120))
    ax.set_xlim(lo - pad, hi + pad)
    locator = mdates.AutoDateLocator(maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("capture date")
    shown = (
        f"all {tl.total_sites} sites"
        if len(sites) == tl.total_sites
        else f"{len(sites)} of {tl.total_sites:,} sites: those with the most changes"
    )
    sized = (
        "mark area: share of words changed"
        if m["share_changed"].notna().any()
        else "large mark: text changed"
    )
    ax.set_title(f"Versions per site ({shown})\n{sized}", fontsize=11)
    kinds = [k for k in KIND_COLORS if k in set(m["kind"]) and k != "reextracted"]
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor=KIND_COLORS[k],
            markeredgecolor="black",
            markeredgewidth=0.4,
            markersize=7,
            label=k.replace("_", " "),
        )
        for k in kinds
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
        title="version",
        title_fontsize=8,
    )
    return _png(fig)
