"""The newcomer's path: `policyarchive demo`, `export`, and the CLI's exit statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import check_page, find_chromium
from tests.crawl import read, run_cli, run_scrapy


@pytest.mark.pywb
def test_demo_runs_offline_and_exports(tmp_path: Path) -> None:
    out = tmp_path / "output"
    proc = run_cli("demo", "--out", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "sites with documents: 6/7" in proc.stdout
    assert "failures by reason:" in proc.stdout
    policies = read(out, "policies")
    assert policies.groupby(["site", "snapshot"]).size().max() == 1
    # the German policy, and the one served from another host
    assert "de" in set(policies.language.dropna())
    mailbox = policies[policies.site == "mailbox.example"]
    assert not mailbox.empty and mailbox.policy_url.str.contains("hostingco").all()
    fetches = read(out, "fetches")
    assert "no_policy_found" in set(fetches[fetches.site == "gardenforum.example"].outcome)
    md = tmp_path / "md"
    assert run_cli("export", str(out), str(md)).returncode == 0
    assert len(list(md.rglob("*.md"))) == len(policies)
    # the demo ends with the report, which a real browser renders, and the dataset card
    assert "report: " in proc.stdout and (out / "README.md").exists()
    index = out / "report" / "index.html"
    pngs = sorted(index.parent.glob("*.png"))
    assert {p.stem for p in pngs} >= {"coverage", "words", "changes", "laws", "timeline"}
    chromium = find_chromium()
    if chromium is not None:  # tests/test_report.py says so when it is missing
        page = check_page(chromium, index)
        assert page.errors == [] and len(page.images) == len(pngs)
        assert all(i["complete"] and i["width"] > 0 for i in page.images)


def test_export_of_a_missing_output_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("export", str(tmp_path / "nothing"), str(tmp_path / "md"))
    assert proc.returncode == 2
    assert "no policies dataset" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2005", "--to", "2004"], "must not be before"),
        (["--from", "last year", "--to", "2014"], "argument 'from'"),
        (["--from", "2005", "--to", "2014", "--archive", "ftp://x"], "argument 'archive'"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(
    tmp_path: Path, args: list[str], message: str
) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("alpha.example\n")
    proc = run_cli("wayback", "--sites", str(sites), "--out", str(tmp_path / "o"), *args)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_missing_sites_file(tmp_path: Path) -> None:
    proc = run_cli("live", "--sites", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_scrapy_lists_the_spiders() -> None:
    proc = run_scrapy("list")
    assert proc.returncode == 0
    assert proc.stdout.split() == ["live", "reextract", "warc", "wayback"]


def test_scrapy_door_refuses_bad_arguments(tmp_path: Path) -> None:
    proc = run_scrapy(
        "crawl", "wayback", "-a", "sites=/nonexistent", "-s", f"OUTPUT_DIR={tmp_path}"
    )
    assert proc.returncode != 0
    assert "argument 'sites'" in proc.stderr
