"""A tiny PDF writer for tests: text pages with font sizes, bookmarks, title and /Lang.

Enough of PDF 1.4 to make the files a policy PDF is (Helvetica text set line by line, an
outline, document info), written here so the tests carry no binary files from elsewhere.
Text is WinAnsi (cp1252), so accented Latin letters of the tested languages work.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

PAGE_W, PAGE_H = 612, 792
MARGIN = 72


@dataclass
class Block:
    text: str
    size: float = 11.0
    bookmark: int = 0  # > 0: an outline entry at this depth points here


@dataclass
class Page:
    blocks: list[Block] = field(default_factory=list)
    image_only: bool = False  # a "scan": filled rectangles, no text operators
    inflate_to: int = 0  # > 0: a "zip bomb", a content stream inflating to this many bytes


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(text: str, size: float) -> list[str]:
    width = int((PAGE_W - 2 * MARGIN) / (size * 0.5))  # Helvetica is ~0.5 em per char
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def _content(page: Page) -> tuple[bytes, list[tuple[int, str, float]]]:
    """(content stream, [(depth, title, y)] bookmarks on this page)."""
    if page.image_only:
        ops = [b"0.2 g"]
        for i in range(20):
            ops.append(f"{MARGIN} {700 - i * 30} 400 12 re f".encode())
        return b"\n".join(ops), []
    ops: list[bytes] = []
    marks: list[tuple[int, str, float]] = []
    y = PAGE_H - MARGIN
    for block in page.blocks:
        y -= block.size * 0.8  # space before a paragraph
        if block.bookmark:
            marks.append((block.bookmark, block.text, y))
        for line in _wrap(block.text, block.size):
            y -= block.size * 1.25
            ops.append(
                b"BT /F1 %.1f Tf 1 0 0 1 %d %.1f Tm (%s) Tj ET"
                % (block.size, MARGIN, y, _escape(line))
            )
    return b"\n".join(ops), marks


def _bomb(size: int) -> bytes:
    """A Flate stream of text operators inflating to ``size`` bytes, never held whole."""
    chunk = b"BT /F1 11 Tf 72 700 Td (x) Tj ET\n" * 30000
    z = zlib.compressobj(9)
    parts = [z.compress(chunk) for _ in range(size // len(chunk) + 1)]
    return b"".join(parts) + z.flush()


def build_pdf(
    pages: list[Page],
    *,
    title: str | None = None,
    lang: str | None = None,
    compress: bool = True,
) -> bytes:
    """The bytes of a PDF with ``pages``."""
    objects: dict[int, bytes] = {}
    n_pages = len(pages)
    catalog, pages_id, font_id, info_id, outline_id = 1, 2, 3, 4, 5
    first_page = 6
    page_ids = [first_page + 2 * i for i in range(n_pages)]
    next_id = first_page + 2 * n_pages
    all_marks: list[tuple[int, str, float, int]] = []
    for i, page in enumerate(pages):
        stream, marks = _content(page)
        all_marks += [(d, t, y, page_ids[i]) for d, t, y in marks]
        if page.inflate_to:
            stream = _bomb(page.inflate_to)
            head = b"<< /Length %d /Filter /FlateDecode >>" % len(stream)
        elif compress:
            stream = zlib.compress(stream)
            head = b"<< /Length %d /Filter /FlateDecode >>" % len(stream)
        else:
            head = b"<< /Length %d >>" % len(stream)
        objects[page_ids[i] + 1] = head + b"\nstream\n" + stream + b"\nendstream"
        objects[page_ids[i]] = (
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (pages_id, PAGE_W, PAGE_H, font_id, page_ids[i] + 1)
        )
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects[pages_id] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages)
    objects[font_id] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    info = b"<< /Producer (policyarchive tests)"
    if title:
        info += b" /Title (%s)" % _escape(title)
    objects[info_id] = info + b" >>"
    # a flat outline: depth is ignored by the writer, kept simple (one level)
    mark_ids = list(range(next_id, next_id + len(all_marks)))
    for k, (_, text, y, page_id) in enumerate(all_marks):
        entry = b"<< /Title (%s) /Parent %d 0 R /Dest [%d 0 R /XYZ 0 %.1f 0]" % (
            _escape(text),
            outline_id,
            page_id,
            y,
        )
        if k:
            entry += b" /Prev %d 0 R" % mark_ids[k - 1]
        if k + 1 < len(mark_ids):
            entry += b" /Next %d 0 R" % mark_ids[k + 1]
        objects[mark_ids[k]] = entry + b" >>"
    if mark_ids:
        objects[outline_id] = b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (
            mark_ids[0],
            mark_ids[-1],
            len(mark_ids),
        )
    else:
        objects[outline_id] = b"<< /Type /Outlines /Count 0 >>"
    cat = b"<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R" % (pages_id, outline_id)
    if lang:
        cat += b" /Lang (%s)" % lang.encode()
    objects[catalog] = cat + b" >>"

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for oid in sorted(objects):
        offsets[oid] = len(out)
        out += b"%d 0 obj\n" % oid + objects[oid] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for oid in range(1, size):
        out += b"%010d 00000 n \n" % offsets[oid] if oid in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        catalog,
        info_id,
        xref,
    )
    return bytes(out)


def policy_pdf(sections: list[tuple[str, list[str]]], *, title: str, lang: str = "en") -> bytes:
    """A policy: a title, then (heading, paragraphs) sections, two sections per page."""
    pages: list[Page] = []
    page = Page([Block(title, 20.0, bookmark=1)])
    for i, (heading, paras) in enumerate(sections):
        if i and i % 2 == 0:
            pages.append(page)
            page = Page()
        page.blocks.append(Block(heading, 14.0, bookmark=2))
        page.blocks += [Block(p) for p in paras]
    pages.append(page)
    return build_pdf(pages, title=title, lang=lang)


def encrypt(pdf: bytes, password: str) -> bytes:
    """``pdf`` encrypted with a user password (RC4, which pypdf writes without extras)."""
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    buf = BytesIO()
    writer.write(buf)
    return buf.getvalue()
