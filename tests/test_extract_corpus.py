"""Extraction quality gate on real pages: OPP-115 (against its segment text) and the
Open Terms Archive policies. Floors sit just under what scripts/eval_extraction.py
measured for the chosen settings (docs/extraction.md)."""

from __future__ import annotations

import csv
import importlib.util
import statistics
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pipelines.text.extract import ExtractionError, ExtractOptions, extract

ROOT = Path(__file__).resolve().parent.parent

# measured by scripts/eval_extraction.py on the 94 HTML pages:
# mean recall 0.9826, mean precision 0.9321, min recall 0.798
MEAN_RECALL_FLOOR = 0.975
MEAN_PRECISION_FLOOR = 0.92
MIN_RECALL_FLOOR = 0.79
# pages known to stay under 0.85 recall, explained in docs/extraction.md
EXPLAINED_LOW = {"70_allrecipes.com.html", "1300_www.chicagomarathon.com.html"}

pytestmark = pytest.mark.corpus


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "eval_extraction", ROOT / "scripts/eval_extraction.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def opp115_results(shared_data: Path) -> list:
    ev = _eval_module()
    opp115 = shared_data / "opp115"
    pages, excluded = ev.opp115_pages(opp115)
    assert [f.suffix for f in excluded] == [".pdf"]
    return ev.evaluate(ev.SETTINGS["chosen"], pages, ev.references(opp115))


def test_opp115_mean_recall_and_precision(opp115_results: list) -> None:
    assert len(opp115_results) == 94
    assert statistics.mean(r.recall for r in opp115_results) >= MEAN_RECALL_FLOOR
    assert statistics.mean(r.precision for r in opp115_results) >= MEAN_PRECISION_FLOOR


def test_opp115_no_unexplained_low_page(opp115_results: list) -> None:
    assert min(r.recall for r in opp115_results) >= MIN_RECALL_FLOOR
    low = {r.page for r in opp115_results if r.recall < 0.85}
    assert low <= EXPLAINED_LOW, f"new pages under 0.85 recall: {low - EXPLAINED_LOW}"


def test_opp115_pdf_is_not_html(shared_data: Path) -> None:
    pdf = next((shared_data / "opp115/original_html").glob("*.pdf"))
    with pytest.raises(ExtractionError) as err:
        extract(pdf.read_bytes(), content_type=None)
    assert err.value.reason == "not_html"


def test_real_policies_extract_non_trivially(shared_data: Path) -> None:
    real = shared_data / "real_policies"
    with (real / "index.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    short = []
    for row in rows:
        body = (real / row["file"]).read_bytes()
        if row["site"] == "Hily":  # saved as a captcha page, not a policy
            with pytest.raises(ExtractionError):
                extract(body, url=row["url"], options=ExtractOptions(min_words=50))
            continue
        out = extract(body, url=row["url"])
        if len(out.text.split()) < 150:
            short.append((row["file"], len(out.text.split())))
    assert not short
