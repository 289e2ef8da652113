"""The clause classifier and the CSV command, on texts written here (no corpus needed)."""

from __future__ import annotations

import hashlib
import importlib.util
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.classify_csv import classify_csv, probability_columns
from pipelines.storage.schemas import CATEGORIES, category_field_name
from pipelines.text.classify import (
    ClauseClassifier,
    ClauseInput,
    clause_inputs_from_document,
    default_model_path,
    first_line_heading,
    heading_text,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def model() -> ClauseClassifier:
    return ClauseClassifier.load()


CLEAR_CLAUSES = [
    (
        "We use cookies to remember your preferences. You can opt out of cookies by changing "
        "your browser settings.",
        "User Choice/Control",
    ),
    (
        "We may share your personal information with third-party advertisers and analytics "
        "partners.",
        "Third Party Sharing/Collection",
    ),
    (
        "We collect your name, email address and phone number when you register for an account.",
        "First Party Collection/Use",
    ),
    (
        "We use industry-standard SSL encryption and firewalls to protect your information from "
        "unauthorized access.",
        "Data Security",
    ),
    (
        "We may update this privacy policy from time to time. We will notify you of material "
        "changes by posting the new policy on this page.",
        "Policy Change",
    ),
    ("Our site does not respond to Do Not Track signals sent by your browser.", "Do Not Track"),
    (
        "Our services are not directed to children under 13 and we do not knowingly collect "
        "information from children.",
        "International and Specific Audiences",
    ),
    (
        "You can log in to your account at any time to review, correct or delete your personal "
        "information.",
        "User Access, Edit and Deletion",
    ),
    (
        "We keep your personal data for no longer than 30 days after you close your account.",
        "Data Retention",
    ),
    (
        "If you have any questions about this policy, please contact us at privacy@example.com.",
        "Other",
    ),
]


@pytest.mark.parametrize(("text", "category"), CLEAR_CLAUSES, ids=[c for _, c in CLEAR_CLAUSES])
def test_clear_clause_gets_its_category(model: ClauseClassifier, text: str, category: str) -> None:
    probs = model.predict_proba([ClauseInput(text=text)])
    assert category in model.labels(probs)[0]
    assert CATEGORIES[int(np.argmax(probs[0]))] == category


def test_probabilities_shape_dtype_and_range(model: ClauseClassifier) -> None:
    clauses = [ClauseInput(text=t) for t, _ in CLEAR_CLAUSES]
    probs = model.predict_proba(clauses)
    assert probs.shape == (len(clauses), len(CATEGORIES))
    assert probs.dtype == np.float32
    assert np.all((probs >= 0) & (probs <= 1))


def test_empty_batch_and_empty_text(model: ClauseClassifier) -> None:
    assert model.predict_proba([]).shape == (0, len(CATEGORIES))
    probs = model.predict_proba([ClauseInput(text=""), ClauseInput(text="   \n")])
    assert np.all(probs == 0)
    assert model.labels(probs) == [[], []]


def test_labels_follow_the_half_threshold_in_category_order(model: ClauseClassifier) -> None:
    probs = np.zeros((2, len(CATEGORIES)), dtype=np.float32)
    probs[0, [9, 0]] = [0.9, 0.5]
    probs[1, 3] = 0.49
    assert model.labels(probs) == [
        [CATEGORIES[0], CATEGORIES[9]],
        [],
    ]


def test_context_is_used_but_not_required(model: ClauseClassifier) -> None:
    texts = [
        "Privacy Policy\nThis policy describes how Example Inc. handles information.",
        "We collect your email address when you sign up for our newsletter.",
        "You may unsubscribe from our newsletter at any time using the link in each email.",
    ]
    doc = clause_inputs_from_document(texts, [["Privacy Policy"], ["Information we collect"], []])
    with_ctx = model.predict_proba(doc)
    bare = model.predict_proba([ClauseInput(text=t) for t in texts])
    assert with_ctx.shape == bare.shape
    assert not np.allclose(with_ctx, bare)  # neighbours and position change the scores
    assert "First Party Collection/Use" in model.labels(with_ctx)[1]
    assert doc[1].prev_text == texts[0] and doc[1].next_text == texts[2]
    assert (doc[2].position, doc[2].total, doc[2].next_text) == (2, 3, "")


def test_heading_inference() -> None:
    assert first_line_heading("Cookies\nWe use cookies.") == "Cookies"
    assert first_line_heading("We use cookies.") == ""
    long_first = "We use cookies " * 10 + "\nmore"
    assert first_line_heading(long_first) == ""
    clause = ClauseInput(text="Your choices\nYou may opt out.", heading_path=["Policy", "Cookies"])
    assert heading_text(clause) == "Policy\nCookies\nYour choices"


def test_save_load_round_trip_is_byte_stable(model: ClauseClassifier, tmp_path: Path) -> None:
    a = model.save(tmp_path / "a.npz")
    b = ClauseClassifier.load(a).save(tmp_path / "b.npz")
    assert a.read_bytes() == b.read_bytes()
    clauses = [ClauseInput(text=t) for t, _ in CLEAR_CLAUSES]
    np.testing.assert_array_equal(
        model.predict_proba(clauses), ClauseClassifier.load(b).predict_proba(clauses)
    )


def test_load_rejects_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        ClauseClassifier.load(tmp_path / "nope.npz")


def test_shipped_model_is_small_and_its_card_names_its_sha256() -> None:
    path = default_model_path()
    assert path.stat().st_size < 5_000_000
    card = (path.parent / "MODEL_CARD.md").read_text()
    assert hashlib.sha256(path.read_bytes()).hexdigest() in card


def _train_module():
    spec = importlib.util.spec_from_file_location(
        "train_classifier", ROOT / "scripts" / "train_classifier.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_training_is_deterministic(tmp_path: Path) -> None:
    train = _train_module()
    texts = [
        "We collect your email address and name.",
        "We share data with advertising partners.",
        "You can opt out of marketing emails.",
        "We collect device identifiers and your email.",
        "Partners and advertisers may receive your data.",
        "Opt out of cookies in your browser settings.",
    ] * 2
    labels = [
        "First Party Collection/Use",
        "Third Party Sharing/Collection",
        "User Choice/Control",
    ] * 4
    gold = train.gold_matrix(labels)
    inputs = clause_inputs_from_document(texts)
    paths = [train.fit_classifier(inputs, gold).save(tmp_path / f"m{i}.npz") for i in range(2)]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    model = ClauseClassifier.load(paths[0])
    assert model.predict_proba([ClauseInput("opt out of marketing emails")]).shape == (1, 10)


# -- classify_csv -------------------------------------------------------------------------------


def _write_input(path: Path) -> None:
    pd.DataFrame(
        {
            "doc_id": ["007", "008", "009"],
            "clause": [CLEAR_CLAUSES[0][0], None, CLEAR_CLAUSES[5][0]],
            "note": ["a", "b", "c"],
        }
    ).to_csv(path, index=False)


def test_classify_csv_keeps_columns_and_writes_probabilities(
    model: ClauseClassifier, tmp_path: Path
) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_input(src)
    assert classify_csv(src, "clause", dst, model=model) == 3
    out = pd.read_csv(dst, dtype={"doc_id": str}, keep_default_na=False)
    assert list(out.columns[:3]) == ["doc_id", "clause", "note"]
    assert out["doc_id"].tolist() == ["007", "008", "009"]
    assert out["note"].tolist() == ["a", "b", "c"]
    cols = probability_columns()
    assert cols == [f"p_{category_field_name(c)}" for c in CATEGORIES]
    assert set(cols) <= set(out.columns)
    assert "User Choice/Control" in out.loc[0, "categories"].split(";")
    assert out.loc[1, "categories"] == ""  # missing text: no categories …
    assert all(out.loc[1, c] == 0.0 for c in cols)  # … but probabilities are written
    assert out.loc[2, "categories"] == "Do Not Track"
    for _, row in out.iterrows():
        expected = [c for c, col in zip(CATEGORIES, cols, strict=True) if row[col] >= 0.5]
        assert row["categories"] == ";".join(expected)


def test_classify_csv_writes_parquet(model: ClauseClassifier, tmp_path: Path) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "sub" / "out.parquet"
    _write_input(src)
    assert classify_csv(src, "clause", dst, model=model) == 3
    out = pd.read_parquet(dst)
    assert len(out) == 3
    assert str(out[probability_columns()[0]].dtype) == "float32"
    assert not math.isnan(out.loc[1, probability_columns()[0]])


def test_classify_csv_missing_column_names_it_and_the_available_ones(
    model: ClauseClassifier, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    _write_input(src)
    with pytest.raises(ValueError, match="'text'") as err:
        classify_csv(src, "text", tmp_path / "out.csv", model=model)
    assert re.search(r"available columns: 'doc_id', 'clause', 'note'", str(err.value))
    assert not (tmp_path / "out.csv").exists()


def test_classify_csv_rejects_unknown_output_format(
    model: ClauseClassifier, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    _write_input(src)
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        classify_csv(src, "clause", tmp_path / "out.xlsx", model=model)


# --- inference without scikit-learn ---------------------------------------------------------

_WORDS = st.sampled_from(
    ["we", "share", "Data", "données", "e-mail", "opt-out", "I", "a", "3rd", "co_op", "ÉTÉ", "ß"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_WORDS | st.text(max_size=6), max_size=30).map(" ".join), max_size=8))
def test_tfidf_scores_equal_scikit_learn_tfidf(texts: list[str]) -> None:
    """The model was trained on sklearn's TF-IDF; inference must compute the same features."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipelines.text.classify import tfidf_scores

    vocab_texts = ["we share data with partners", "Données e-mail opt-out été", "3rd co_op ß a"]
    fitted = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(vocab_texts)
    vocabulary = dict(fitted.vocabulary_)
    coef = np.random.default_rng(0).normal(size=(len(vocabulary), 10)).astype(np.float32)
    expected = np.asarray(fitted.transform(texts) @ coef) if texts else np.zeros((0, 10))
    got = tfidf_scores(texts, vocabulary, fitted.idf_, coef)
    assert got.shape == (len(texts), 10)
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_shipped_model_scores_real_clauses_as_scikit_learn_would(model: ClauseClassifier) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    base = model.bases["clause"]
    texts = [c for c, _ in CLEAR_CLAUSES] + ["", "Nothing in our vocabulary: zzzz qqqq"]
    vec = TfidfVectorizer(vocabulary=base.vocabulary, ngram_range=(1, 2), sublinear_tf=True)
    vec.fit(texts)
    vec.idf_ = base.idf  # the model's idf, not one fitted on these texts
    expected = 1 / (1 + np.exp(-(np.asarray(vec.transform(texts) @ base.coef) + base.intercept)))
    np.testing.assert_allclose(base.predict_proba(texts), expected, atol=1e-6)


def test_shipped_model_lexicon_counts_equal_scikit_learn_counts(model: ClauseClassifier) -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    base = model.bases["clause"]
    assert base.lexicon is not None
    texts = [c for c, _ in CLEAR_CLAUSES] + ["", "zzzz qqqq"]
    counts = CountVectorizer(vocabulary=base.vocabulary, ngram_range=(1, 2)).transform(texts)
    expected = np.log1p(np.asarray(counts @ base.lexicon))
    _, got = base.predict_proba_lexicon(texts)
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_lexicon_matrix_word_pairs_count_only_when_the_match_spans_both_words() -> None:
    from pipelines.text.classify import LEXICON_GROUPS

    train = _train_module()
    vocab = ["do not", "not track", "track", "retain", "retain your", "we retain"]
    m = train.lexicon_matrix(vocab)
    group = {g: i for i, g in enumerate(LEXICON_GROUPS)}
    assert m[:, group["do_not_track"]].tolist() == [0, 1, 0, 0, 0, 0]
    # "retain your" and "we retain" hold the unigram match in one word: not counted twice
    assert m[:, group["retention"]].tolist() == [0, 0, 0, 1, 0, 0]
    assert m[:, group["length"]].tolist() == [0, 0, 1, 1, 0, 0]


def test_classifier_import_does_not_pull_in_scikit_learn() -> None:
    """Workers load the classifier; scikit-learn and scipy would cost ~130 MB each."""
    import subprocess

    code = (
        "import sys, pipelines.text.classify as c; c.ClauseClassifier.load()"
        ".predict_proba([c.ClauseInput('We share your email with advertisers.')]);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


_CLAUSE_WORDS = st.sampled_from(
    ["We", "share", "data.", "Données", "e-mail;", "opt-out!", "İ", "ΣΑΣ", "3rd", "co_op", "\n\n"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_CLAUSE_WORDS | st.text(max_size=5), max_size=25).map(" ".join), max_size=6)
)
def test_one_pass_counts_equal_counting_clauses_and_sentences_apart(texts: list[str]) -> None:
    """The classifier tokenises each clause once for both base models: the counts must be
    those of counting the clauses and each of their sentences separately."""
    from pipelines.text.classify import (
        _shared_vocabulary,
        clause_and_sentence_terms,
        split_sentences,
        term_matrix,
    )

    words = ["we", "share", "data", "données", "mail", "opt", "out", "3rd", "co_op", "σας"]
    clause_vocab = {t: i for i, t in enumerate([*words, "we share", "share data", "opt out"])}
    sentence_vocab = {t: i for i, t in enumerate(["data", "we", "données mail", "out", "zz"])}
    counted = clause_and_sentence_terms(texts, _shared_vocabulary(clause_vocab, sentence_vocab))
    sentences = [t[a:b] for t in texts for a, b in split_sentences(t)]
    owners = [i for i, t in enumerate(texts) for _ in split_sentences(t)]
    assert counted is not None  # sentence breaks are whitespace: tokens never disagree
    got_clauses, got_sentences, got_owners = counted
    for got, expected in (
        (got_clauses, term_matrix(texts, clause_vocab)),
        (got_sentences, term_matrix(sentences, sentence_vocab)),
    ):
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_array_equal(g, e)  # same terms in the same order
    assert got_owners.tolist() == owners


def test_one_pass_and_fallback_give_the_same_base_outputs(
    model: ClauseClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback (each base model counting its own texts) is the reference."""
    import pipelines.text.classify as classify

    texts = [c for c, _ in CLEAR_CLAUSES] + ["", "  ", "İstanbul office. We share data.\n\nΣΑΣ."]
    one_pass = model.base_outputs(texts)
    monkeypatch.setattr(classify, "clause_and_sentence_terms", lambda texts, shared: None)
    fallback = model.base_outputs(texts)
    for a, b in zip(one_pass, fallback, strict=True):
        assert a is not None and b is not None
        np.testing.assert_array_equal(a, b)
