"""Bodies for fault injection: a real-looking policy, and the bad inputs built from it.

Decompression bombs are built here with the same libraries Scrapy decodes with (zlib,
brotli, zstandard): a few kilobytes on the wire that inflate far past DOWNLOAD_MAXSIZE.
"""

from __future__ import annotations

import gzip
import os
import zlib
from functools import cache

import brotli
import zstandard

BOMB_SIZE = 64 * 1024 * 1024  # inflated size: four times the crawler's 16 MiB cap

_POLICY_PARAGRAPHS = (
    "This privacy policy explains how {org} collects, uses and shares personal information "
    "when you use our website and services. We respect your privacy and protect your data.",
    "Information we collect. We collect personal information you give us, such as your name, "
    "email address, postal address and telephone number, and information collected "
    "automatically, such as your IP address, browser type and cookies.",
    "How we use your information. We use personal data to provide and improve our services, "
    "to communicate with you, to process payments and to comply with legal obligations.",
    "Sharing. We do not sell your personal information. We share data with service providers "
    "who process it on our behalf, and with authorities when the law requires it.",
    "Your choices and rights. You may access, correct or delete your personal information, "
    "opt out of marketing emails, and disable cookies in your browser settings.",
    "Data retention and security. We keep personal data only as long as necessary and protect "
    "it with reasonable technical and organisational security measures.",
    "Changes to this policy. We may update this privacy policy from time to time and will post "
    "the new version on this page. Contact us at privacy@{org_lower}.example with questions.",
)


def policy_text(org: str) -> list[str]:
    return [p.format(org=org, org_lower=org.lower().replace(" ", "")) for p in _POLICY_PARAGRAPHS]


def policy_html(
    org: str = "Example Corp", *, extra: str = "", charset: str | None = "utf-8"
) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "\n".join(f"<p>{p}</p>" for p in policy_text(org))
    return (
        f'<!DOCTYPE html><html lang="en"><head>{meta}<title>Privacy Policy - {org}</title>'
        f"</head><body><main><h1>Privacy Policy</h1>{extra}\n{body}\n</main></body></html>\n"
    )


def german_policy_html(charset_meta: str) -> str:
    """A German policy full of umlauts, to catch a wrong decoding."""
    paras = [
        "Datenschutzerklärung der Müller Größen GmbH. Wir nehmen den Schutz Ihrer "
        "personenbezogenen Daten sehr ernst und behandeln sie vertraulich.",
        "Wir erheben personenbezogene Daten wie Name, E-Mail-Adresse und IP-Adresse, wenn Sie "
        "unsere Website besuchen. Cookies werden verwendet, um die Nutzung zu analysieren.",
        "Sie haben jederzeit das Recht auf Auskunft, Berichtigung, Löschung und Einschränkung "
        "der Verarbeitung Ihrer Daten gemäß der Datenschutz-Grundverordnung (DSGVO).",
        "Wir geben Ihre Daten nicht an Dritte weiter, außer wenn dies gesetzlich vorgeschrieben "
        "ist. Ihre Daten werden gelöscht, sobald der Zweck der Speicherung entfällt.",
        "Verantwortliche Stelle und Kontakt: Müller Größen GmbH, Straße 1, München. "
        "Bei Fragen zum Datenschutz schreiben Sie an datenschutz@mueller.example.",
    ]
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return (
        f'<!DOCTYPE html><html lang="de"><head><meta charset="{charset_meta}">'
        f"<title>Datenschutzerklärung</title></head><body><main><h1>Datenschutzerklärung</h1>"
        f"\n{body}\n</main></body></html>\n"
    )


def invalid_utf8_policy() -> bytes:
    """A UTF-8 policy with stray invalid bytes sprinkled in (a badly spliced template)."""
    raw = policy_html("Broken Bytes", charset="utf-8").encode()
    return raw.replace(b"We respect", b"We \xff\xfe respect").replace(b"Sharing.", b"Sharing.\xc3")


def nested_html(depth: int = 100_000) -> bytes:
    return (
        b"<!DOCTYPE html><html><head><title>Privacy Policy</title></head><body>"
        + b"<div>" * depth
        + b"<p>Privacy policy: we collect personal data.</p>"
        + b"</div>" * depth
        + b"</body></html>"
    )


def binary_garbage(n: int = 64 * 1024) -> bytes:
    rnd = os.urandom(n)
    return b"\x00\x01" + rnd  # NULs up front: no text format starts like this


def tiny_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def tiny_png() -> bytes:
    return bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )


def meta_refresh(target: str) -> bytes:
    return (
        f'<html><head><meta http-equiv="refresh" content="0; url={target}">'
        f"<title>Moved</title></head><body>Redirecting</body></html>"
    ).encode()


def truncated_gzip(body: bytes) -> bytes:
    """A gzip stream cut in half: no trailer, half the deflate data."""
    full = gzip.compress(body)
    return full[: len(full) // 2]


@cache
def bomb(encoding: str, size: int = BOMB_SIZE) -> bytes:
    """``size`` bytes of spaces compressed with ``encoding`` (gzip, deflate, br, zstd)."""
    data = b" " * size
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=9)
    if encoding == "deflate":
        return zlib.compress(data, 9)
    if encoding == "br":
        return brotli.compress(data, quality=5)
    if encoding == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(data)
    raise ValueError(encoding)
