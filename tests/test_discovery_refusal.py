"""Discovery goes on after a refusal: a homepage's "Legal" link leads to a legal hub page,
which is refused (it is an imprint), and the privacy link on that hub is the policy.

Fixture: tests/fixtures/live/www.hub.example/ (the policy's URL is on no common path, so
only the hub's link can find it). Run end to end through the CLI, as a user would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawl import read, run_cli
from tests.servers import LiveSiteServer

HOST = "www.hub.example"


@pytest.fixture(scope="module")
def hub_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, LiveSiteServer]:
    work = tmp_path_factory.mktemp("hub")
    with LiveSiteServer() as live:
        sites = work / "sites.txt"
        sites.write_text(f"{live.url(HOST)}\n")
        proc = run_cli(
            "live",
            "--sites",
            str(sites),
            "--out",
            str(work / "out"),
            "--workers",
            "0",
            "-s",
            "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"}),
        )
        return work / "out", proc, live


def test_refused_legal_hub_leads_to_the_policy(hub_run: tuple[Path, object, object]) -> None:
    out, proc, live = hub_run
    assert proc.returncode == 0, proc.stderr[-3000:]  # type: ignore[attr-defined]
    policies = read(out, "policies")
    assert len(policies) == 1
    row = policies.iloc[0]
    assert row.policy_url.endswith("/about/data-notice.html")
    assert row.document_type == "privacy_policy"
    assert 0.5 < row.document_type_score <= 1.0
    assert row.document_type_reason.startswith("privacy_policy")
    assert row.discovered_by == "refused_page_link"


def test_fetches_tell_the_whole_path(hub_run: tuple[Path, object, object]) -> None:
    out, _, _ = hub_run
    fetches = read(out, "fetches").sort_values("fetched_at")
    path = [(r.kind, r.url.split("/", 3)[-1], r.outcome) for r in fetches.itertuples()]
    assert path == [
        ("homepage", "", "ok"),
        ("policy", "legal.html", "not_a_policy"),
        ("policy", "about/data-notice.html", "ok"),
    ]
    legal = fetches[fetches.url.str.endswith("/legal.html")].iloc[0]
    assert legal.document_type == "imprint"  # what it was taken for
    assert "taken for imprint" in legal.detail
    ok = fetches[fetches.outcome == "ok"]
    assert ok[ok.kind == "policy"].document_type.tolist() == ["privacy_policy"]
    assert fetches[fetches.kind == "homepage"].document_type.isna().all()  # not classified


def test_unknown_document_kind_is_a_usage_error(tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("http://www.hub.example/\n")
    proc = run_cli(
        "live", "--sites", str(sites), "--out", str(tmp_path / "out"), "--documents", "terms"
    )
    assert proc.returncode == 2
    assert "--documents: unknown document kind terms" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "policies").exists()
