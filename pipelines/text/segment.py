"""Split a policy's markdown (trafilatura output) into clauses under their headings.

Blocks are read line by line:

* a line that starts with ``#`` .. ``######`` and a space is a heading (kind ``heading``);
* a line that starts with a list marker (``*``, ``+``, ``-``, ``1.``/``1)`` with at most three
  digits, then a space) opens a list item (kind ``list_item``); the non-blank lines after it that
  open nothing else are its continuation;
* consecutive lines that start with ``|`` form a table (kind ``table``);
* other consecutive non-blank lines form a paragraph (kind ``paragraph``).

Blocks longer than ``max_chars`` are cut at sentence boundaries into groups of sentences no
longer than ``max_chars`` (kind ``sentences``; tables are cut between rows and stay ``table``).
A sentence longer than ``max_chars`` is cut at the last space before the limit.

Text rule. Clause text keeps inline markdown (links, ``**bold**``, table pipes) but not the
structural markers that only say what kind of block a line is: every leading run of heading
and list markers (``#``, ``*``, ``+``, ``-``, ``1.``) is removed from the line that opens a
block, so a heading clause reads "Cookies" and a list item reads "We use cookies".
Paragraph and list-item lines are joined with one space (a soft line break in markdown);
table rows keep their newlines.

Invariant. :func:`normalize_for_compare` removes the same leading markers from every line
of the document and then every whitespace character, so
``normalize_clauses(clauses) == normalize_for_compare(markdown)`` (the clause texts, whitespace
removed, concatenated) holds exactly: any lost, duplicated or reordered non-space
character (a word, a digit, a link target) breaks it. It cannot see where whitespace was
(two words glued together).
This holds because no line inside a clause's text starts with a marker (such a line would
have opened its own block), and a clause never starts with one either.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

# One or more leading structural markers: "## ", "  * ", "- ", "1. ", "2) ", "* - ".
# A marker must be followed by whitespace or the end of the line ("#hashtag", "**bold**",
# "-5 %" and "2010. was" are text, not markers).
_MARKERS = re.compile(r"^(?:[ \t]*(?:#{1,6}|[*+\-]|\d{1,3}[.)])(?=\s|$))+[ \t]*")
_HEADING = re.compile(r"^[ \t]*(#{1,6})(?=\s|$)")
_WS = re.compile(r"\s+")
_CLOSING_HASHES = re.compile(r"\s+#+\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")

# Sentence boundary candidates: end punctuation, optional closing quotes/brackets, whitespace,
# then something that can start a sentence. Dots inside URLs, emails and decimals have no
# whitespace after them, so they are never candidates.
_BOUNDARY = re.compile(
    r"[.!?][\"'\u201d\u2019)\]*]*\s+(?=[\"'\u201c\u2018(\[*]*[A-Z0-9\u00c0-\u024f])"
)
# Words that end in a dot without ending the sentence (compared lowercased, without the dot).
_ABBREVIATIONS = frozenset(
    {
        "e.g",
        "i.e",
        "etc",
        "vs",
        "cf",
        "al",
        "inc",
        "ltd",
        "llc",
        "plc",
        "corp",
        "co",
        "no",
        "nos",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "jr",
        "sr",
        "u.s",
        "u.s.a",
        "u.k",
        "e.u",
        "p.o",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "dept",
        "est",
        "fig",
        "sec",
        "art",
        "para",
        "pp",
        "ph.d",
        "m.d",
        "b.v",
        "n.v",
        "s.a",
        "s.l",
        "gmbh",
        "pty",
        "ave",
        "blvd",
        "rd",
        "tel",
        "ext",
    }
)


@dataclass
class Clause:
    position: int  # 0-based order in the document
    heading_path: list[str] = field(default_factory=list)  # outermost heading first
    kind: str = "paragraph"  # "heading" | "paragraph" | "list_item" | "table" | "sentences"
    text: str = ""


def normalize_for_compare(s: str) -> str:
    """``s`` without leading structural markers on any line and without any whitespace."""
    return "".join(_WS.sub("", _MARKERS.sub("", line, count=1)) for line in s.splitlines())


def normalize_clauses(clauses: Iterable[Clause]) -> str:
    """The clauses' texts without whitespace, concatenated: the left side of the invariant.

    Clause texts already lack structural markers, so they are not stripped again (a sentence
    piece like "-" or "1." is text, not a marker).
    """
    return "".join(_WS.sub("", c.text) for c in clauses)


def strip_markers(line: str) -> str:
    """The line without its leading heading or list markers."""
    return _MARKERS.sub("", line, count=1)


def plain_heading(text: str) -> str:
    """Heading text for ``heading_path``: no closing ``#``, no link targets, no emphasis."""
    text = _CLOSING_HASHES.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    return _WS.sub(" ", text).strip()


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at ``dot`` ends an abbreviation or an initial, not a sentence."""
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "([\"'":
        start -= 1
    word = text[start:dot].lower()
    if not word:
        return False
    if word in _ABBREVIATIONS:
        return True
    # a single letter ("J. Smith") or dotted initials ("U.S", "a.m")
    return len(word) == 1 and word.isalpha() or ("." in word and len(word) <= 6)


def split_sentences(text: str) -> list[str]:
    """Cut ``text`` into sentences; the pieces concatenate back to ``text`` exactly."""
    pieces: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if text[m.start()] == "." and _is_abbreviation(text, m.start()):
            continue
        pieces.append(text[start : m.end()])
        start = m.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _hard_split(piece: str, max_chars: int) -> list[str]:
    """Cut an over-long sentence at spaces so each part has at most ``max_chars``."""
    out: list[str] = []
    while len(piece) > max_chars:
        cut = piece.rfind(" ", 1, max_chars + 1)
        if cut <= 0:
            cut = max_chars
        out.append(piece[:cut])
        piece = piece[cut:]
    out.append(piece)
    return out


def _group(pieces: list[str], max_chars: int) -> list[str]:
    """Greedily pack consecutive pieces into groups of at most ``max_chars`` characters."""
    groups: list[str] = []
    current = ""
    for piece in pieces:
        for part in _hard_split(piece, max_chars) if len(piece) > max_chars else [piece]:
            if current and len(current) + len(part) > max_chars:
                groups.append(current)
                current = ""
            current += part
    if current:
        groups.append(current)
    return groups


class _Builder:
    """Collects clauses with running positions and the current heading stack."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.clauses: list[Clause] = []
        self.headings: list[tuple[int, str]] = []

    def _add(self, kind: str, text: str) -> None:
        text = text.strip()
        if text:
            path = [h for _, h in self.headings]
            self.clauses.append(Clause(len(self.clauses), path, kind, text))

    def heading(self, level: int, line: str) -> None:
        text = strip_markers(line).strip()
        if not text:
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self._add("heading", text)
        title = plain_heading(text)
        if title:
            self.headings.append((level, title))

    def block(self, kind: str, lines: list[str]) -> None:
        if kind == "table":
            rows = [ln.strip() + "\n" for ln in lines]
            if sum(map(len, rows)) <= self.max_chars:
                self._add(kind, "".join(rows))
            else:
                for group in _group(rows, self.max_chars):
                    self._add(kind, group)
            return
        first = strip_markers(lines[0]).strip()
        text = " ".join([first, *(ln.strip() for ln in lines[1:])]).strip()
        if len(text) <= self.max_chars:
            self._add(kind, text)
            return
        for group in _group(split_sentences(text), self.max_chars):
            self._add("sentences", group)


def segment_markdown(markdown: str, *, max_chars: int = 1200) -> list[Clause]:
    """Clauses of ``markdown`` in document order, each with its heading path."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    builder = _Builder(max_chars)
    kind = ""
    lines: list[str] = []

    def flush() -> None:
        nonlocal kind, lines
        if lines:
            builder.block(kind, lines)
        kind, lines = "", []

    for line in markdown.splitlines():
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            builder.heading(len(heading.group(1)), line)
        elif _MARKERS.match(line):
            flush()
            kind, lines = "list_item", [line]
        elif stripped.startswith("|"):
            if kind != "table":
                flush()
                kind = "table"
            lines.append(line)
        else:
            if kind == "table":
                flush()
            if not kind:
                kind = "paragraph"
            lines.append(line)
    flush()
    return builder.clauses
