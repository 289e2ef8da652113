"""Which language a document is written in, from its text (py3langid), as ISO 639-1.

The page's own declaration (``<html lang>``, a PDF's ``/Lang``) is often missing or wrong
(templates say ``en`` on translated pages), so the text decides. Only a bounded sample is
read: three windows spread over the text, with link targets, URLs and markdown syntax
removed, so a 200-page document costs what a short one does (docs/languages.md has the
accuracy and timings that chose py3langid and the sample size).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

logger = logging.getLogger(__name__)

SAMPLE_CHARS = 600  # characters identified, across the windows (measured: as exact as 1200)
WINDOWS = 3  # start, middle, end: a bilingual header or footer cannot decide alone
MIN_LETTERS = 40  # fewer letters than this: no guess
MIN_CONFIDENCE = 0.5  # normalised probability below which the text has no clear language

_MD_LINK = re.compile(r"\]\([^)]*\)")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+")
_MD_SYNTAX = re.compile(r"[#*_`>|\[\]]+")
_LETTER = re.compile(r"[^\W\d_]")


@functools.cache
def load_identifier() -> Any:
    """py3langid's model, loaded once per process (about 2 s: an xz-compressed 4.5 MB file);
    worker processes load it before their first page (``pipelines.process.warm_up``)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _clean(text: str) -> str:
    return _MD_SYNTAX.sub(" ", _URL.sub(" ", _MD_LINK.sub("]", text)))


def language_sample(text: str, size: int = SAMPLE_CHARS, windows: int = WINDOWS) -> str:
    """About ``size`` characters of prose from ``windows`` places spread over ``text``.

    Windows are cut from the raw text first (with room for what cleaning removes), so the
    cost does not grow with the document.
    """
    width = size // windows
    raw = 2 * width
    if len(text) <= windows * raw:
        return _clean(text)[: size + width]
    step = (len(text) - raw) / (windows - 1) if windows > 1 else 0
    parts = (_clean(text[int(i * step) : int(i * step) + raw]) for i in range(windows))
    return " ".join(" ".join(p.split())[:width] for p in parts)


def detect_language(text: str, sample_chars: int = SAMPLE_CHARS) -> str | None:
    """ISO 639-1 code of the language ``text`` is written in, or None when it cannot tell."""
    sample = language_sample(text, size=sample_chars)
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return None
    code, prob = load_identifier().classify(sample)
    if prob < MIN_CONFIDENCE:
        logger.debug("no clear language (%s at %.2f)", code, prob)
        return None
    return str(code)


def normalise_declared(value: str | None) -> str | None:
    """``en-US``, ``EN_gb``, ``de`` -> the ISO 639-1 part, lower-case; None otherwise."""
    if value and (m := re.match(r"\s*([A-Za-z]{2})(?:[-_,\s]|$)", value)):
        return m.group(1).lower()
    return None
