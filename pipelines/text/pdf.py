"""PDF bytes -> policy text in markdown, with title and declared language (pypdf).

pypdf (BSD-3, pure Python, maintained) reads the text layer; PyMuPDF is AGPL and pdfminer.six
slower on the same files, so pypdf it is. Headings come from what the PDF has:

* its outline (bookmarks): a line whose text is a bookmark title is a heading at that depth;
* font sizes: a short line set clearly larger than the body text is a heading, the largest
  size ``#``, the next ``##`` and so on.

Lines are joined into paragraphs where the vertical gap is larger than the usual line
spacing (or a heading or list item starts), and words hyphenated across lines are rejoined,
so the segmenter sees the same paragraphs a reader does.

Bounded like HTML: at most ``MAX_BYTES`` of PDF, ``MAX_PAGES`` pages and ``MAX_CHARS``
characters are read, pages stop after ``MAX_SECONDS``, a stream that inflates past pypdf's
own limit (75 MB: a "zip bomb") loses its page, and the whole call runs inside the worker's
per-document time limit. A PDF that cannot become
a document raises :class:`PdfError` with a reason slug (``pdf_encrypted``, ``pdf_broken``,
``pdf_no_text``, ``pdf_too_large``) for the ``fetches`` row.
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pipelines.text.language import normalise_declared

logger = logging.getLogger(__name__)

MAX_BYTES = 16 * 1024 * 1024  # as DOWNLOAD_MAXSIZE: an archive replay is not capped by it
MAX_PAGES = 150  # a policy is rarely past 40 pages; a 500-page file is cut here
MAX_CHARS = 1_000_000  # text kept, in characters (a long HTML policy is ~100 k)
MAX_SECONDS = 30.0  # pages after this are skipped (the worker's own limit is the backstop)
MIN_WORDS = 10  # fewer words in the whole text layer: a scan, or nothing to read
HEADING_RATIO = 1.15  # a line this much larger than the body size may be a heading
HEADING_MAX_WORDS = 16
PARAGRAPH_GAP = 1.4  # a vertical gap this many times the usual line spacing ends a paragraph

_PDF_MAGIC = b"%PDF-"
# bullets as PDFs set them, Symbol/Wingdings private-use glyphs included
_BULLET_GLYPH = "•▪◦‣●○■□➢➤✓\uf0b7\uf0a7\uf0d8\uf076\uf0fc"
_BULLET = re.compile(rf"^\s*(?:[{_BULLET_GLYPH}]\s*|[-–*·]\s+|\(?\d{{1,2}}[.)]\s+|\(?[a-z][.)]\s+)")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*|[A-Z]|[IVX]{1,4})[.)]\s")
# running page furniture: a bare page number, "Page 3 of 12", "- 3 -"
_PAGE_NUMBER = re.compile(
    r"^\s*(?:(?:page|seite|pagina|page)\s*)?[-–]?\s*\d{1,4}\s*[-–]?"
    r"(?:\s*(?:of|/|von|sur|de|di)\s*\d{1,4})?\s*$",
    re.IGNORECASE,
)
_BULLET_START = re.compile(rf"^\s*[{_BULLET_GLYPH}·]\s*")
_WS = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")


class PdfError(Exception):
    """The PDF cannot become a document; ``reason`` is a slug for stats and ``fetches``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class PdfText:
    text: str  # markdown
    title: str | None
    language: str | None  # the document's /Lang, ISO 639-1, if declared
    pages: int  # pages read
    page_count: int  # pages in the file
    truncated: bool = False  # stopped at MAX_PAGES, MAX_CHARS or MAX_SECONDS


def is_pdf(body: bytes, content_type: str | None = None) -> bool:
    """True for PDF bytes (the magic may follow some junk, within the first KiB, as readers
    allow), whatever the server said: archives label PDFs as octet-stream or text/html."""
    pos = body[:1024].find(_PDF_MAGIC)
    if pos < 0:
        return False
    # junk before the magic is fine; markup is a page that mentions PDFs
    return b"<" not in body[:pos] or (content_type or "").lower().startswith("application/pdf")


@dataclass
class _Line:
    text: str
    size: float  # largest font size on the line, in points after the text matrices
    y: float | None  # baseline of the line's first chunk, page space (None when unknown)
    page: int
    chunks: list[str] = field(default_factory=list)
    bold: bool = True  # every chunk with letters is set in a bold face


