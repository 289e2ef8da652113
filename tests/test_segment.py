"""Clause segmentation: structure, heading paths, sentence groups and the no-loss invariant."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.text.segment import (
    Clause,
    normalize_clauses,
    normalize_for_compare,
    segment_markdown,
    split_sentences,
)

DOC = """# Privacy Policy

We respect your privacy. This policy explains what we do.

## Information we collect

  * Your **email address**
  * Your [IP address](https://example.com/ip)
- Payment details
  that continue on a second line
1. First numbered item
2) Second numbered item

### Cookies

We use cookies.

## Contact

| channel | address |
|---|---|
| email | privacy@example.com |
"""


def test_kinds_texts_and_heading_paths() -> None:
    clauses = segment_markdown(DOC)
    got = [(c.kind, c.heading_path, c.text) for c in clauses]
    assert got == [
        ("heading", [], "Privacy Policy"),
        (
            "paragraph",
            ["Privacy Policy"],
            "We respect your privacy. This policy explains what we do.",
        ),
        ("heading", ["Privacy Policy"], "Information we collect"),
        ("list_item", ["Privacy Policy", "Information we collect"], "Your **email address**"),
        (
            "list_item",
            ["Privacy Policy", "Information we collect"],
            "Your [IP address](https://example.com/ip)",
        ),
        (
            "list_item",
            ["Privacy Policy", "Information we collect"],
            "Payment details that continue on a second line",
        ),
        ("list_item", ["Privacy Policy", "Information we collect"], "First numbered item"),
        ("list_item", ["Privacy Policy", "Information we collect"], "Second numbered item"),
        ("heading", ["Privacy Policy", "Information we collect"], "Cookies"),
        ("paragraph", ["Privacy Policy", "Information we collect", "Cookies"], "We use cookies."),
        ("heading", ["Privacy Policy"], "Contact"),
        (
            "table",
            ["Privacy Policy", "Contact"],
            "| channel | address |\n|---|---|\n| email | privacy@example.com |",
        ),
    ]
    assert [c.position for c in clauses] == list(range(len(clauses)))


def test_heading_path_is_plain_text() -> None:
    clauses = segment_markdown("## **Your** [rights](http://x.org/r) ##\n\nText.")
    assert clauses[0].text == "**Your** [rights](http://x.org/r) ##"
    assert clauses[1].heading_path == ["Your rights"]


def test_heading_levels_pop_back() -> None:
    md = "# A\n\n## B\n\n### C\n\nx\n\n## D\n\ny\n\n# E\n\nz"
    paths = {c.text: c.heading_path for c in segment_markdown(md)}
    assert paths["x"] == ["A", "B", "C"]
    assert paths["y"] == ["A", "D"]
    assert paths["z"] == ["E"]


@pytest.mark.parametrize(
    ("line", "kind", "text"),
    [
        ("#hashtag is text", "paragraph", "#hashtag is text"),
        ("**Bold** opening", "paragraph", "**Bold** opening"),
        ("2010. The year we started", "paragraph", "2010. The year we started"),
        ("-5 degrees", "paragraph", "-5 degrees"),
        ("* - nested marker", "list_item", "nested marker"),
        ("+ plus item", "list_item", "plus item"),
        ("12) twelfth", "list_item", "twelfth"),
    ],
)
def test_what_counts_as_a_marker(line: str, kind: str, text: str) -> None:
    [clause] = segment_markdown(line)
    assert (clause.kind, clause.text) == (kind, text)


def test_empty_markers_and_blank_documents_make_no_clauses() -> None:
    assert segment_markdown("") == []
    assert segment_markdown("   \n\n\t\n") == []
    assert segment_markdown("#\n\n-\n\n* * *") == []


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("We use cookies. You can opt out.", ["We use cookies. ", "You can opt out."]),
        ("We are a U.S. company. We comply.", ["We are a U.S. company. ", "We comply."]),
        ("Data, e.g. Your name. More.", ["Data, e.g. Your name. ", "More."]),
        ("Acme Inc. Is here. Yes.", ["Acme Inc. Is here. ", "Yes."]),
        (
            "Write to privacy@acme.co.uk now. Or visit www.acme.com. Thanks.",
            ["Write to privacy@acme.co.uk now. ", "Or visit www.acme.com. ", "Thanks."],
        ),
        (
            "Fees of 3.5 percent apply. Really?  Yes!",
            ["Fees of 3.5 percent apply. ", "Really?  ", "Yes!"],
        ),
        ('He said "stop." Then left.', ['He said "stop." ', "Then left."]),
        ("See J. Smith for details.", ["See J. Smith for details."]),
        ("no capital after. so no split", ["no capital after. so no split"]),
    ],
)
def test_sentence_boundaries(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_long_paragraph_becomes_sentence_groups() -> None:
    sentence = "We keep your data safe with care. "
    paragraph = (sentence * 40).strip()
    clauses = segment_markdown("# Security\n\n" + paragraph, max_chars=200)
    groups = clauses[1:]
    assert len(groups) > 1
    assert all(c.kind == "sentences" and len(c.text) <= 200 for c in groups)
    assert all(c.heading_path == ["Security"] for c in groups)
    assert all(c.text.endswith(".") for c in groups)  # cut at sentence ends only
    assert " ".join(c.text for c in groups) == paragraph


def test_overlong_sentence_is_cut_at_spaces() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    clauses = segment_markdown(words, max_chars=100)
    assert all(len(c.text) <= 100 for c in clauses)
    assert " ".join(c.text for c in clauses).split() == words.split()


def test_long_table_is_split_between_rows() -> None:
    rows = "\n".join(f"| row {i} | value {i} |" for i in range(50))
    clauses = segment_markdown(rows, max_chars=120)
    assert len(clauses) > 1
    assert all(c.kind == "table" for c in clauses)
    assert all(line.startswith("|") for c in clauses for line in c.text.splitlines())


def test_normalize_catches_lost_and_duplicated_words() -> None:
    doc = "# Title\n\n* one two\n* three"
    assert normalize_for_compare(doc) == normalize_for_compare("Title one  two\nthree")
    assert normalize_for_compare(doc) != normalize_for_compare("Title one three")
    assert normalize_for_compare(doc) != normalize_for_compare("Title one two two three")


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError):
        segment_markdown("text", max_chars=0)


# --- property: the invariant on generated documents ------------------------------------------

_WORD = st.one_of(
    st.text(alphabet=list("abcXYZéüß漢字0123.,;:!?()[]*_-#@/'\"|"), min_size=1, max_size=12),
    st.sampled_from(["e.g.", "U.S.", "Inc.", "https://x.org/a.b", "a@b.co", "3.14", "We", "The"]),
)
_SPACE = st.sampled_from([" ", "  ", "\t", "\u00a0", " \u2003 "])


@st.composite
def _line(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORD, min_size=1, max_size=12))
    spaces = [draw(_SPACE) for _ in words]
    body = "".join(w + s for w, s in zip(words, spaces, strict=True)).rstrip()
    prefix = draw(
        st.sampled_from(
            ["", "", "", "# ", "## ", "###### ", "  * ", "- ", "1. ", "10) ", "+ ", "| ", "   "]
        )
    )
    sentence_end = draw(st.sampled_from(["", ".", ". ", "? ", "!"]))
    return prefix + body + sentence_end


@st.composite
def _document(draw: st.DrawFn) -> str:
    lines = draw(st.lists(_line(), max_size=25))
    seps = [draw(st.sampled_from(["\n", "\n\n", "\r\n", "\n  \n", "\n\n\n"])) for _ in lines]
    return "".join(line + sep for line, sep in zip(lines, seps, strict=True))


def _check_invariant(doc: str, max_chars: int) -> list[Clause]:
    clauses = segment_markdown(doc, max_chars=max_chars)
    assert normalize_clauses(clauses) == normalize_for_compare(doc)
    assert [c.position for c in clauses] == list(range(len(clauses)))
    for c in clauses:
        assert c.text == c.text.strip() and c.text
        assert c.kind in {"heading", "paragraph", "list_item", "table", "sentences"}
    return clauses


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_document(), max_chars=st.sampled_from([1, 15, 80, 1200]))
def test_invariant_on_generated_documents(doc: str, max_chars: int) -> None:
    clauses = _check_invariant(doc, max_chars)
    for c in clauses:
        if c.kind == "sentences":
            assert len(c.text) <= max_chars


@settings(max_examples=200, deadline=None)
@given(doc=st.text(max_size=400), max_chars=st.sampled_from([5, 50, 1200]))
def test_invariant_on_arbitrary_text(doc: str, max_chars: int) -> None:
    _check_invariant(doc, max_chars)


def test_policy_shaped_document() -> None:
    """The shape of a real extraction (seed example written here, not copied)."""
    md = (
        "# Legals || Example || Privacy Policy\n\nWe abide by P3P.\n\n"
        "##  Information collected\n\nYour contact information.\n\n"
        "  * Services you enquired about\n  * Encrypted card details\n\n\n\n"
        "## Email\n\nYou can opt out."
    )
    clauses = _check_invariant(md, 1200)
    items = [c for c in clauses if c.kind == "list_item"]
    assert [c.text for c in items] == ["Services you enquired about", "Encrypted card details"]
    assert items[0].heading_path == ["Legals || Example || Privacy Policy", "Information collected"]
