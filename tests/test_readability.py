"""Readability over prose only, reading time, and the new policy columns as a user reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from textstat.backend import metrics

from pipelines.items import PolicyPage
from pipelines.process import process_page
from pipelines.storage.schemas import POLICIES
from pipelines.text.readability import (
    MIN_PROSE_WORDS,
    library_version,
    prose_text,
    readability,
    reading_minutes,
    scores,
)
from pipelines.text.segment import segment_markdown

PROSE = (
    "We collect the information you give us when you create an account. We use it to run "
    "the service, to keep it secure and to answer your questions. We share it with companies "
    "that process it on our behalf, under contracts that protect it. You can ask us for a copy "
    "of your data at any time, and you can ask us to correct or delete it. "
)


def test_library_is_named_with_its_version() -> None:
    name, version = library_version().split()
    assert name == "textstat" and version[0].isdigit()


def test_headings_lists_and_tables_are_left_out() -> None:
    md = (
        "# Privacy Policy\n\n"
        + PROSE
        + "\n\n- email address\n- phone number\n\n| Data | Kept |\n|---|---|\n| email | 2 years |\n"
    )
    text = prose_text(segment_markdown(md))
    assert "Privacy Policy" not in text and "phone number" not in text and "2 years" not in text
    assert text.strip() == PROSE.strip()


def test_null_under_100_prose_words() -> None:
    short = segment_markdown("# Title\n\n" + PROSE + "\n\n" + "- item one two three\n" * 80)
    r = readability(short, "en")
    assert r.prose_words < MIN_PROSE_WORDS
    assert (r.flesch_kincaid_grade, r.flesch_reading_ease, r.smog) == (None, None, None)
    long = readability(segment_markdown(PROSE * 3), "en")
    assert long.prose_words >= MIN_PROSE_WORDS
    assert long.flesch_kincaid_grade is not None and 0 < long.flesch_kincaid_grade < 20
    assert long.flesch_reading_ease is not None and 0 < long.flesch_reading_ease < 100
    assert long.smog is not None and long.smog > 3


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (PROSE * 4 + "Short one. Yes. Mr. Smith e.g. agrees!", "en-US"),
        (
            "Wir verarbeiten Ihre personenbezogenen Daten nur, wenn eine Rechtsgrundlage "
            "besteht. Sie können jederzeit Auskunft verlangen. " * 12,
            "de",
        ),
        (
            "Nous traitons vos données personnelles uniquement lorsque la loi le permet. "
            "Vous pouvez demander l'accès à vos données à tout moment. " * 12,
            "fr",
        ),
    ],
)
def test_same_scores_as_textstat(text: str, lang: str) -> None:
    ours = scores(text, lang)
    assert ours.flesch_kincaid_grade == pytest.approx(metrics.flesch_kincaid_grade(text, lang))
    assert ours.flesch_reading_ease == pytest.approx(metrics.flesch_reading_ease(text, lang))
    assert ours.smog == pytest.approx(metrics.smog_index(text, lang))


def test_reading_minutes() -> None:
    assert reading_minutes(0) == 0
    assert reading_minutes(1250) == 5.0


FIXTURE = Path(__file__).parent / "fixtures" / "live" / "www.alpha.example" / "privacy.html"


def test_policy_row_has_the_new_columns() -> None:
    body = FIXTURE.read_bytes()  # "Last updated: January 8, 2024" and a "(c) 2024" footer
    page = PolicyPage(
        site="alpha.example",
        source="live",
        policy_url="http://www.alpha.example/privacy.html",
        captured_at=datetime(2026, 1, 1, tzinfo=UTC),
        snapshot="2026H1",
        body=body,
        content_type="text/html; charset=utf-8",
        run_id="test",
    )
    row = process_page(page).policy
    assert row["stated_date"] == date(2024, 1, 8)
    assert row["stated_date_kind"] == "updated"
    assert row["reading_minutes"] == pytest.approx(row["word_count"] / 250)
    table = pa.Table.from_pylist([row], schema=POLICIES)  # the row fits the explicit schema
    assert table.column("stated_date").type == pa.date32()
    assert table.column("smog").type == pa.float32()
    assert table.column("flesch_kincaid_grade")[0].as_py() is not None


def test_english_never_reaches_for_nltk_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """textstat fetches NLTK's cmudict over the network for "en": workers must not."""
    import nltk

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("textstat tried to download NLTK data")

    monkeypatch.setattr(nltk, "download", no_download)
    r = readability(segment_markdown(PROSE * 3 + "Photographs, publications and telephony."), "en")
    assert r.flesch_kincaid_grade is not None
