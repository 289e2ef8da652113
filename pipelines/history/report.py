"""``<out>/report/``: a self-contained HTML page of figures over the snapshots, each figure
also as a PNG and the numbers behind it as a CSV and an HTML table under it.

Pure over the datasets: :func:`build_report` reads a few columns, computes the tables
(:mod:`pipelines.history.stats`), draws them (:mod:`pipelines.history.plots`) and writes
the files atomically.
"""

from __future__ import annotations

import base64
import html
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipelines.history import plots, stats

logger = logging.getLogger(__name__)

MAX_TABLE_ROWS = 400  # longer tables are cut in the page (the CSV has every row)
DEFAULT_MAX_SITES = 40


class NoPolicies(ValueError):
    """The directory holds no ``policies`` dataset."""


@dataclass
class Section:
    name: str  # file stem of the PNG and CSV
    title: str
    caption: str  # plain text, escaped when written
    png: bytes | None = None
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)  # (heading, table)


@dataclass
class Report:
    index: Path
    sections: list[Section]

    @property
    def figures(self) -> list[Path]:
        return [self.index.parent / f"{s.name}.png" for s in self.sections if s.png]


def _pct(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Shares 0–1 as percentages with one decimal, for reading in a table."""
    out = frame.copy()
    for c in columns if columns is not None else list(out.columns):
        out[c] = (100 * out[c].astype(float)).round(1)
    return out


def _coverage(inputs: stats.Inputs) -> Section:
    t = stats.coverage(inputs)
    basis = "fetches and policies" if inputs.fetches is not None else "policies only"
    return Section(
        "coverage",
        "Sites tried and sites with a policy",
        f"Per snapshot: sites the crawl tried (any row in {basis}) and sites for which a "
        "privacy policy was stored.",
        plots.coverage(t),
        [
            (
                "",
                _pct(t, ["share_with_policy"]).rename(
                    columns={"share_with_policy": "% with a policy"}
                ),
            )
        ],
    )


def _words(inputs: stats.Inputs) -> Section:
    t = stats.words(inputs)
    return Section(
        "words",
        "Words per policy",
        "Words of the extracted policy text: median, and the interquartile range (the middle "
        "half of the policies) as the band and bars.",
        plots.words(t),
        [("", t)],
    )


def _readability(inputs: stats.Inputs) -> Section:
    t = stats.readability(inputs)
    title = "Readability (Flesch-Kincaid grade)"
    if t is None:
        return Section(
            "readability",
            title,
            "Not computed: the policies in this output have no flesch_kincaid_grade column "
            "(they were written by a version that did not score readability).",
        )
    if t["documents_scored"].sum() == 0:
        return Section(
            "readability",
            title,
            "Not computed: no policy has enough prose to be scored (a grade needs at least "
            "100 words of prose).",
            tables=[("", t)],
        )
    return Section(
        "readability",
        title,
        "Median Flesch-Kincaid grade level (about the US school years needed to read the "
        "text) of the policies scored, with the interquartile range; policies with fewer "
        "than 100 words of prose are not scored.",
        plots.readability(t),
        [("", t)],
    )


def _changes(inputs: stats.Inputs) -> Section:
    t, basis = stats.change_share(inputs)
    known = basis == "changes dataset"
    caption = (
        "Of the sites with a version in the snapshot and an earlier one, the share whose "
        "policy text differs from their previous version: any change (cosmetic, dates only, "
        "near-duplicate, substantive or revert) and substantive changes (substantive or "
        "revert). Re-extractions of the same capture are never counted."
        if known
        else "Of the sites with a version in the snapshot and an earlier one, the share whose "
        "policy text (text_digest) differs from their previous version. Substantive changes: "
        "not computed (this output has no changes dataset; `policyarchive changes OUT` "
        "builds it)."
    )
    png = (
        plots.change_share(t, known)
        if (t["sites_compared"] > 0).any()
        else plots.no_data("Policy changes", "No site has two versions yet: nothing to compare.")
    )
    shown = _pct(t, ["share_changed", "share_substantive"]).rename(
        columns={"share_changed": "% changed", "share_substantive": "% substantive"}
    )
    return Section("changes", f"Policy changes (basis: {basis})", caption, png, [("", shown)])


def _laws(inputs: stats.Inputs) -> Section:
    t = stats.law_share(inputs)
    title = "Laws and frameworks named"
    if t is None or t.empty:
        why = (
            "Not computed: the policies have no laws column."
            if t is None
            else "No policy in this output names a law or framework."
        )
        return Section("laws", title, why)
    xs = [stats.snapshot_midpoint(s) for s in t.index]
    lo, hi = min(xs), max(xs)
    events = pd.DataFrame(
        [
            {
                "date": e.when.isoformat(),
                "event": e.label,
                "law": e.law,
                "in the period shown": "yes" if e in stats.events_in(lo, hi) else "no",
            }
            for e in stats.EVENTS
        ]
    ).set_index("date")
    return Section(
        "laws",
        title,
        "Share of policies naming each law or framework (from the `laws` attribute), with "
        "dated events marked where they fall inside the snapshots covered.",
        plots.law_share(t),
        [("% of policies naming each law", _pct(t)), ("Events", events)],
    )


def _categories(inputs: stats.Inputs) -> Section:
    t = stats.category_coverage(inputs)
    title = "OPP-115 category coverage"
    if t is None:
        return Section("categories", title, "Not computed: no categories column.")
    return Section(
        "categories",
        title,
        "Share of policies with at least one clause labelled with each OPP-115 category by "
        "the bundled classifier.",
        plots.category_coverage(t),
        [("% of policies", _pct(t))],
    )


def _timeline(inputs: stats.Inputs, max_sites: int) -> Section:
    tl = stats.timeline(inputs, max_sites)
    rows, basis = stats.version_changes(inputs)
    kinds = rows["kind"].value_counts().rename("versions").to_frame()
    kinds.index.name = "kind"
    first = pd.DataFrame(
        {"versions": [inputs.policies.groupby(["site", "source"]).ngroups]},
        index=pd.Index(["first (no earlier version)"], name="kind"),
    )
    kinds = pd.concat([first, kinds])
    capped = len(tl.sites) < tl.total_sites
    area = (
        "the area the share of words added or removed"
        if tl.marks["share_changed"].notna().any()
        else "a large mark a changed text (how much changed is not known without the changes "
        "dataset)"
    )
    caption = (
        "One row per site, one mark per stored version at its capture date; colour says the "
        f"kind of change from the previous version, {area} (basis: {basis})."
    )
    if capped:
        caption += (
            f" {tl.total_sites:,} sites are too many for one figure: the {len(tl.sites)} with "
            "the most changes are shown; the table of kinds counts every site."
        )
    sites = tl.sites.copy()
    for c in ("first_capture", "last_capture"):
        sites[c] = pd.to_datetime(sites[c], utc=True).dt.strftime("%Y-%m-%d")
    return Section(
        "timeline",
        "Timeline of versions per site",
        caption,
        plots.timeline(tl),
        [("Versions by kind (all sites)", kinds), (f"Sites shown ({len(sites)})", sites)],
    )


BUILDERS: tuple[Callable[[stats.Inputs], Section], ...] = (
    _coverage,
    _words,
    _readability,
    _changes,
    _laws,
    _categories,
)


def sections(inputs: stats.Inputs, max_sites: int = DEFAULT_MAX_SITES) -> list[Section]:
    return [build(inputs) for build in BUILDERS] + [_timeline(inputs, max_sites)]


# -- HTML ------------------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2.2em;border-bottom:1px solid #ddd}
img{max-width:100%;height:auto;display:block;margin:.6em 0}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1em}
th,td{border:1px solid #ddd;padding:.2em .5em;text-align:right}th{background:#f4f4f4}
.wide{overflow-x:auto}.note{color:#555}
.missing{background:#fff7e0;padding:.5em;border-left:3px solid #e0a000}
"""


def _table_html(frame: pd.DataFrame) -> str:
    note = ""
    if len(frame) > MAX_TABLE_ROWS:
        note = f'<p class="note">First {MAX_TABLE_ROWS} of {len(frame):,} rows.</p>'
        frame = frame.head(MAX_TABLE_ROWS)
    table = frame.to_html(na_rep="–", border=0, escape=True)
    return f'<div class="wide">{table}</div>{note}'


def render_html(secs: list[Section], summary: dict[str, str]) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>policyarchive report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Privacy policies over time</h1>",
        "<table>",
        *(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in summary.items()
        ),
        "</table>",
        '<p class="note">Every figure is also a PNG, and every table a CSV, in this folder.</p>',
    ]
    for s in secs:
        parts.append(f'<section id="{s.name}"><h2>{html.escape(s.title)}</h2>')
        css = "missing" if s.png is None else "note"
        parts.append(f'<p class="{css}">{html.escape(s.caption)}</p>')
        if s.png is not None:
            data = base64.b64encode(s.png).decode("ascii")
            parts.append(f'<img src="data:image/png;base64,{data}" alt="{html.escape(s.title)}">')
        for heading, table in s.tables:
            if heading:
                parts.append(f"<h3>{html.escape(heading)}</h3>")
            parts.append(_table_html(table))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for reading
    os.replace(tmp, path)


