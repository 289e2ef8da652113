"""Languages: the language a document is written in, and what an English clause model may
say about it (nothing, for other languages), on one realistic policy per language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.items import PolicyPage
from pipelines.process import process_page
from pipelines.text.language import detect_language, language_sample, normalise_declared

FIXTURES = Path(__file__).parent / "fixtures" / "lang"
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da")
# (policy path on the fixture site, its first heading, an email in it)
POLICIES = {
    "en": ("legal/how-we-use-data", "Privacy Notice", "privacy@harbourlanebooks.co.uk"),
    "de": (
        "unternehmen/datenschutzhinweise",
        "Datenschutzerklärung",
        "datenschutz@bergholz-kaffee.de",
    ),
    "fr": ("informations/donnees", "Politique de confidentialité", "dpo@lesquais-librairie.fr"),
    "es": ("es/privacidad-datos", "Política de privacidad", "privacidad@sierraverde-aceites.es"),
    "it": ("it/trattamento-dati", "Informativa sulla privacy", "privacy@pastificiorinaldi.it"),
    "nl": ("over-ons/gegevens", "Privacyverklaring", "privacy@despaak-fietsen.nl"),
    "pt": (
        "institucional/dados-pessoais",
        "Política de Privacidade",
        "privacidade@marealta-conservas.pt",
    ),
    "pl": ("informacje/dane-osobowe", "Polityka prywatności", "iod@podlipami-herbata.pl"),
    "sv": ("om-oss/personuppgifter", "Integritetspolicy", "integritet@fjallbo-ull.se"),
    "da": ("om/dine-oplysninger", "Privatlivspolitik", "privatliv@havbrise-keramik.dk"),
}


def _page(lang: str, body: bytes | None = None) -> PolicyPage:
    path = POLICIES[lang][0]
    if body is None:
        body = (FIXTURES / f"www.{lang}-shop.example" / path).read_bytes()
    return PolicyPage(
        site=f"{lang}-shop.example",
        source="live",
        policy_url=f"http://www.{lang}-shop.example/{path}",
        captured_at=datetime(2026, 3, 1, tzinfo=UTC),
        snapshot="2026",
        body=body,
        content_type="text/html; charset=utf-8",
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_policy_in_each_language(lang: str) -> None:
    out = process_page(_page(lang))
    p = out.policy
    assert p["language"] == lang
    assert p["declared_language"] == lang
    assert p["content_type"] == "text/html"
    # segmentation follows the policy's own sections: a heading, then its paragraph
    headings = [c["text"] for c in out.clauses if c["kind"] == "heading"]
    assert headings[0] == POLICIES[lang][1] and len(headings) == 9
    body = [c for c in out.clauses if c["kind"] != "heading"]
    assert len(body) == 9 and all(len(c["heading_path"]) >= 1 for c in body)
    # language-neutral attributes are filled whatever the language
    assert POLICIES[lang][2] in p["contact_emails"]
    if lang == "en":
        assert p["labels"] == "ok" and p["categories"]
        assert all(c["category_probs"] is not None for c in out.clauses)
    else:
        # an English model's guesses on German text are noise: no labels, and why
        assert p["labels"] == "english_only" and p["categories"] == []
        assert all(c["categories"] == [] and c["category_probs"] is None for c in out.clauses)
        assert "GDPR" in p["laws"]  # DSGVO, RGPD, AVG, RODO ... by name


def test_the_text_decides_not_the_declaration() -> None:
    # a French page whose template says lang="en" (common on translated sites)
    raw = (FIXTURES / "www.fr-shop.example" / POLICIES["fr"][0]).read_bytes()
    p = process_page(_page("fr", raw.replace(b'<html lang="fr">', b'<html lang="en">'))).policy
    assert p["language"] == "fr" and p["declared_language"] == "en"
    assert p["labels"] == "english_only"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Wir verarbeiten Ihre personenbezogenen Daten nur mit Ihrer Einwilligung.", "de"),
        ("Nous traitons vos données personnelles uniquement avec votre consentement.", "fr"),
        ("Tratamos sus datos personales únicamente con su consentimiento expreso.", "es"),
        ("Trattiamo i tuoi dati personali solo con il tuo consenso esplicito.", "it"),
        ("Wij verwerken je persoonsgegevens alleen met jouw uitdrukkelijke toestemming.", "nl"),
        ("Tratamos os seus dados pessoais apenas com o seu consentimento expresso.", "pt"),
        ("Przetwarzamy Twoje dane osobowe wyłącznie za Twoją wyraźną zgodą.", "pl"),
        ("Vi behandlar dina personuppgifter endast med ditt uttryckliga samtycke.", "sv"),
        ("Vi behandler dine personoplysninger kun med dit udtrykkelige samtykke.", "da"),
        ("We process your personal data only with your explicit consent.", "en"),
    ],
)
def test_one_sentence_is_enough(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_no_guess_without_text() -> None:
    assert detect_language("") is None
    assert detect_language("12345 — © 2026 | [x](https://example.com/a/b/c)") is None


def test_the_sample_is_bounded_and_spread() -> None:
    text = "Début en français. " * 500 + "Mitte auf Deutsch. " * 500 + "End in English. " * 500
    sample = language_sample(text)
    assert len(sample) <= 700
    assert "français" in sample and "Deutsch" in sample and "English" in sample
    # link targets and URLs are not words of any language
    assert "example" not in language_sample("See [our page](https://www.example.com/x) now.")


@pytest.mark.parametrize(
    ("value", "code"),
    [("en-US", "en"), ("PT_br", "pt"), ("de", "de"), ("", None), (None, None), ("x", None)],
)
def test_declared_language_is_normalised(value: str | None, code: str | None) -> None:
    assert normalise_declared(value) == code
