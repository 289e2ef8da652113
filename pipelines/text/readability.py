"""Readability of a policy's prose: Flesch-Kincaid grade, Flesch reading ease, SMOG.

Only prose counts: paragraphs (and long paragraphs cut into sentence groups) as
:func:`pipelines.text.segment.segment_markdown` labels them. Headings, list items and
tables are left out: the formulas count words per sentence, and a list of fragments
without full stops reads as one endless sentence (or, one line each, as many tiny ones).
Under :data:`MIN_PROSE_WORDS` words of prose the scores are ``None``: too little text for
the formulas to mean anything.

The formulas are textstat's (https://github.com/textstat/textstat), pinned in
pyproject.toml. textstat counts English syllables with the CMU dictionary, which it
downloads through NLTK on first use; a crawl worker must never reach the network, so
English text is passed as ``en-US``: textstat keeps its English constants for it and
counts syllables with its bundled Pyphen hyphenation dictionary instead. German, Spanish,
French, Italian, Dutch (and the other languages textstat has constants for) use textstat's
own per-language constants and Pyphen dictionaries.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.text.segment import Clause
from pipelines.text.textmetrics import strip_markdown

logger = logging.getLogger(__name__)

MIN_PROSE_WORDS = 100
WORDS_PER_MINUTE = 250
PROSE_KINDS = frozenset({"paragraph", "sentences"})
# languages textstat has its own constants and a Pyphen dictionary for; others read as English
_TEXTSTAT_LANGS = frozenset({"de", "es", "fr", "it", "nl", "pl", "ru", "hu", "cs"})
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]{0,40}>")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")  # textstat's count_sentences pattern


@dataclass(frozen=True)
class Readability:
    flesch_kincaid_grade: float | None
    flesch_reading_ease: float | None
    smog: float | None
    prose_words: int


def warm_up() -> None:
    """Import textstat now (it imports NLTK: seconds), not inside the first page's time limit."""
    import textstat.backend.counts  # noqa: F401


def library_version() -> str:
    """The readability library and its version, as the dataset card names it."""
    return f"textstat {importlib.metadata.version('textstat')}"


def prose_text(clauses: Iterable[Clause]) -> str:
    """The prose clauses' text without markdown link targets, emphasis or inline tags."""
    parts = [c.text for c in clauses if c.kind in PROSE_KINDS]
    text = strip_markdown("\n\n".join(parts))
    if "<" in text:
        text = _HTML_TAG.sub("", text)
    # "*" and "`" are punctuation to textstat; "_" is a word character, so "__bold__" goes
    return text.replace("__", "")


def textstat_lang(language: str | None) -> str:
    """The language code given to textstat: see the module docstring for ``en-US``."""
    code = (language or "").lower()[:2]
    return code if code in _TEXTSTAT_LANGS else "en-US"


# per language: word -> syllables, and the words of three syllables or more. textstat caches
# a whole text's count, not a word's: per word, a worker's vocabulary is hyphenated once
# instead of every document again (hyphenation is what this module costs)
_SYLLABLES: dict[str, dict[str, int]] = {}
_POLYSYLLABIC: dict[str, set[str]] = {}
_MAX_CACHED_WORDS = 200_000


def _syllable_table(words: list[str], lang: str) -> tuple[dict[str, int], set[str]]:
    """The memo for ``lang``, holding every word of ``words``."""
    from textstat.backend.counts import count_syllables

    table = _SYLLABLES.setdefault(lang, {})
    poly = _POLYSYLLABIC.setdefault(lang, set())
    missing = set(words).difference(table)
    if len(table) + len(missing) > _MAX_CACHED_WORDS:  # bounded: a worker lives long
        table.clear()
        poly.clear()
        missing = set(words)
    for w in missing:
        n = int(count_syllables(w, lang))
        table[w] = n
        if n >= 3:
            poly.add(w)
    return table, poly


@dataclass(frozen=True)
class Counts:
    words: int
    sentences: int
    syllables: int
    polysyllables: int  # words of three syllables or more


def counts(text: str, lang: str) -> Counts:
    """textstat's counts of ``text`` (its word, sentence and syllable rules), fast.

    Same results as textstat's ``count_words``, ``count_sentences``, ``count_syllables`` and
    ``count_polysyllable_words`` (tests/test_readability.py compares them), computed with one
    punctuation pass over the text and syllables memoised per word.
    """
    from textstat.backend.counts import count_words
    from textstat.backend.transformations import remove_punctuation

    bare = remove_punctuation(text, rm_apostrophe=False)
    words = bare.split()
    n_sentences = 0
    ignored = 0
    if text:
        for sentence in _SENTENCE.findall(text):
            n_sentences += 1
            # a sentence of two words or fewer is not counted. Removing punctuation never
            # adds a word, so two tokens or fewer settle it; beyond five tokens it would take
            # four punctuation-only ones ("- - - -") to get there: only 3-5 tokens pay for
            # textstat's exact count
            n_tokens = len(sentence.split())
            if n_tokens <= 2 or (n_tokens <= 5 and count_words(sentence) <= 2):
                ignored += 1
        n_sentences = max(1, n_sentences - ignored)
    lowered = bare.lower().split()
    table, polysyllabic = _syllable_table(lowered, lang)
    syllables = sum(map(table.__getitem__, lowered))  # C-level loops: ~3x faster than Python
    poly = sum(map(polysyllabic.__contains__, lowered))
    return Counts(len(words), n_sentences, syllables, poly)


def readability(clauses: Iterable[Clause], language: str | None = None) -> Readability:
    """Scores over the prose clauses; ``None`` scores under ``MIN_PROSE_WORDS`` prose words."""
    text = prose_text(clauses)
    try:
        return scores(text, textstat_lang(language))
    except Exception:  # a library bug on odd text must not cost the document
        logger.warning("readability failed on %d characters of prose", len(text), exc_info=True)
        return Readability(None, None, None, 0)


def scores(text: str, lang: str) -> Readability:
    """textstat's Flesch-Kincaid grade, Flesch reading ease and SMOG formulas over ``counts``;
    ``None`` scores under ``MIN_PROSE_WORDS`` words."""
    from textstat.backend.utils import get_lang_cfg, get_lang_root

    c = counts(text, lang)
    prose_words = c.words  # textstat's words: punctuation-only tokens are none
    if prose_words < MIN_PROSE_WORDS or not c.sentences:
        return Readability(None, None, None, prose_words)
    wps = c.words / c.sentences
    spw = c.syllables / c.words
    root = get_lang_root(lang)
    fk = 0.39 * wps + 11.8 * spw - 15.59 if spw else 0.0
    fre = (
        get_lang_cfg(root, "fre_base")
        - get_lang_cfg(root, "fre_sentence_length") * wps
        - get_lang_cfg(root, "fre_syll_per_word") * spw
        if spw
        else 0.0
    )
    smog = 1.043 * (30 * (c.polysyllables / c.sentences)) ** 0.5 + 3.1291
    return Readability(fk, fre, smog, prose_words)


def reading_minutes(word_count: int) -> float:
    """Minutes to read ``word_count`` words at 250 words a minute."""
    return word_count / WORDS_PER_MINUTE
