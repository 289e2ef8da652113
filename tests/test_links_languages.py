"""Privacy-link discovery in ten languages: anchor text alone, URL words alone, and the
usual paths, each beside the legal links that stand next to a policy link in that language."""

from __future__ import annotations

import pytest

from crawler.links import COMMON_POLICY_PATHS, find_policy_links

HOME = "https://www.shop.example/"

# (language, anchor text of the privacy link, the other legal links of a footer there)
ANCHORS = [
    ("en", "Privacy Policy", ["Terms of Use", "Legal Notice", "Cookie Settings"]),
    ("en", "Privacy Notice", ["Terms and Conditions", "Accessibility"]),
    ("en", "Your privacy", ["Terms of Sale", "Modern Slavery Statement"]),
    ("de", "Datenschutz", ["Impressum", "AGB", "Cookie-Einstellungen"]),
    ("de", "Datenschutzerklärung", ["Impressum", "Nutzungsbedingungen"]),
    ("de", "Datenschutzhinweise", ["Impressum", "Widerrufsbelehrung"]),
    ("fr", "Politique de confidentialité", ["Mentions légales", "CGV", "Gérer les cookies"]),
    ("fr", "Confidentialité", ["Mentions légales", "Conditions générales d'utilisation"]),
    ("fr", "Protection des données personnelles", ["Mentions légales", "CGU"]),
    ("fr", "Charte de confidentialité", ["Mentions légales", "Plan du site"]),
    ("es", "Privacidad", ["Aviso legal", "Condiciones de uso", "Configuración de cookies"]),
    ("es", "Política de privacidad", ["Aviso legal", "Términos y condiciones"]),
    ("es", "Protección de datos", ["Aviso legal", "Condiciones generales"]),
    ("it", "Informativa sulla privacy", ["Note legali", "Condizioni di vendita"]),
    ("it", "Privacy policy", ["Termini e condizioni", "Impostazioni cookie"]),
    ("it", "Informativa privacy", ["Note legali", "Cookie policy"]),
    ("it", "Protezione dei dati personali", ["Note legali", "Termini d'uso"]),
    ("nl", "Privacyverklaring", ["Algemene voorwaarden", "Disclaimer"]),
    ("nl", "Privacybeleid", ["Algemene voorwaarden", "Cookie-instellingen"]),
    ("nl", "Privacy- en cookiebeleid", ["Algemene voorwaarden", "Colofon"]),
    ("pt", "Política de Privacidade", ["Termos e condições", "Livro de reclamações"]),
    ("pt", "Privacidade", ["Termos de uso", "Aviso legal"]),
    ("pt", "Proteção de dados", ["Termos e condições"]),
    ("pl", "Polityka prywatności", ["Regulamin", "Ustawienia cookies"]),
    ("pl", "Prywatność", ["Regulamin sklepu", "Dostawa"]),
    ("pl", "Ochrona danych osobowych", ["Regulamin", "Kontakt"]),
    ("sv", "Integritetspolicy", ["Köpvillkor", "Cookie-inställningar"]),
    ("sv", "Personuppgiftspolicy", ["Allmänna villkor", "Om oss"]),
    ("sv", "Dataskyddspolicy", ["Villkor", "Kontakt"]),
    ("sv", "Hantering av personuppgifter", ["Köpvillkor", "Kundservice"]),
    ("da", "Privatlivspolitik", ["Handelsbetingelser", "Cookieindstillinger"]),
    ("da", "Persondatapolitik", ["Handelsbetingelser", "Om os"]),
    ("da", "Privatlivserklæring", ["Vilkår og betingelser"]),
    ("da", "Behandling af personoplysninger", ["Handelsbetingelser", "Kundeservice"]),
]


def _footer(links: list[tuple[str, str]], lang: str) -> str:
    nav = "".join(f'<a href="/c/{i}">Kategorie {i}</a>' for i in range(6))
    foot = " | ".join(f'<a href="{href}">{text}</a>' for href, text in links)
    return f'<html lang="{lang}"><body><nav>{nav}</nav><footer>{foot}</footer></body></html>'


@pytest.mark.parametrize(
    ("lang", "anchor", "others"), ANCHORS, ids=[f"{a[0]}-{a[1]}" for a in ANCHORS]
)
def test_anchor_text_alone_finds_the_policy(lang: str, anchor: str, others: list[str]) -> None:
    # neutral URLs: only the words a reader sees point to the policy
    links = [(f"/page-{i}", text) for i, text in enumerate(others)]
    links.insert(len(links) // 2, ("/page-x", anchor))
    found = find_policy_links(_footer(links, lang), HOME)
    assert found and found[0].url == HOME + "page-x", found


# (language, a policy URL in that language, neutral anchor text)
URLS = [
    ("de", "/rechtliches/datenschutzerklaerung"),
    ("de", "/datenschutz.html"),
    ("fr", "/politique-de-confidentialite"),
    ("fr", "/donnees-personnelles"),
    ("es", "/politica-de-privacidad"),
    ("es", "/proteccion-de-datos"),
    ("it", "/informativa-privacy"),
    ("it", "/protezione-dati-personali"),
    ("nl", "/privacyverklaring"),
    ("nl", "/gegevensbescherming"),
    ("pt", "/politica-de-privacidade"),
    ("pt", "/protecao-de-dados"),
    ("pl", "/polityka-prywatnosci"),
    ("pl", "/ochrona-danych-osobowych"),
    ("pl", "/rodo"),
    ("sv", "/integritetspolicy"),
    ("sv", "/personuppgiftspolicy"),
    ("sv", "/dataskydd"),
    ("da", "/privatlivspolitik"),
    ("da", "/persondatapolitik"),
    ("da", "/databeskyttelse"),
]


@pytest.mark.parametrize(("lang", "path"), URLS, ids=[u[1] for u in URLS])
def test_url_words_alone_find_the_policy(lang: str, path: str) -> None:
    # an icon link with no words: only the URL says what it is
    links = [("/kontakt", "Kontakt"), (path, "›"), ("/shop", "Shop")]
    found = find_policy_links(_footer(links, lang), HOME)
    assert found and found[0].url == HOME + path.lstrip("/"), found


@pytest.mark.parametrize(
    "path",
    [
        "/datenschutz",
        "/datenschutzerklaerung",
        "/politique-de-confidentialite",
        "/privacidad",
        "/politica-de-privacidad",
        "/informativa-privacy",
        "/privacyverklaring",
        "/privacybeleid",
        "/politica-de-privacidade",
        "/polityka-prywatnosci",
        "/integritetspolicy",
        "/privatlivspolitik",
        "/persondatapolitik",
    ],
)
def test_common_paths_cover_each_language(path: str) -> None:
    assert path in COMMON_POLICY_PATHS
    # English first: the lookups are made in this order, and most sites use these
    assert COMMON_POLICY_PATHS.index(path) > COMMON_POLICY_PATHS.index("/privacy-policy")
