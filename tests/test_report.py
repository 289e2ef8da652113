"""`policyarchive report OUT`: the figures and the numbers behind them, as a reader sees them."""

from __future__ import annotations

import base64
import re
from datetime import date
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from crawler.cli import main
from pipelines.history.periods import snapshot_sort_key
from pipelines.history.report import build_report
from tests.browser import check_page, find_chromium
from tests.reportdata import fetch_row, policy_row, stated, write_changes, write_rows

READABILITY_COLUMNS = ("flesch_kincaid_grade", "flesch_reading_ease", "smog", "reading_minutes")

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed: run scripts/install-system-deps.sh as root "
    "(make setup does) or set CHROMIUM=/path/to/chromium",
)

SNAPSHOTS = ["2009H2", "2010H1", "2010H2"]


def words(tag: str, n: int = 120) -> str:
    return " ".join(f"{tag}{i}" for i in range(n))


A1, A2 = words("a"), words("a", 100) + " " + words("new", 40)
B1, B2 = words("b") + " 2009", words("b") + " 2010"
C1 = words("c", 60)


def _policies(readability: bool) -> list[tuple[str, dict]]:
    def r(grade: float | None, day: date) -> dict:
        if not readability:
            return {}
        return {"flesch_kincaid_grade": grade, **stated(day)}

    return [
        ("2009H2", policy_row("a.example", "2009H2", A1, **r(10.0, date(2009, 1, 1)))),
        ("2010H1", policy_row("a.example", "2010H1", A1, **r(10.0, date(2009, 1, 1)))),
        (
            "2010H2",
            policy_row("a.example", "2010H2", A2, laws=["GDPR"], **r(12.0, date(2010, 9, 1))),
        ),
        (
            "2009H2",
            policy_row("b.example", "2009H2", B1, laws=["COPPA"], **r(8.0, date(2009, 2, 1))),
        ),
        (
            "2010H1",
            policy_row("b.example", "2010H1", B2, laws=["COPPA"], **r(8.0, date(2010, 2, 1))),
        ),
        (
            "2010H2",
            policy_row("b.example", "2010H2", B2, laws=["COPPA"], **r(8.0, date(2010, 2, 1))),
        ),
        ("2010H1", policy_row("c.example", "2010H1", C1, **r(None, date(2010, 3, 1)))),
        ("2010H2", policy_row("c.example", "2010H2", C1, **r(None, date(2010, 3, 1)))),
    ]


def _changes(policies: list[tuple[str, dict]]) -> list[dict]:
    ids = {(p["site"], s): p for s, p in policies}
    spec = [  # site, to snapshot, kind, words added, removed
        ("a.example", "2010H1", "identical", 0, 0),
        ("a.example", "2010H2", "substantive", 40, 20),
        ("b.example", "2010H1", "date_only", 1, 1),
        ("b.example", "2010H2", "identical", 0, 0),
        ("c.example", "2010H2", "identical", 0, 0),
    ]
    rows = []
    for site, snap, kind, added, removed in spec:
        prev = SNAPSHOTS[SNAPSHOTS.index(snap) - 1]
        to = ids[(site, snap)]
        rows.append(
            {
                "site": site,
                "source": "wayback",
                "from_policy_id": ids[(site, prev)]["policy_id"],
                "to_policy_id": to["policy_id"],
                "to_snapshot": snap,
                "to_captured_at": to["captured_at"],
                "kind": kind,
                "words_added": added,
                "words_removed": removed,
            }
        )
    return rows


def full_output(out: Path) -> Path:
    """Three sites with policies, a fourth tried in vain; readability and changes present."""
    policies = _policies(readability=True)
    write_rows(out, "policies", policies)
    fetches = [(s, fetch_row(site)) for s, p in policies for site in [p["site"]]]
    fetches += [(s, fetch_row("d.example", "no_policy_found")) for s in SNAPSHOTS]
    fetches += [("2009H2", fetch_row("c.example", "no_capture_in_period"))]
    write_rows(out, "fetches", fetches)
    write_changes(out, _changes(policies))
    return out


def csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "report" / f"{name}.csv", index_col=0)


def test_snapshot_labels_sort_in_time_order() -> None:
    labels = ["2010H1", "all", "2009H2", "2010", "2009Q4", "2009-11", "20091218024508", "2009"]
    assert sorted(labels, key=snapshot_sort_key) == [
        "2009",
        "2009H2",
        "2009Q4",
        "2009-11",
        "20091218024508",
        "2010",
        "2010H1",
        "all",
    ]


