"""A 64-bit simhash of a policy's text that date-only edits do not move.

Recipe (the ``simhash`` column of ``policies``):

1. Lowercase the text. Replace every URL (``http://…``, ``https://…``, ``www.…``) with the
   token ``<url>`` and every e-mail address with ``<email>``.
2. Split into words (``\\w+`` runs, Unicode-aware). Every word holding a digit becomes
   ``<num>``; every month name (full or three-letter, English, German, French, Spanish,
   Italian, Dutch, Portuguese) becomes ``<month>``. So "Last updated: March 3, 2018" and
   "Last updated: June 1, 2020" give the same words.
3. Hash each distinct word to 64 bits (the first 8 bytes of BLAKE2b, little-endian).
4. Shingles are the runs of 4 consecutive words (a text under 4 words is one shingle). A
   shingle's hash mixes its 4 word hashes (multiply-add with odd constants, then the
   splitmix64 finaliser), vectorised with numpy.
5. Bit ``i`` of the simhash is 1 when more than half the shingles have bit ``i`` set (every
   shingle weighs 1). The 64 bits are returned as a signed int64 (Parquet has no uint64
   that pandas reads without surprises); compare two with :func:`distance` (Hamming).

Two texts whose masked word sequences are equal have equal simhashes; a distance of 3 or
less out of 64 means near-duplicate text (the threshold the ``changes`` dataset uses).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

SHINGLE = 4

_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WORD_RE = re.compile(r"<url>|<email>|\w+")
_DIGIT_RE = re.compile(r"\d")

_MONTH_NAMES = """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    januar februar märz maerz juni juli oktober dezember mai
    janvier février fevrier mars avril juin juillet août aout septembre octobre novembre
    décembre decembre
    enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre
    noviembre diciembre
    gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre
    januari februari maart augustus
    janeiro fevereiro março marco maio junho julho setembro outubro novembro dezembro
"""
MONTHS = frozenset(_MONTH_NAMES.split())

_M1, _M2, _M3, _M4 = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
    np.uint64(0xD6E8FEB86659FD93),
)
_BITS = np.arange(64, dtype=np.uint64)


def masked_words(text: str) -> list[str]:
    """Steps 1–2 of the recipe: the lowercased words with URLs, e-mails, numbers and months
    masked. Also the word sequence ``changes`` compares for ``date_only``."""
    text = text.lower()
    # the substitutions only where they can match: each costs a pass over the text
    if "http" in text or "www." in text:
        text = _URL_RE.sub(" <url> ", text)
    if "@" in text:
        text = _EMAIL_RE.sub(" <email> ", text)
    return [_mask(w) if w in MONTHS or not w.isalpha() else w for w in WORD_RE.findall(text)]


def _mask(word: str) -> str:
    if word in MONTHS:
        return "<month>"
    return "<num>" if _DIGIT_RE.search(word) else word


@lru_cache(maxsize=200_000)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def _mix(h: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser: every input bit reaches every output bit
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def simhash_words(words: list[str]) -> int:
    """The simhash (signed int64) of an already masked word sequence."""
    if not words:
        return 0
    w = np.fromiter((_word_hash(x) for x in words), dtype=np.uint64, count=len(words))
    if len(w) < SHINGLE:
        w = np.concatenate([w, np.zeros(SHINGLE - len(w), dtype=np.uint64)])
    n = len(w) - SHINGLE + 1
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps on purpose
        h = w[:n] * _M1 + w[1 : n + 1] * _M2 + w[2 : n + 2] * _M3 + w[3 : n + 3] * _M4
        h = _mix(h)
    counts = ((h[:, None] >> _BITS) & np.uint64(1)).sum(axis=0)
    bits = counts * 2 > n
    value = int((bits.astype(np.uint64) << _BITS).sum())
    return value - (1 << 64) if value >= 1 << 63 else value


def simhash(text: str) -> int:
    """The ``simhash`` column: see the module docstring for the recipe."""
    return simhash_words(masked_words(text))


def distance(a: int, b: int) -> int:
    """Hamming distance between two simhashes (0–64)."""
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()
