"""The per-document path, as one pure function: page → policy row + clause rows, or a reason.

This is what runs in worker processes: it takes a PolicyPage and returns plain data, so it
pickles cheaply and can be tested without Scrapy or a reactor.

The heavy stages are imported where a document is first processed, not at import time: the
crawler process imports this module for ``make_policy_id`` and the pool glue, and with
worker processes it never needs trafilatura or scikit-learn (~150 MB resident on its own).
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pipelines.categories import ATTRIBUTE_NAMES, CATEGORIES, category_field_name
from pipelines.items import PolicyPage

if TYPE_CHECKING:
    from pipelines.text.attributes import Attributes
    from pipelines.text.classify import ClauseClassifier

logger = logging.getLogger(__name__)

# column names computed once: per clause they cost as much as detection did (profiled)
_PROB_FIELDS = tuple(enumerate(category_field_name(c) for c in CATEGORIES))
DEFAULT_PROCESSOR = "pipelines.process.process_page"


# --documents: which document types are stored, by the name a user gives them
DOCUMENT_KINDS = {"privacy": "privacy_policy", "cookies": "cookie_policy"}
DEFAULT_DOCUMENTS = ("privacy",)


class NotAPolicy(Exception):
    """The page cannot become a document; ``reason`` is a short slug for stats and fetches,
    ``document_type`` the type the page was taken for (None when it was not classified)."""

    def __init__(self, reason: str, detail: str = "", document_type: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.document_type = document_type


def parse_documents(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``"privacy,cookies"`` → ("privacy", "cookies"); ValueError names what is unknown."""
    if value in (None, ""):
        return DEFAULT_DOCUMENTS
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[union-attr]
    kinds = tuple(dict.fromkeys(k.strip().lower() for k in items if k.strip()))
    unknown = [k for k in kinds if k not in DOCUMENT_KINDS]
    if unknown or not kinds:
        raise ValueError(
            f"unknown document kind {', '.join(unknown) or repr(value)}: "
            f"choose from {', '.join(DOCUMENT_KINDS)}"
        )
    return kinds


@dataclass
class Processed:
    policy: dict[str, Any]
    clauses: list[dict[str, Any]] = field(default_factory=list)


def make_policy_id(site: str, snapshot: str, source: str, content_digest: str) -> str:
    """Stable across runs: the same page for the same site and snapshot gets the same id."""
    key = f"{site}\n{snapshot}\n{source}\n{content_digest}".encode()
    return hashlib.sha256(key).hexdigest()[:20]


def words_digest(words: list[str]) -> str:
    """The text digest of the text whose ``str.split()`` is ``words`` (split once: the word
    count takes the same list)."""
    # whitespace runs as one space, ends stripped: str.split splits on exactly the characters
    # re's \s matches (checked over all of Unicode), 3x faster than re.sub
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


@lru_cache(maxsize=1)
def _classifier() -> ClauseClassifier:
    # loaded once per process (each worker loads its own copy)
    from pipelines.text.classify import ClauseClassifier

    return ClauseClassifier.load()


def _attr_dict(a: Attributes) -> dict[str, Any]:
    return {name: list(getattr(a, name)) for name in ATTRIBUTE_NAMES}