def _collect_lines(page: Any, page_no: int) -> list[_Line]:
    """The page's text as lines, each with its font size and vertical position."""
    lines: list[_Line] = []
    current: list[_Line] = [_Line("", 0.0, None, page_no)]

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        # effective size: the font size scaled by the text and current matrices (y scale)
        scale = abs(tm[3] or tm[0] or 1.0) * abs(cm[3] or cm[0] or 1.0)
        eff = float(size or 0.0) * scale
        y = tm[5] * cm[3] + cm[5]
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append(current[0])
                current[0] = _Line("", 0.0, None, page_no)
            if part.strip() or (part and current[0].chunks):
                line = current[0]
                if line.y is None:
                    line.y = y
                line.chunks.append(part)
                line.size = max(line.size, eff)
                if any(c.isalpha() for c in part):
                    base = str(font.get("/BaseFont", "")) if font else ""
                    line.bold = line.bold and "bold" in base.lower()

    page.extract_text(visitor_text=visit)
    lines.append(current[0])
    out = []
    for line in lines:
        line.text = _WS.sub(" ", "".join(line.chunks)).strip()
        if line.text and not _PAGE_NUMBER.match(line.text):
            out.append(line)
    return out


def _outline_titles(reader: Any) -> dict[str, int]:
    """Folded bookmark title -> heading level (1 = top)."""
    titles: dict[str, int] = {}

    def walk(items: Any, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            title = getattr(item, "title", None)
            if title:
                titles.setdefault(_fold(str(title)), min(depth, 4))

    try:
        walk(reader.outline, 1)
    except Exception:  # a broken outline is no reason to lose the text
        logger.debug("unreadable PDF outline", exc_info=True)
    return titles


def _fold(text: str) -> str:
    return _WS.sub(" ", text).strip().casefold()


def _heading_levels(lines: list[_Line], body_size: float) -> dict[float, int]:
    """Font size -> heading level for sizes clearly above the body size (largest = 1)."""
    sizes = sorted(
        {
            round(ln.size, 1)
            for ln in lines
            if ln.size >= body_size * HEADING_RATIO and len(ln.text.split()) <= HEADING_MAX_WORDS
        },
        reverse=True,
    )
    return {s: min(i + 1, 4) for i, s in enumerate(sizes)}


def _body_size(lines: list[_Line]) -> float:
    weighted = [ln.size for ln in lines for _ in range(max(1, len(ln.text) // 20)) if ln.size]
    return statistics.median(weighted) if weighted else 0.0


def _is_heading_text(text: str) -> bool:
    words = len(text.split())
    return (
        0 < words <= HEADING_MAX_WORDS
        and not text.rstrip().endswith((".", ",", ";"))
        and any(c.isalpha() for c in text)
    )


def _continues_heading(first: str, second: str) -> bool:
    """Is ``second`` the rest of a heading set on two lines (not the next heading)?"""
    return (
        not _NUMBERED.match(second)
        and first.isupper() == second.isupper()
        and len(first.split()) + len(second.split()) <= HEADING_MAX_WORDS
    )


def to_markdown(lines: list[_Line], outline: dict[str, int]) -> str:
    """Lines -> markdown: headings marked, lines joined into paragraphs."""
    body = _body_size(lines)
    levels = _heading_levels(lines, body) if body else {}
    gaps = [
        a.y - b.y
        for a, b in zip(lines, lines[1:], strict=False)
        if a.page == b.page and a.y is not None and b.y is not None and 0 < a.y - b.y < 200
    ]
    spacing = statistics.median(gaps) if gaps else 0.0
    blocks: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(" ".join(para))
            para.clear()

    # bold lines are headings only where the body text is not bold itself
    body_bold = sum(len(ln.text) for ln in lines if ln.bold) > 0.5 * sum(
        len(ln.text) for ln in lines
    )
    bold_level = min(len(levels) + 1, 4)
    prev: _Line | None = None
    prev_heading: tuple[_Line, int] | None = None
    for k, ln in enumerate(lines):
        level = None
        if _is_heading_text(ln.text):
            level = levels.get(round(ln.size, 1)) if body else None
            if level is None and _fold(ln.text) in outline:
                level = outline[_fold(ln.text)]
            if level is None and ln.bold and not body_bold and body:
                nxt = lines[k + 1] if k + 1 < len(lines) else None
                # a bold first line of a bold paragraph is no heading
                if nxt is None or not nxt.bold or _is_heading_text(nxt.text):
                    level = bold_level
        if level is not None:
            flush()
            last = prev_heading
            if (
                last is not None
                and last[0] is prev
                and last[1] == level
                and _continues_heading(last[0].text, ln.text)
            ):
                blocks[-1] += " " + ln.text  # a heading set on two lines
            else:
                blocks.append("#" * level + " " + ln.text)
            prev = ln
            prev_heading = (ln, level)
            continue
        text = _BULLET_START.sub("- ", ln.text)
        # a page break alone does not end a paragraph: text runs on across pages
        new_para = prev is None or _BULLET.match(ln.text) is not None
        if (
            prev is not None
            and spacing
            and prev.page == ln.page
            and prev.y is not None
            and ln.y is not None
            and (prev.y - ln.y) > spacing * PARAGRAPH_GAP
        ):
            new_para = True
        if new_para:
            flush()
        if para and para[-1].endswith("-") and text[:1].islower():
            para[-1] = para[-1][:-1] + text  # a word hyphenated across lines
        else:
            para.append(text)
        prev = ln
    flush()
    return "\n\n".join(blocks)


def _declared_language(reader: Any) -> str | None:
    try:
        lang = reader.trailer["/Root"].get("/Lang")
    except Exception:
        return None
    return normalise_declared(str(lang)) if lang else None


def _title(reader: Any) -> str | None:
    try:
        meta = reader.metadata
        title = meta.title if meta is not None else None
    except Exception:
        return None
    title = _WS.sub(" ", str(title)).strip() if title else ""
    return title or None


def _open(body: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(BytesIO(body), strict=False)
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise PdfError("pdf_broken", f"{type(exc).__name__}: {exc}"[:300]) from exc
    except Exception as exc:  # pypdf raises many kinds on malformed files
        raise PdfError("pdf_broken", f"{type(exc).__name__}: {exc}"[:300]) from exc
    if reader.is_encrypted:
        # many PDFs are "encrypted" with an empty user password (owner restrictions only):
        # any reader opens them, and so do we
        try:
            ok = reader.decrypt("")
        except (DependencyError, FileNotDecryptedError, NotImplementedError) as exc:
            raise PdfError("pdf_encrypted", str(exc)[:300]) from exc
        except Exception as exc:
            raise PdfError("pdf_encrypted", f"{type(exc).__name__}: {exc}"[:300]) from exc
        if not ok:
            raise PdfError("pdf_encrypted", "a password is needed to open it")
    return reader


def extract_pdf(
    body: bytes,
    *,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
    max_seconds: float = MAX_SECONDS,
) -> PdfText:
    """Text of a PDF as markdown; PdfError when it has none we can read."""
    from pypdf.errors import LimitReachedError

    if len(body) > MAX_BYTES:
        raise PdfError("pdf_too_large", f"{len(body)} bytes")
    reader = _open(body)
    try:
        page_count = len(reader.pages)
    except Exception as exc:
        raise PdfError("pdf_broken", f"page tree unreadable: {type(exc).__name__}") from exc
    if page_count == 0:
        raise PdfError("pdf_broken", "no pages")
    start = time.monotonic()
    lines: list[_Line] = []
    chars = 0
    read = 0
    truncated = page_count > max_pages
    failed = bombs = 0
    for i in range(min(page_count, max_pages)):
        if read and (time.monotonic() - start > max_seconds or chars > max_chars):
            truncated = True
            break
        try:
            page_lines = _collect_lines(reader.pages[i], i)
        except LimitReachedError as exc:  # a stream inflating past pypdf's limit: a bomb
            bombs += 1
            logger.debug("PDF page %d too large: %s", i, exc)
            continue
        except Exception as exc:  # one bad page (a broken stream) does not lose the others
            failed += 1
            logger.debug("PDF page %d unreadable: %s", i, exc)
            continue
        read += 1
        lines.extend(page_lines)
        chars += sum(len(ln.text) for ln in page_lines)
    if bombs and not lines:
        raise PdfError("pdf_too_large", f"{bombs} of {page_count} pages inflate past the limit")
    if failed and not lines:
        raise PdfError("pdf_broken", f"{failed} of {page_count} pages unreadable")
    text = to_markdown(lines, _outline_titles(reader))
    if len(text) > max_chars:
        text, truncated = text[:max_chars], True
    words = len(_WORD.findall(text))
    if words < MIN_WORDS:
        raise PdfError(
            "pdf_no_text", f"{words} words of text in {page_count} pages (a scan or images only)"
        )
    if truncated:
        logger.info("PDF cut at %d of %d pages", read, page_count)
    return PdfText(
        text=text.strip() + "\n",
        title=_title(reader),
        language=_declared_language(reader),
        pages=read,
        page_count=page_count,
        truncated=truncated,
    )
