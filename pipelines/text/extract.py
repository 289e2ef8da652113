"""HTML bytes -> policy text in markdown, with title and language (trafilatura).

Pure functions, no Scrapy. The settings were chosen by measuring word recall and precision
on the OPP-115 pages (scripts/eval_extraction.py, docs/extraction.md):

* ``favor_recall`` with links and formatting kept, as markdown;
* a *rescue* pass before extraction: trafilatura discards any div/section/span whose id or
  class contains tokens such as "cookie", "share", "nav", "banner", "expand" or "footer"
  (its boilerplate list). On policy pages these are often real sections ("cookie-policy",
  id="How Do We Share Your Information"), so elements that match but hold prose (enough
  words, few of them in links) lose the attributes that trigger the discard;
* a fallback when the result covers too little of the page's prose (the text in blocks of
  ten or more words, outside nav/header/footer): trafilatura's other modes and a rescue of
  hidden (``display:none``) prose are tried, and the one covering most prose wins.

Links are made absolute against ``url`` (and any ``<base href>``) before trafilatura sees
them: for archive captures, relative links then stay inside the archive.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass
from urllib.parse import urljoin

import trafilatura
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title
from trafilatura.xpaths import OVERALL_DISCARD_XPATH

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractOptions:
    """trafilatura settings and our own guards; the defaults are the measured choice."""

    favor_recall: bool = True
    favor_precision: bool = False
    include_tables: bool = True
    include_links: bool = True
    include_formatting: bool = True
    include_comments: bool = False
    deduplicate: bool = False
    # keep elements trafilatura would discard by id/class when they hold this much prose
    rescue_pruned: bool = True
    unwrap_layout_tables: bool = True
    rescue_min_words: int = 15
    rescue_max_link_share: float = 0.25
    # retry other settings when the result covers less than this share of the page's prose
    fallback: bool = True
    fallback_min_coverage: float = 0.5
    # an alternative must cover this many times more prose than the first result to win
    fallback_gain: float = 1.2
    # share of an alternative's words that must be page prose (guards against menus)
    fallback_min_prose_share: float = 0.9
    # fewer extracted words than this -> ExtractionError("too_short")
    min_words: int = 10


@dataclass
class Extracted:
    text: str  # markdown
    title: str | None
    language: str | None  # ISO 639-1, from the page's lang attributes; None if not declared
    strategy: str = "primary"  # which candidate won: primary | default | precision | hidden


class ExtractionError(Exception):
    """Extraction failed; ``reason`` is a short slug: not_html, empty, too_short."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --- decoding ---------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec(name: str | None) -> str | None:
    """Normalised Python codec name, or None if unknown. Latin-1 means cp1252 on the web."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _declared_charsets(body: bytes, content_type: str | None) -> list[str]:
    found: list[str] = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        found.append(m.group(1))
    if m := _META_CHARSET.search(body[:8192]):
        found.append(m.group(1).decode("ascii", "ignore"))
    codecs_ = [c for c in (_codec(x) for x in found) if c]
    return list(dict.fromkeys(codecs_))


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode an HTML body: BOM, then valid UTF-8, then header charset, then <meta>, then
    UTF-8 with replacement (or cp1252 when the bytes are clearly not UTF-8).

    Valid multi-byte UTF-8 almost never happens by chance in a single-byte encoding, so a
    body that decodes as UTF-8 is taken as UTF-8 whatever it declares (pages saved as
    UTF-8 often keep an old latin-1 declaration).
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charsets(body, content_type)
    for codec in declared:
        if codec == "utf-8":
            continue  # already failed strictly; judged below
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    # Undecodable as declared. Mostly-valid UTF-8 with a few bad bytes stays UTF-8;
    # a page whose every non-ASCII byte is invalid UTF-8 is a single-byte encoding.
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    if good >= bad:
        return text
    fallback = next((c for c in declared if c != "utf-8"), "cp1252")
    return body.decode(fallback, errors="replace")


# --- content sniffing -------------------------------------------------------------------

_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"BM",
    b"ID3",
    b"OggS",
    b"\xd0\xcf\x11\xe0",  # MS Office
    b"{\\rtf",
)
_NON_HTML_TYPES = re.compile(
    r"^\s*(application/(pdf|octet-stream|zip|gzip|msword|vnd\.|x-|json|javascript)|image/|audio/|"
    r"video/|font/|text/(plain|css|javascript|csv))",
    re.IGNORECASE,
)
_HTML_HINT = re.compile(
    rb"<\s*(!doctype|html|head|body|p|div|title|meta|table|span|br|h[1-6]|a\s)", re.IGNORECASE
)


def _looks_like_html(body: bytes, content_type: str | None) -> bool:
    head = body.lstrip()[:4096]
    if any(head.startswith(m) for m in _BINARY_MAGIC):
        return False
    has_tags = _HTML_HINT.search(body[:65536]) is not None
    if content_type and _NON_HTML_TYPES.match(content_type):
        # archives mislabel HTML as octet-stream or text/plain: trust the bytes
        return has_tags and b"\x00" not in head
    return has_tags or (b"\x00" not in head and b"<" in head)


# --- tree preparation -------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
# tokens whose match marks real page chrome, never rescued
_CHROME = re.compile(r"footer|sidebar|breadcrumb|comment|social|share-|newsletter", re.IGNORECASE)
_HIDDEN_ATTRS = ("style", "aria-hidden", "hidden")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


# a raw archive capture URL: <archive>/<collection path>/<timestamp><modifier>/<original URL>
_CAPTURE_URL = re.compile(r"^(https?://[^/]+/(?:[^/]+/)*?\d{4,14}[a-z_]*/)(https?)(?::|%3A)//(.*)$")


def resolve_link(base: str, ref: str) -> str:
    """Absolute URL of ``ref`` on a page at ``base``.

    On an archive capture a relative link is resolved against the original URL and kept
    inside the archive, written with ``%3A//`` like the seed examples (plain urljoin on the
    capture URL would collapse its embedded ``http://`` to ``http:/``).
    """
    m = _CAPTURE_URL.match(base)
    if m is None or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref) or ref.startswith("//"):
        return urljoin(base, ref)
    prefix, scheme, rest = m.groups()
    resolved = urljoin(f"{scheme}://{rest}", ref)
    return prefix + resolved.replace("://", "%3A//", 1)


def _absolutize_links(tree: HtmlElement, url: str | None) -> None:
    """Resolve every href/src against <base href> and the page URL, in place."""
    base_el = tree.find(".//base[@href]")
    base = url or ""
    if base_el is not None:
        base = resolve_link(base, base_el.get("href", "").strip())
    if not base:
        return
    for el in tree.iter("a", "img", "area"):
        attr = "src" if el.tag == "img" else "href"
        ref = el.get(attr)
        if ref is None:
            continue
        ref = ref.strip()
        if ref.lower().startswith(("javascript:", "data:")):
            continue
        try:
            el.set(attr, resolve_link(base, ref))
        except ValueError:  # malformed (e.g. bad IPv6 literal): leave as is
            continue


# "Last updated: April 2, 2012": short, but the date a researcher needs; often class="meta"
_DATE_LINE = re.compile(
    r"^.{0,30}?\b(last\s+(updated|modified|revised|changed)|effective|updated|revised|version|"
    r"stand|status|date|dernière\s+mise\s+à\s+jour|mis\s+à\s+jour|gültig)\b.{0,60}"
    r"\b(19|20)\d\d\b",
    re.IGNORECASE | re.DOTALL,
)


_LAYOUT_TAGS = {
    "table": "div",
    "tbody": "div",
    "thead": "div",
    "tfoot": "div",
    "tr": "div",
    "td": "div",
    "th": "div",
}
_BLOCKS_IN_CELL = ".//p|.//h1|.//h2|.//h3|.//h4|.//ul|.//ol|.//br"


def _unwrap_layout_tables(tree: HtmlElement, min_cell_words: int = 60) -> int:
    """Turn tables used for page layout into divs; returns how many.

    Old sites lay whole pages out in tables; trafilatura then renders the policy as one
    markdown table row, losing its headings and paragraphs. A table is layout when one of
    its own cells holds a long run of prose with block structure; data tables are left alone.
    """
    n = 0
    for table in list(tree.iter("table")):
        cells = [c for c in table.iter("td", "th") if c.getparent() is not None]
        layout = any(
            _words(c.text_content()) >= min_cell_words and c.xpath(_BLOCKS_IN_CELL) for c in cells
        )
        if not layout:
            continue
        for el in table.iter(*_LAYOUT_TAGS):
            el.tag = _LAYOUT_TAGS[el.tag]
        n += 1
    return n


def _prose_share(el: HtmlElement, min_words: int, max_link_share: float) -> bool:
    text = el.text_content()
    n = _words(text)
    if n < min_words:
        return n <= 14 and _DATE_LINE.match(text.strip()) is not None
    linked = sum(_words(a.text_content()) for a in el.iter("a"))
    return linked / n <= max_link_share


def _rescue(tree: HtmlElement, options: ExtractOptions, *, hidden: bool) -> int:
    """Strip discard-triggering attributes from prose elements; returns how many.

    ``hidden`` also un-hides prose elements (display:none, aria-hidden): collapsed
    "read more" sections of a policy, but sometimes other documents in hidden tabs.
    """
    xpaths = OVERALL_DISCARD_XPATH if hidden else OVERALL_DISCARD_XPATH[:1]
    rescued = 0
    for xp in xpaths:
        for el in xp(tree):
            attrs = " ".join(el.get(a, "") for a in ("id", "class"))
            if _CHROME.search(attrs) or el.tag in ("nav", "footer", "header", "aside"):
                continue
            if not _prose_share(el, options.rescue_min_words, options.rescue_max_link_share):
                continue
            for attr in ("id", "class", "role", *_HIDDEN_ATTRS):
                if attr in el.attrib:
                    el.attrib["data-pa-" + attr] = el.attrib.pop(attr)
            rescued += 1
    return rescued


_PROSE_BLOCKS = frozenset(
    {
        *("p", "li", "td", "th", "dd", "dt", "div", "section", "article", "blockquote"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "span", "font", "center", "body", "form"),
        *("table", "tr", "ul", "ol", "main", "pre"),
    }
)


def prose_tokens(tree: HtmlElement, min_words: int = 10) -> Counter[str]:
    """Tokens of the page's prose: block text runs of ``min_words`` or more words with few
    links, outside script/nav/header/footer. A cheap estimate of what a reader would read."""
    tree = deepcopy(tree)
    for bad in tree.xpath(
        "//script|//style|//noscript|//nav|//header|//footer|//select|//option|//button"
    ):
        if bad.getparent() is not None:
            bad.drop_tree()
    counts: Counter[str] = Counter()
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag not in _PROSE_BLOCKS:
            continue
        parts = [el.text or ""]
        linked = 0
        for child in el:
            if isinstance(child.tag, str) and child.tag not in _PROSE_BLOCKS:
                t = child.text_content()
                parts.append(t)
                if child.tag == "a":
                    linked += _words(t)
            parts.append(child.tail or "")
        toks = _WORD.findall(" ".join(parts).lower())
        if len(toks) >= min_words and linked / len(toks) < 0.3:
            counts.update(toks)
    return counts


# --- extraction -------------------------------------------------------------------------

_MD_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def _run(tree: HtmlElement, url: str | None, options: ExtractOptions, **override: bool) -> str:
    kwargs = {
        "favor_recall": options.favor_recall,
        "favor_precision": options.favor_precision,
        "include_tables": options.include_tables,
        "include_links": options.include_links,
        "include_formatting": options.include_formatting,
        "include_comments": options.include_comments,
        "deduplicate": options.deduplicate,
    }
    kwargs.update(override)
    out = trafilatura.extract(deepcopy(tree), url=url, output_format="markdown", **kwargs)
    return out or ""


def _text_tokens(markdown: str) -> Counter[str]:
    return Counter(_WORD.findall(_MD_LINK_TARGET.sub("]", markdown).lower()))


def _language(tree: HtmlElement) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    body = tree.find("body")
    if body is not None:
        candidates.append(body.get("lang"))
    for meta in tree.iterfind(".//meta[@http-equiv]"):
        if meta.get("http-equiv", "").lower() == "content-language":
            candidates.append(meta.get("content"))
    for meta in tree.iterfind(".//meta[@property]"):
        if meta.get("property", "").lower() == "og:locale":
            candidates.append(meta.get("content"))
    for value in candidates:
        if value and (m := re.match(r"\s*([A-Za-z]{2})(?:[-_,\s]|$)", value)):
            return m.group(1).lower()
    return None


def _title(tree: HtmlElement) -> str | None:
    """The title trafilatura.extract_metadata gives, without the rest of its work.

    extract_metadata also runs htmldate, author, sitename and license searches: 98 % of its
    time (6.3 s vs 0.11 s on the 155 corpus pages, identical titles on all of them).
    """
    meta = examine_meta(tree)
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura's own call guards this too: bugs in its JSON-LD code
        logger.debug("JSON-LD metadata unreadable", exc_info=True)
    if not meta.title:
        meta.title = extract_title(tree)
    meta.clean_and_trim()
    title = meta.title
    if not title:
        el = tree.find(".//title")
        title = el.text_content() if el is not None else None
    title = " ".join(title.split()) if title else None
    return title or None


def extract(
    body: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    options: ExtractOptions | None = None,
) -> Extracted:
    """Extract the main text of an HTML page as markdown; raise ExtractionError otherwise."""
    options = options or ExtractOptions()
    if not body or not body.strip():
        raise ExtractionError("empty", "empty body")
    if not _looks_like_html(body, content_type):
        raise ExtractionError("not_html", content_type or "binary content")
    html = decode_html(body, content_type)
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractionError("empty", "unparseable HTML")
    _absolutize_links(tree, url)

    if options.unwrap_layout_tables:
        _unwrap_layout_tables(tree)
    prepared = deepcopy(tree)
    if options.rescue_pruned:
        _rescue(prepared, options, hidden=False)
    text = _run(prepared, url, options)
    strategy = "primary"

    if options.fallback:
        text, strategy = _fallback(tree, prepared, url, options, text)

    n_words = sum(_text_tokens(text).values())
    if n_words == 0:
        raise ExtractionError("empty", "no text extracted")
    if n_words < options.min_words:
        raise ExtractionError("too_short", f"{n_words} words")
    return Extracted(
        text=text.strip() + "\n",
        title=_title(tree),
        language=_language(tree),
        strategy=strategy,
    )


def _fallback(
    tree: HtmlElement, prepared: HtmlElement, url: str | None, options: ExtractOptions, text: str
) -> tuple[str, str]:
    """Retry with other settings when ``text`` covers too little of the page's prose."""
    prose = prose_tokens(tree)
    n_prose = sum(prose.values())
    if not n_prose:
        return text, "primary"
    best_overlap = sum((_text_tokens(text) & prose).values())
    if best_overlap >= options.fallback_min_coverage * n_prose:
        return text, "primary"
    hidden = deepcopy(tree)
    _rescue(hidden, options, hidden=True)
    candidates = {
        "default": lambda: _run(prepared, url, options, favor_recall=False),
        "precision": lambda: _run(prepared, url, options, favor_recall=False, favor_precision=True),
        "hidden": lambda: _run(hidden, url, options),
    }
    best, best_name = text, "primary"
    threshold = best_overlap * options.fallback_gain
    for name, run in candidates.items():
        alt = run()
        toks = _text_tokens(alt)
        n = sum(toks.values())
        overlap = sum((toks & prose).values())
        if n and overlap / n >= options.fallback_min_prose_share and overlap > threshold:
            best, best_name, threshold = alt, name, overlap * options.fallback_gain
    logger.debug("extraction fallback for %s: %s (prose %d words)", url, best_name, n_prose)
    return best, best_name