def process_page(
    page: PolicyPage,
    *,
    min_policy_score: float = 0.5,
    documents: tuple[str, ...] = DEFAULT_DOCUMENTS,
) -> Processed:
    """Extract, type, segment, classify and extract attributes; raise NotAPolicy on refusal.

    A page is stored when its document type is one of ``documents`` (see DOCUMENT_KINDS):
    privacy policies by default. ``min_policy_score`` is the privacy detector's threshold,
    reported in ``policy_score``/``policy_reason``."""
    from pipelines.history.simhash import simhash
    from pipelines.text.attributes import (
        Attributes,
        extract_attributes,
        merge_attributes,
        page_emails_from_html,
    )
    from pipelines.text.classify import ClauseInput
    from pipelines.text.doctype import classify_document
    from pipelines.text.extract import ExtractionError, decode_html, extract
    from pipelines.text.language import detect_language
    from pipelines.text.pdf import PdfError, extract_pdf, is_pdf
    from pipelines.text.readability import readability, reading_minutes
    from pipelines.text.segment import segment_markdown
    from pipelines.text.stated_date import find_stated_date

    pdf = is_pdf(page.body, page.content_type)
    try:
        if pdf:
            extracted = extract_pdf(page.body)
        else:
            extracted = extract(
                page.body, url=page.archive_url or page.policy_url, content_type=page.content_type
            )
    except PdfError as exc:
        raise NotAPolicy(exc.reason, exc.detail) from exc
    except ExtractionError as exc:
        raise NotAPolicy(f"extract_{exc.reason}", str(exc)) from exc
    language = detect_language(extracted.text) or extracted.language
    # the clause model learnt English: other languages get no labels rather than guesses
    english = language in ("en", None)
    # the URL and the link text are hints: they add to the type they name, content decides
    doc = classify_document(
        extracted.text,
        title=extracted.title,
        url=page.policy_url,
        hints=f"{page.link_text} {page.policy_url}",
        threshold=min_policy_score,
    )
    detection = doc.detection
    if doc.document_type not in {DOCUMENT_KINDS[k] for k in documents}:
        raise NotAPolicy(
            "not_a_policy",
            f"taken for {doc.reason}; privacy score {detection.score:.2f}",
            document_type=doc.document_type,
        )

    policy_id = make_policy_id(page.site, page.snapshot, page.source, page.content_digest)
    if page.reextracted:
        # a re-extraction is a new row of the same capture: its own id, so clauses join
        # one-to-one; the original's id is make_policy_id(site, snapshot, source, digest)
        policy_id = make_policy_id(policy_id, page.run_id, "reextract", page.content_digest)
    clauses = segment_markdown(extracted.text)
    inputs = [
        ClauseInput(
            text=c.text,
            heading_path=list(c.heading_path),
            position=i,
            total=len(clauses),
            prev_text=clauses[i - 1].text if i else "",
            next_text=clauses[i + 1].text if i + 1 < len(clauses) else "",
        )
        for i, c in enumerate(clauses)
    ]
    if english and inputs:
        clf = _classifier()
        probs = clf.predict_proba(inputs)
        labels = clf.labels(probs)
    else:
        probs, labels = None, [[] for _ in inputs]
    html = "" if pdf else decode_html(page.body, page.content_type)
    page_emails = page_emails_from_html(html) if "cfemail" in html or "mailto:" in html else []

    clause_rows: list[dict[str, Any]] = []
    attrs: list[Attributes] = []
    covered: set[str] = set()
    rows = probs.tolist() if probs is not None else None  # plain floats, one list per clause
    for i, c in enumerate(clauses):
        row = rows[i] if rows is not None else None
        a = extract_attributes(c.text, page_emails=page_emails)
        attrs.append(a)
        covered.update(labels[i])
        clause_rows.append(
            {
                "policy_id": policy_id,
                "clause_id": f"{policy_id}-{i:04d}",
                "site": page.site,
                "position": i,
                "heading_path": list(c.heading_path),
                "kind": c.kind,
                "text": c.text,
                "categories": labels[i],
                "category_probs": (
                    {name: row[j] for j, name in _PROB_FIELDS} if row is not None else None
                ),
                **_attr_dict(a),
                "run_id": page.run_id,
            }
        )
    summary = merge_attributes(attrs) if attrs else Attributes(*([[]] * len(ATTRIBUTE_NAMES)))
    words = extracted.text.split()
    scores = readability(clauses, language)  # detected language: textstat's constants for it
    stated = find_stated_date(extracted.text, page.captured_at, language)
    policy = {
        "policy_id": policy_id,
        "site": page.site,
        "policy_url": page.policy_url,
        "source": page.source,
        "captured_at": page.captured_at.astimezone(UTC),
        "archive_url": page.archive_url,
        "http_status": page.http_status,
        "content_digest": page.content_digest,
        "cdx_digest": page.cdx_digest,
        "text_digest": words_digest(words),
        "title": extracted.title,
        "language": language,
        "text": extracted.text,
        "word_count": len(words),
        "policy_score": float(detection.score),
        "policy_reason": detection.reason,
        "homepage_url": page.homepage_url,
        "discovered_by": page.discovered_by,
        "redirects": list(page.redirects),
        "clause_count": len(clause_rows),
        "categories": [c for c in CATEGORIES if c in covered],
        **_attr_dict(summary),
        "simhash": simhash(extracted.text),
        "warc_filename": page.warc_filename,
        "warc_offset": page.warc_offset,
        "reextracted": page.reextracted,
        "archive": page.archive if page.source != "live" else None,
        "declared_language": extracted.language,
        "content_type": "application/pdf" if pdf else "text/html",
        "labels": "none" if not clause_rows else "ok" if english else "english_only",
        "flesch_kincaid_grade": scores.flesch_kincaid_grade,
        "flesch_reading_ease": scores.flesch_reading_ease,
        "smog": scores.smog,
        "reading_minutes": reading_minutes(len(words)),
        "stated_date": stated.date if stated else None,
        "stated_date_kind": stated.kind if stated else None,
        "document_type": doc.document_type,
        "document_type_score": doc.score,
        "document_type_reason": doc.reason,
        "run_id": page.run_id,
    }
    return Processed(policy=policy, clauses=clause_rows)


