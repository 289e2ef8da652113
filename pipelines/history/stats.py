"""The numbers behind the report: per-snapshot tables computed from an output directory.

Pure pandas over a few columns (never the policy texts). Every table is ordered by time
(2009H2 before 2010H1; year, quarter, month and capture labels too). Columns that newer
code adds (readability, the ``changes`` dataset) are used when present; when absent the
table says how it was derived instead, or is None ("not computed").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.categories import CATEGORIES
from pipelines.history.periods import period_of_label, snapshot_sort_key
from pipelines.storage.read import read_columns

logger = logging.getLogger(__name__)

POLICY_COLUMNS = (
    "policy_id",
    "site",
    "source",
    "captured_at",
    "content_digest",
    "text_digest",
    "word_count",
    "flesch_kincaid_grade",
    "laws",
    "categories",
)
CHANGE_COLUMNS = (
    "site",
    "source",
    "to_policy_id",
    "to_snapshot",
    "to_captured_at",
    "kind",
    "words_added",
    "words_removed",
)
# kinds of the `changes` dataset that are no change of the policy's text at all
NO_CHANGE_KINDS = frozenset({"identical", "reextracted"})
# kinds counted as a substantive change (a revert brings back other words, so it is one too)
SUBSTANTIVE_KINDS = frozenset({"substantive", "revert"})


@dataclass(frozen=True)
class Event:
    when: date
    label: str
    law: str  # the `laws` value it belongs to


EVENTS: tuple[Event, ...] = (
    Event(date(2015, 10, 6), "Safe Harbor invalidated", "Safe Harbor"),
    Event(date(2016, 7, 12), "Privacy Shield adopted", "Privacy Shield"),
    Event(date(2018, 5, 25), "GDPR in force", "GDPR"),
    Event(date(2020, 1, 1), "CCPA in force", "CCPA"),
    Event(date(2020, 7, 16), "Privacy Shield invalidated", "Privacy Shield"),
)


@dataclass
class Inputs:
    """What the report reads: policies (a few columns), fetches (site, snapshot), changes."""

    policies: pd.DataFrame
    fetches: pd.DataFrame | None
    changes: pd.DataFrame | None


def load_inputs(out_dir: str | Path) -> Inputs | None:
    """The columns the report needs; None when the directory holds no policies."""
    policies = read_columns(out_dir, "policies", POLICY_COLUMNS)
    if policies is None:
        return None
    fetches = read_columns(out_dir, "fetches", ("site",))
    changes = read_columns(out_dir, "changes", CHANGE_COLUMNS)
    return Inputs(
        policies=policies.to_pandas(),
        fetches=None if fetches is None else fetches.to_pandas(),
        changes=None if changes is None else changes.to_pandas(),
    )


# -- time order ----------------------------------------------------------------------------
def is_period(label: object) -> bool:
    return period_of_label(str(label)) is not None


def ordered_snapshots(labels: pd.Series | list[str]) -> list[str]:
    """Distinct period labels in time order (labels that name no period, like ``all``, out)."""
    distinct = {str(x) for x in labels if x is not None}
    return sorted((x for x in distinct if is_period(x)), key=snapshot_sort_key)


def snapshot_midpoint(label: str) -> datetime:
    p = period_of_label(label)
    if p is None:
        raise ValueError(f"not a period label: {label!r}")
    return p.midpoint


def _reindexed(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    frame = frame.reindex(order)
    frame.index.name = "snapshot"
    return frame


# -- tables ----------------------------------------------------------------------------------
def coverage(inputs: Inputs) -> pd.DataFrame:
    """Per snapshot: sites tried (any row in fetches or policies) and sites with a policy.

    Fetch rows of index queries that span a whole run (snapshot ``all``) name sites that were
    tried in every snapshot of the output, so they count in each.
    """
    pol = inputs.policies
    order = ordered_snapshots(pol["snapshot"])
    with_policy = pol.groupby("snapshot")["site"].nunique()
    tried_sets: dict[str, set[str]] = {s: set(g) for s, g in pol.groupby("snapshot")["site"]}
    if inputs.fetches is not None and not inputs.fetches.empty:
        f = inputs.fetches
        order = ordered_snapshots(pd.concat([pol["snapshot"], f["snapshot"]]))
        for s, g in f.groupby("snapshot")["site"]:
            tried_sets.setdefault(str(s), set()).update(g)
        whole_run = set().union(*(tried_sets.pop(s) for s in list(tried_sets) if not is_period(s)))
        for s in order:
            tried_sets.setdefault(s, set()).update(whole_run)
    out = pd.DataFrame(
        {
            "sites_tried": pd.Series({s: len(v) for s, v in tried_sets.items()}, dtype="int64"),
            "sites_with_policy": with_policy,
        }
    )
    out = _reindexed(out, order).fillna(0).astype("int64")
    out["share_with_policy"] = (
        out["sites_with_policy"] / out["sites_tried"].where(out["sites_tried"] > 0)
    ).round(3)
    return out


def words(inputs: Inputs) -> pd.DataFrame:
    """Per snapshot: documents and the median and quartiles of their word counts."""
    pol = inputs.policies
    g = pol.groupby("snapshot")["word_count"]
    out = pd.DataFrame(
        {
            "documents": g.size(),
            "q1_words": g.quantile(0.25),
            "median_words": g.median(),
            "q3_words": g.quantile(0.75),
        }
    )
    return _reindexed(out, ordered_snapshots(pol["snapshot"])).round(1)


def readability(inputs: Inputs) -> pd.DataFrame | None:
    """Per snapshot: median Flesch-Kincaid grade (quartiles too) of the documents scored.

    None when the output has no ``flesch_kincaid_grade`` column (written before it existed).
    """
    pol = inputs.policies
    if "flesch_kincaid_grade" not in pol.columns:
        return None
    scored = pol.dropna(subset=["flesch_kincaid_grade"])
    g = scored.groupby("snapshot")["flesch_kincaid_grade"]
    out = pd.DataFrame(
        {
            "documents": pol.groupby("snapshot").size(),
            "documents_scored": g.size(),
            "q1_grade": g.quantile(0.25),
            "median_grade": g.median(),
            "q3_grade": g.quantile(0.75),
        }
    )
    out = _reindexed(out, ordered_snapshots(pol["snapshot"]))
    out["documents_scored"] = out["documents_scored"].fillna(0).astype("int64")
    return out.round(2)


def version_changes(inputs: Inputs) -> tuple[pd.DataFrame, str]:
    """One row per version that has a previous version: site, source, snapshot, captured_at,
    policy_id, kind, changed (bool), substantive (bool or NA), words_changed (or NA).

    From the ``changes`` dataset when there is one; else derived from consecutive
    ``text_digest`` values per site and source (then ``kind`` is ``changed``/``identical``
    and substantive is unknown). The second value names the basis.
    """
    ch = inputs.changes
    if ch is not None and not ch.empty and {"site", "to_policy_id", "kind"} <= set(ch.columns):
        pol = inputs.policies.drop_duplicates("policy_id").set_index("policy_id")
        captured = (
            ch["to_captured_at"]
            if "to_captured_at" in ch.columns
            else ch["to_policy_id"].map(pol["captured_at"])
        )
        rows = pd.DataFrame(
            {
                "site": ch["site"],
                "source": ch["source"] if "source" in ch.columns else "",
                # the dataset is partitioned by the later version's snapshot
                "snapshot": ch["snapshot"].astype(str),
                "captured_at": captured,
                "policy_id": ch["to_policy_id"],
                "kind": ch["kind"],
            }
        )
        rows["changed"] = ~rows["kind"].isin(NO_CHANGE_KINDS)
        rows["substantive"] = rows["kind"].isin(SUBSTANTIVE_KINDS)
        if {"words_added", "words_removed"} <= set(ch.columns):
            rows["words_changed"] = ch["words_added"].astype("Float64") + ch[
                "words_removed"
            ].astype("Float64")
        else:
            rows["words_changed"] = pd.NA
        return rows, "changes dataset"
    pol = inputs.policies.sort_values(["site", "source", "captured_at", "policy_id"])
    prev_digest = pol.groupby(["site", "source"])["text_digest"].shift()
    prev_capture = pol.groupby(["site", "source"])["content_digest"].shift()
    prev_at = pol.groupby(["site", "source"])["captured_at"].shift()
    has_prev = prev_digest.notna()
    # the same capture extracted again is never a change of the policy
    reextracted = (prev_capture == pol["content_digest"]) & (prev_at == pol["captured_at"])
    changed = has_prev & (prev_digest != pol["text_digest"]) & ~reextracted
    rows = pd.DataFrame(
        {
            "site": pol["site"],
            "source": pol["source"],
            "snapshot": pol["snapshot"].astype(str),
            "captured_at": pol["captured_at"],
            "policy_id": pol["policy_id"],
            "kind": np.where(reextracted, "reextracted", np.where(changed, "changed", "identical")),
            "changed": changed,
            "substantive": pd.NA,
            "words_changed": pd.NA,
        }
    )[has_prev.to_numpy()]
    return rows.reset_index(drop=True), "consecutive text_digest per site (no changes dataset)"


def change_share(inputs: Inputs) -> tuple[pd.DataFrame, str]:
    """Per snapshot: sites with a version here and a previous one; the share whose policy
    changed (any change) and changed substantively (None when unknown)."""
    rows, basis = version_changes(inputs)
    order = ordered_snapshots(inputs.policies["snapshot"])
    rows = rows[rows["kind"] != "reextracted"].assign(
        substantive=lambda r: r["substantive"].fillna(False).astype(bool)
    )
    per_site = rows.groupby(["snapshot", "site"]).agg(
        changed=("changed", "any"), substantive=("substantive", "any")
    )
    g = per_site.groupby(level="snapshot")
    out = pd.DataFrame(
        {
            "sites_compared": g.size(),
            "sites_changed": g["changed"].sum(),
            "sites_changed_substantively": g["substantive"].sum(),
        }
    )
    out = _reindexed(out, order).fillna(0).astype("int64")
    denom = out["sites_compared"].where(out["sites_compared"] > 0)
    out["share_changed"] = (out["sites_changed"] / denom).round(3)
    out["share_substantive"] = (out["sites_changed_substantively"] / denom).round(3)
    if basis != "changes dataset":
        out["sites_changed_substantively"] = pd.NA
        out["share_substantive"] = np.nan
    return out, basis


def _list_share(pol: pd.DataFrame, column: str, order: list[str]) -> pd.DataFrame:
    """Per snapshot (rows) and list value (columns): share of documents whose list holds it."""
    docs = pol.groupby("snapshot").size()
    # a document counts once per value, however many of its clauses name it
    counts = (
        pol[["snapshot", column]]
        .assign(_doc=np.arange(len(pol)))
        .explode(column)
        .dropna(subset=[column])
        .drop_duplicates(["_doc", column])
        .groupby(["snapshot", column])
        .size()
        .unstack(column, fill_value=0)
    )
    share = counts.div(docs, axis=0)
    return _reindexed(share, order).fillna(0.0)


def law_share(inputs: Inputs) -> pd.DataFrame | None:
    """Per snapshot: share of documents naming each law found (columns by overall frequency)."""
    pol = inputs.policies
    if "laws" not in pol.columns:
        return None
    share = _list_share(pol, "laws", ordered_snapshots(pol["snapshot"]))
    if share.empty:
        return share
    docs = pol.groupby("snapshot").size().reindex(share.index)
    total = (share.mul(docs, axis=0)).sum().sort_values(ascending=False, kind="stable")
    return share[list(total.index)].round(3)


def category_coverage(inputs: Inputs) -> pd.DataFrame | None:
    """Per snapshot: share of documents with at least one clause of each OPP-115 category."""
    pol = inputs.policies
    if "categories" not in pol.columns:
        return None
    share = _list_share(pol, "categories", ordered_snapshots(pol["snapshot"]))
    return share.reindex(columns=list(CATEGORIES), fill_value=0.0).round(3)


def events_in(start: datetime, end: datetime) -> list[Event]:
    return [
        e
        for e in EVENTS
        if start <= datetime(e.when.year, e.when.month, e.when.day, tzinfo=UTC) <= end
    ]


@dataclass
class Timeline:
    marks: pd.DataFrame  # site, captured_at, kind, words_changed, share_changed
    sites: pd.DataFrame  # per site shown: versions, changes, first, last
    total_sites: int


def timeline(inputs: Inputs, max_sites: int = 40) -> Timeline:
    """One mark per version of the sites shown: its kind (``first`` for a site's first
    version) and the share of words changed when known. With more sites than ``max_sites``,
    those with the most changes (then most versions, then by name) are shown."""
    pol = inputs.policies
    rows, _ = version_changes(inputs)
    marks = pol[["site", "source", "policy_id", "captured_at"]].merge(
        rows[["policy_id", "kind", "words_changed"]].drop_duplicates("policy_id"),
        on="policy_id",
        how="left",
    )
    marks["kind"] = marks["kind"].fillna("first")
    words_by_id = pol.set_index("policy_id")["word_count"]
    base = marks["policy_id"].map(words_by_id).astype("Float64").clip(lower=1)
    marks["share_changed"] = (marks["words_changed"].astype("Float64") / base).clip(upper=1.0)
    marks["is_change"] = ~marks["kind"].isin(NO_CHANGE_KINDS | {"first"})
    per_site = marks.groupby("site").agg(
        versions=("policy_id", "size"),
        changes=("is_change", "sum"),
        first_capture=("captured_at", "min"),
        last_capture=("captured_at", "max"),
    )
    per_site = per_site.reset_index().sort_values(
        ["changes", "versions", "site"], ascending=[False, False, True]
    )
    shown = per_site.head(max_sites)
    marks = marks[marks["site"].isin(set(shown["site"]))]
    return Timeline(
        marks=marks.drop(columns=["source", "is_change"]).reset_index(drop=True),
        sites=shown.set_index("site"),
        total_sites=len(per_site),
    )