def _summary(inputs: stats.Inputs, out_dir: Path) -> dict[str, str]:
    pol = inputs.policies
    order = stats.ordered_snapshots(pol["snapshot"])
    span = f"{order[0]} – {order[-1]} ({len(order)})" if order else "none"
    return {
        "output": str(out_dir),
        "documents (policy versions)": f"{len(pol):,}",
        "sites with a policy": f"{pol['site'].nunique():,}",
        "snapshots": span,
        "sources": ", ".join(sorted(pol["source"].dropna().unique())),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def build_report(
    out_dir: str | Path,
    max_sites: int = DEFAULT_MAX_SITES,
    on_progress: Callable[..., None] | None = None,
) -> Report:
    """Write ``<out>/report/index.html`` with every figure as PNG and table as CSV.

    ``on_progress(done, total, note)`` hears of its three steps (the console's progress)."""
    step = on_progress or (lambda *a, **k: None)
    out = Path(out_dir)
    step(0, 3, note="reading the datasets")
    inputs = stats.load_inputs(out)
    if inputs is None or inputs.policies.empty:
        raise NoPolicies(f"no policies dataset in {out} (run a crawl into it first)")
    step(1, 3, note="drawing the figures")
    secs = sections(inputs, max_sites)
    step(2, 3, note="writing the page")
    dest = out / "report"
    dest.mkdir(parents=True, exist_ok=True)
    keep = {"index.html"}
    for s in secs:
        if s.png is not None:
            _write_atomic(dest / f"{s.name}.png", s.png)
            keep.add(f"{s.name}.png")
        for i, (_, table) in enumerate(s.tables):
            name = f"{s.name}.csv" if i == 0 else f"{s.name}-{i + 1}.csv"
            _write_atomic(dest / name, table.to_csv().encode("utf-8"))
            keep.add(name)
    index = dest / "index.html"
    _write_atomic(index, render_html(secs, _summary(inputs, out)).encode("utf-8"))
    for stale in dest.iterdir():  # figures of an earlier report that this one has not
        if stale.is_file() and stale.suffix in (".png", ".csv") and stale.name not in keep:
            stale.unlink()
    logger.info("report written to %s (%d figures)", index, sum(1 for s in secs if s.png))
    step(3, 3, note="done")
    return Report(index=index, sections=secs)