# -- in a worker process --------------------------------------------------------------

Processor = Callable[..., Processed]


@lru_cache(maxsize=4)
def load_processor(path: str = DEFAULT_PROCESSOR) -> Processor:
    """The per-document function named by a dotted path (tests swap in one that misbehaves)."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


class ConfigError(ValueError):
    """A processing setting that cannot work; the run stops before it starts."""


def worker_count(setting: Any) -> int:
    """``None``/"" → one worker per core; otherwise the number given (0 = inline)."""
    if setting in (None, ""):
        return os.cpu_count() or 1
    try:
        n = int(setting)
    except (TypeError, ValueError):
        raise ConfigError(f"POLICYARCHIVE_WORKERS must be a number, got {setting!r}") from None
    if n < 0:
        raise ConfigError(f"POLICYARCHIVE_WORKERS must be 0 or more, got {n}")
    return n


def check_processor(path: str) -> str:
    """Fail before the crawl, not in every worker: a pool whose workers cannot start hangs."""
    try:
        load_processor(path)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"POLICYARCHIVE_PROCESSOR={path!r} cannot be loaded: {exc}") from None
    return path


_INIT_ERROR: str | None = None  # why this worker could not start, if it could not


def warm_up(processor: str = DEFAULT_PROCESSOR) -> None:
    """Worker initializer: imports and the classifier load happen before any time limit runs.

    It never raises: pebble restarts a worker whose initializer fails, forever, and the
    crawl would wait on it. The failure is reported with every page instead.
    """
    global _INIT_ERROR
    try:
        load_processor(processor)
        _classifier()
        # the language model (2 s to unpack) and pypdf load here too, not in a page's time
        from pipelines.text.language import load_identifier
        from pipelines.text.pdf import extract_pdf  # noqa: F401

        load_identifier()
        from pipelines.text.readability import warm_up as warm_readability

        warm_readability()
    except Exception as exc:
        _INIT_ERROR = f"{type(exc).__name__}: {exc}"[:500]
        logger.exception("worker could not start")


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc's ``malloc_trim``); a no-op elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def run_page(
    processor: str,
    page: PolicyPage,
    min_policy_score: float,
    documents: tuple[str, ...] = DEFAULT_DOCUMENTS,
) -> Processed | tuple[str, str] | tuple[str, str, str | None]:
    """Process one page; a refusal comes back as (reason, detail[, document_type]) data, not
    an exception."""
    if _INIT_ERROR is not None:
        return ("worker_init_failed", _INIT_ERROR)
    try:
        return load_processor(processor)(
            page, min_policy_score=min_policy_score, documents=documents
        )
    except NotAPolicy as exc:
        return (exc.reason, exc.detail, exc.document_type)
    finally:
        # a big page's parse trees leave the heap fragmented and high; hand it back so a
        # long-lived worker stays at its baseline instead of its largest page (measured)
        release_free_memory()