def test_report_numbers_from_a_full_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = full_output(tmp_path / "out")
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "report:" in printed and "dataset card:" in printed

    cov = csv(out, "coverage")
    assert list(cov.index) == SNAPSHOTS
    assert cov["sites_tried"].tolist() == [4, 4, 4]
    assert cov["sites_with_policy"].tolist() == [2, 3, 3]

    ch = csv(out, "changes")
    assert ch["sites_compared"].tolist() == [0, 2, 3]
    assert ch["% changed"].tolist()[1:] == [50.0, 33.3]  # b's dates; a's new section
    assert ch["% substantive"].tolist()[1:] == [0.0, 33.3]

    rd = csv(out, "readability")
    assert rd["documents_scored"].tolist() == [2, 2, 2]  # c has too little prose
    assert rd["median_grade"].tolist() == [9.0, 9.0, 10.0]

    laws = csv(out, "laws")
    assert laws.loc["2010H2", "GDPR"] == pytest.approx(33.3)
    assert laws.loc["2009H2", "COPPA"] == 50.0

    tl = csv(out, "timeline-2")  # sites shown, most changes first
    assert tl.index.tolist() == ["a.example", "b.example", "c.example"]
    assert tl["changes"].tolist() == [1, 1, 0]

    html = (out / "report" / "index.html").read_text()
    pngs = sorted((out / "report").glob("*.png"))
    assert {p.stem for p in pngs} == {
        "coverage",
        "words",
        "readability",
        "changes",
        "laws",
        "categories",
        "timeline",
    }
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert sorted(base64.b64decode(e) for e in embedded) == sorted(p.read_bytes() for p in pngs)
    assert "http://" not in html and "https://" not in html  # nothing loaded from elsewhere
    for png in pngs:
        img = mpimg.imread(png)
        assert img.shape[1] == 900 and img.shape[0] >= 150, png.name


def _as_older_output(out: Path, dataset: str, columns: tuple[str, ...]) -> None:
    """Rewrite ``dataset`` without ``columns``, as a version before them wrote it (this
    checkout's writer always writes every column of its schema)."""
    for part in (out / dataset).rglob("*.parquet"):
        table = pq.ParquetFile(part).read()
        pq.write_table(table.drop_columns([c for c in columns if c in table.column_names]), part)


def test_report_without_newer_columns_says_what_is_not_computed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_rows(out, "policies", _policies(readability=False))  # no fetches, no changes
    _as_older_output(out, "policies", READABILITY_COLUMNS)
    report = build_report(out)
    by_name = {s.name: s for s in report.sections}
    assert by_name["readability"].png is None
    assert "Not computed" in by_name["readability"].caption
    assert "text_digest" in by_name["changes"].title
    assert not (out / "report" / "readability.png").exists()
    ch = csv(out, "changes")
    assert ch["% changed"].tolist()[1:] == [50.0, 33.3]  # the same changes, from digests
    assert ch["% substantive"].isna().all()
    html = (out / "report" / "index.html").read_text()
    assert "Not computed: the policies in this output have no flesch_kincaid_grade" in html


def test_report_over_one_site_and_one_snapshot(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_rows(out, "policies", [("2014H2", policy_row("solo.example", "2014H2", A1))])
    report = build_report(out)
    # every figure but readability (no column) and laws (none named): those say so
    assert len(report.figures) == 5
    by_name = {s.name: s for s in report.sections}
    assert by_name["laws"].caption == "No policy in this output names a law or framework."
    assert all(p.stat().st_size > 5000 for p in report.figures)
    changes = next(s for s in report.sections if s.name == "changes")
    assert changes.tables[0][1]["sites_compared"].tolist() == [0]


def test_timeline_caps_many_sites_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rows = []
    for i in range(300):
        site = f"site{i:03d}.example"
        rows.append(("2012H1", policy_row(site, "2012H1", A1)))
        rows.append(("2012H2", policy_row(site, "2012H2", A2 if i % 7 == 0 else A1)))
    write_rows(out, "policies", rows)
    report = build_report(out, max_sites=25)
    tl = next(s for s in report.sections if s.name == "timeline")
    assert "300 sites are too many for one figure: the 25 with the most changes" in tl.caption
    shown = tl.tables[1][1]
    assert len(shown) == 25 and (shown["changes"] == 1).all()
    kinds = tl.tables[0][1]["versions"]
    assert kinds.to_dict() == {"first (no earlier version)": 300, "identical": 257, "changed": 43}
    img = mpimg.imread(report.index.parent / "timeline.png")
    assert img.shape[0] <= 1400  # the figure does not grow with the number of sites


def test_report_of_a_directory_without_policies_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "no policies dataset" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "no such directory" in capsys.readouterr().err


@needs_chromium
def test_report_page_renders_in_a_real_browser(tmp_path: Path) -> None:
    out = full_output(tmp_path / "out")
    report = build_report(out)
    assert CHROMIUM is not None
    page = check_page(CHROMIUM, report.index)
    assert page.errors == []
    assert len(page.images) == len(report.figures) == 7
    for img in page.images:
        assert img["complete"] and img["width"] == 900 and img["height"] > 100, img
    assert page.tables >= 8


@needs_chromium
def test_browser_check_sees_a_broken_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='data:image/png;base64,AAAA' alt='bad'>"
        "<script>console.error('boom')</script></body></html>"
    )
    assert CHROMIUM is not None
    check = check_page(CHROMIUM, page)
    assert check.images == [{"alt": "bad", "complete": True, "width": 0, "height": 0}]
    assert any("boom" in e for e in check.errors)


def test_capture_snapshots_are_ordered_in_time_and_drawn(tmp_path: Path) -> None:
    out = tmp_path / "out"
    labels = ["20100305120000", "20091218024508", "20090101000000", "20121231235959"]
    write_rows(
        out,
        "policies",
        [(s, policy_row("a.example", s, A1 if s < "2011" else A2)) for s in labels],
    )
    report = build_report(out)
    words_table = next(s for s in report.sections if s.name == "words").tables[0][1]
    assert list(words_table.index) == sorted(labels)
    assert csv(out, "changes")["sites_changed"].tolist() == [0, 0, 0, 1]
    assert len(report.figures) == 5
