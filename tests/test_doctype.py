"""Document types of short, realistic pages of each kind (written for these tests)."""

from __future__ import annotations

import pytest

from pipelines.items import PolicyPage
from pipelines.process import NotAPolicy, parse_documents, process_page
from pipelines.text.doctype import TYPES, classify_document

PRIVACY_EN = """# Privacy Policy

Last updated: 12 February 2026

This privacy policy explains how Lumen Books Ltd collects, uses and shares personal data
about you when you use our website, our mobile app and our e-book store.

## Information we collect
We collect the information you give us when you create an account: your name, e-mail
address, password and billing address. When you buy a book we process your payment details
through our payment provider. We automatically collect your IP address, device identifiers,
browser type and information about how you use the app, using cookies and similar
technologies.

## How we use your information
We use your personal data to provide the service, to process your purchases, to send you
receipts and, with your consent, our newsletter. Our legal basis is the performance of our
contract with you, your consent and our legitimate interests.

## Sharing
We share personal data with service providers that host our servers and process payments on
our behalf. We do not sell your personal information. We may disclose data to authorities
where the law requires it.

## Retention and security
We retain account data for as long as your account is open and delete it two years after
your last login. We protect your data with encryption and access controls.

## Your rights
You have the right to access, rectify and delete your personal data and to object to its
processing. You can opt out of marketing at any time. Contact our data protection officer
at privacy@lumenbooks.example. You may complain to your supervisory authority.
"""

PRIVACY_DE = """# Datenschutzerklärung

Stand: 1. März 2026

Mit dieser Datenschutzerklärung informieren wir Sie über die Verarbeitung
personenbezogener Daten bei der Nutzung unserer Website und unserer App.

## Verantwortliche Stelle
Verantwortlich im Sinne der DSGVO ist die Bergwerk Software GmbH, Hauptstraße 5, 10115
Berlin. Unseren Datenschutzbeauftragten erreichen Sie unter datenschutz@bergwerk.example.

## Welche Daten wir erheben
Wir erheben Ihren Namen, Ihre E-Mail-Adresse und Ihre Zahlungsdaten, wenn Sie ein Konto
anlegen. Beim Besuch der Website werden Ihre IP-Adresse, der Browsertyp und die
aufgerufenen Seiten in Logdateien gespeichert. Wir setzen Cookies ein.

## Zwecke und Rechtsgrundlage
Wir verarbeiten Ihre Daten zur Erfüllung des Vertrags (Art. 6 Abs. 1 lit. b DSGVO), auf
Grundlage Ihrer Einwilligung und unseres berechtigten Interesses. Eine Weitergabe an Dritte
erfolgt nur an Dienstleister, die in unserem Auftrag tätig sind.

## Speicherdauer
Ihre Daten werden gelöscht, sobald sie für die genannten Zwecke nicht mehr erforderlich
sind; gesetzliche Aufbewahrungsfristen bleiben unberührt.

## Ihre Rechte
Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung,
Datenübertragbarkeit und Widerspruch. Sie können sich bei einer Aufsichtsbehörde
beschweren. Eine erteilte Einwilligung können Sie jederzeit widerrufen.
"""

COOKIES_EN = """# Cookie Policy

This cookie policy explains how Lumen Books uses cookies and similar technologies when you
visit lumenbooks.example.

## What are cookies?
Cookies are small text files that a website stores in your browser. Session cookies expire
when you close your browser; persistent cookies stay until their expiry date or until you
delete them. First-party cookies are set by us, third-party cookies by our partners.

## Which cookies do we use?
Strictly necessary cookies keep you signed in and remember your basket (duration: session).
Analytics cookies from our analytics provider count visits and show which pages are popular
(duration: 13 months). Advertising cookies and pixels of our advertising partners measure
the results of our campaigns (duration: 90 days).

## Managing cookies
You can accept or refuse optional cookies in our cookie banner and change your choice at
any time in the cookie settings at the bottom of every page. You can also block or delete
cookies in your browser settings; some parts of the website may then stop working. To opt
out of analytics cookies across websites, use the opt-out tool of the analytics provider.

For more about how we process personal data, read our privacy policy.
"""

TERMS_EN = """# Terms of Service

Effective: 1 January 2026

These terms of service govern your use of Lumen Books. By creating an account you agree to
these terms. If you do not agree, do not use the service.

## 1. Your account
You must be at least 16 years old. You are responsible for keeping your password secret and
for all activity under your account.

## 2. Licence
When you buy an e-book we grant you a personal, non-transferable licence to read it on your
devices. You may not copy, resell or distribute the content.

## 3. Payment and refunds
Prices include VAT. Subscriptions renew automatically until cancelled. You may withdraw
within 14 days unless you have started downloading the book.

## 4. Termination
We may suspend or terminate your account if you breach these terms.

## 5. Disclaimer and limitation of liability
The service is provided "as is" without warranty of any kind. To the extent permitted by
law our liability is limited to the amount you paid in the last twelve months. You agree to
indemnify us against claims arising from your misuse of the service.

## 6. Governing law and disputes
These terms are governed by the laws of England and Wales. Any dispute will be settled by
the courts of London. Our privacy policy explains how we handle your personal data.
"""

TERMS_FR = """# Conditions générales d'utilisation

Les présentes conditions générales d'utilisation (CGU) encadrent l'accès et l'utilisation
de l'application Rendez-Vous Santé éditée par la société Medicia SAS.

## Article 1 - Acceptation des CGU
En créant un compte, l'utilisateur accepte sans réserve les présentes CGU.

## Article 2 - Accès au service
L'accès au service est gratuit. L'utilisateur s'engage à fournir des informations exactes
et à ne pas usurper l'identité d'un tiers.

## Article 3 - Responsabilité
Medicia SAS ne saurait être tenue responsable des interruptions du service, ni des
dommages indirects. La responsabilité de l'éditeur est limitée aux dommages directs.

## Article 4 - Propriété intellectuelle
Les marques, logos et contenus de l'application sont protégés. Toute reproduction est
interdite sans autorisation.

## Article 5 - Résiliation
L'utilisateur peut supprimer son compte à tout moment. Medicia SAS peut suspendre un compte
en cas de manquement aux présentes CGU.

## Article 6 - Droit applicable et litiges
Les présentes CGU sont soumises au droit français. En cas de litige, les tribunaux de Paris
sont seuls compétents. Le traitement des données personnelles est décrit dans notre
politique de confidentialité.
"""

IMPRINT_DE = """# Impressum

Angaben gemäß § 5 DDG

Bergwerk Software GmbH
Hauptstraße 5
10115 Berlin

Vertreten durch die Geschäftsführer: Anna Keller, Jonas Weber

Kontakt: Telefon +49 30 1234567, E-Mail info@bergwerk.example

Registereintrag: Eintragung im Handelsregister. Registergericht: Amtsgericht
Berlin-Charlottenburg. Registernummer: HRB 123456

Umsatzsteuer-ID: Umsatzsteuer-Identifikationsnummer gemäß § 27 a Umsatzsteuergesetz:
DE 123456789

Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV: Anna Keller, Hauptstraße 5, 10115
Berlin

Streitschlichtung: Die Europäische Kommission stellt eine Plattform zur
Online-Streitbeilegung bereit. Wir sind nicht bereit oder verpflichtet, an
Streitbeilegungsverfahren vor einer Verbraucherschlichtungsstelle teilzunehmen.
"""

IMPRINT_FR = """# Mentions légales

## Éditeur du site
Le site rendezvous-sante.example est édité par Medicia SAS, société par actions simplifiée
au capital social de 50 000 euros, immatriculée au RCS de Paris sous le numéro 812 345 678,
dont le siège social est situé 10 rue de la Paix, 75002 Paris. Numéro SIRET : 812 345 678
00021. Numéro de TVA intracommunautaire : FR 12 812345678.

Directeur de la publication : Claire Martin, présidente.

Contact : contact@rendezvous-sante.example, téléphone 01 23 45 67 89.

## Hébergeur
Le site est hébergé par Nuage Hébergement SAS, 2 rue Kellermann, 59100 Roubaix, France.

## Propriété intellectuelle
L'ensemble des contenus de ce site est protégé par le droit d'auteur. Toute reproduction
sans autorisation est interdite.
"""

DPA_EN = """# Data Processing Addendum

This Data Processing Addendum ("DPA") forms part of the agreement between Cloudform Inc.
("Processor") and the customer ("Controller") for the provision of the services.

## 1. Definitions
"Customer Personal Data" means personal data processed by the Processor on behalf of the
Customer. "Sub-processor" means any processor engaged by the Processor.

## 2. Processing of Customer Personal Data
The Processor shall process Customer Personal Data only on documented instructions of the
Controller, as described in Annex 1. The parties agree that the Customer is the controller
and Cloudform is the processor.

## 3. Sub-processors
The Controller authorises the Processor to engage the sub-processors listed in Annex 3. The
Processor shall inform the Controller of any intended changes and impose data protection
obligations on each sub-processor by written contract.

## 4. Security and personal data breach
The Processor shall implement the technical and organisational measures set out in Annex 2
and notify the Controller without undue delay after becoming aware of a personal data
breach.

## 5. International transfers
Transfers of Customer Personal Data outside the EEA are governed by the Standard
Contractual Clauses, with the Customer as data exporter and Cloudform as data importer.

## 6. Audits and deletion
On termination of the agreement the Processor shall delete or return all Customer Personal
Data. The Controller may audit the Processor once a year.
"""

AUP_EN = """# Acceptable Use Policy

This acceptable use policy describes what you may not do with Cloudform services. It
applies to every customer and every user of the services.

## Prohibited uses
You may not use the services to:

- break the law or help others to break it;
- send spam or unsolicited bulk messages;
- harass, threaten or abuse any person;
- distribute malware or attempt to gain unauthorised access to systems;
- infringe the intellectual property rights of others, including copyright and trademarks;
- publish child sexual abuse material or content that promotes violence;
- mine cryptocurrency on shared infrastructure without permission.

## Security testing
You must not scan or test the vulnerability of our systems without written permission. To
report a vulnerability, follow our responsible disclosure guidelines.

## Enforcement
If you violate this policy we may remove content, suspend your account or terminate the
services. We may report illegal activity to law enforcement. Report abuse to
abuse@cloudform.example.
"""

NEWS = """# Harbour opens its third store in Leeds

Harbour Kitchenware opened its third shop on Saturday, on Briggate in the centre of Leeds.
The store sells the company's cast iron pans, carbon steel woks and knives, and offers free
seasoning workshops every Sunday morning. "We wanted a place where people can hold a pan
before they buy it," said the founder, Eleanor Marsh, who started the business in a garage
in Bristol in 1987. The company now employs sixty people and ships to twenty countries. The
new store is open from nine to six, Monday to Saturday, and from ten to four on Sundays.
"""

PRIVACY_AND_COOKIES = """# Privacy and Cookie Policy

This policy explains how Harbour Kitchenware collects and uses personal data, and how we
use cookies.

## Personal data we collect
We collect your name, e-mail address, delivery address and payment details when you order,
and your IP address and device information when you browse our website.

## Why we use it
We process your data to deliver your orders, to answer your questions and, with your
consent, to send you our newsletter. We share data with our delivery companies and payment
provider, who act on our behalf. We never sell your personal information.

## Cookies
We use necessary cookies for the basket and, with your consent, analytics cookies and
advertising pixels. Session cookies expire when you close the browser; persistent cookies
last up to 13 months. You can change your cookie settings at any time or block cookies in
your browser settings.

## Retention and your rights
We keep order data for six years. You have the right to access, correct and delete your
personal data and to object to its processing. Contact privacy@harbour.example or complain
to the supervisory authority.
"""

CAPTCHA = "Just a moment... Checking your browser before accessing the site. Verify you are human."

CASES = [
    ("privacy, English", PRIVACY_EN, "Privacy Policy | Lumen Books", "privacy_policy"),
    ("privacy, German", PRIVACY_DE, "Datenschutz", "privacy_policy"),
    ("privacy and cookies", PRIVACY_AND_COOKIES, None, "privacy_policy"),
    ("cookie policy", COOKIES_EN, "Cookie Policy", "cookie_policy"),
    ("terms, English", TERMS_EN, "Terms of Service", "terms"),
    ("terms, French", TERMS_FR, "CGU", "terms"),
    ("imprint, German", IMPRINT_DE, "Impressum", "imprint"),
    ("imprint, French", IMPRINT_FR, "Mentions légales", "imprint"),
    ("processor agreement", DPA_EN, "Data Processing Addendum", "other_legal"),
    ("acceptable use", AUP_EN, "Acceptable Use Policy", "other_legal"),
    ("news article", NEWS, "Harbour opens in Leeds", "not_legal"),
    ("captcha wall", CAPTCHA, "Just a moment...", "not_legal"),
]


@pytest.mark.parametrize(
    ("text", "title", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_document_types(text: str, title: str | None, expected: str) -> None:
    doc = classify_document(text, title=title, url="https://example.org/doc")
    assert doc.document_type == expected, doc.reason
    assert doc.document_type in TYPES
    assert 0.0 <= doc.score <= 1.0
    assert doc.reason.startswith(expected)  # the reason names the type, then why


def test_content_decides_without_any_title() -> None:
    """Judged by content alone: no title, a neutral URL."""
    for text, expected in ((PRIVACY_EN, "privacy_policy"), (TERMS_EN, "terms")):
        # the page's own first heading is content; drop it too
        body = text.split("\n", 1)[1]
        assert classify_document(body).document_type == expected


def test_hints_add_evidence_but_never_replace_it() -> None:
    # a link that says "Privacy Policy" does not make a news article or terms a policy
    for text, expected in ((NEWS, "not_legal"), (TERMS_EN, "terms"), (IMPRINT_DE, "imprint")):
        doc = classify_document(text, hints="Privacy Policy https://x.example/privacy")
        assert doc.document_type == expected, doc.reason
    # ...but it is named in the reason when it backs the content
    doc = classify_document(PRIVACY_EN, hints="Privacy Policy https://x.example/privacy")
    assert doc.document_type == "privacy_policy" and "link/URL names it" in doc.reason
    plain = classify_document(PRIVACY_EN)
    assert doc.score >= plain.score


def _page(text: str, title: str) -> PolicyPage:
    from datetime import UTC, datetime

    paragraphs = "".join(
        f"<h2>{p[3:]}</h2>" if p.startswith("## ") else f"<p>{p}</p>" for p in text.split("\n\n")
    )
    html = f"<html><head><title>{title}</title></head><body><main>{paragraphs}</main></body></html>"
    return PolicyPage(
        site="lumen.example",
        source="live",
        policy_url="https://lumen.example/legal/page",
        captured_at=datetime(2026, 3, 1, tzinfo=UTC),
        snapshot="2026H1",
        body=html.encode(),
        content_type="text/html; charset=utf-8",
    )


def test_cookie_policies_are_stored_only_when_asked() -> None:
    page = _page(COOKIES_EN, "Cookie Policy")
    with pytest.raises(NotAPolicy) as refused:
        process_page(page)
    assert refused.value.reason == "not_a_policy"
    assert refused.value.document_type == "cookie_policy"
    assert "taken for cookie_policy" in refused.value.detail
    done = process_page(page, documents=parse_documents("privacy,cookies"))
    assert done.policy["document_type"] == "cookie_policy"
    assert done.policy["document_type_reason"].startswith("cookie_policy")


def test_terms_are_refused_with_their_type() -> None:
    with pytest.raises(NotAPolicy) as refused:
        process_page(_page(TERMS_EN, "Terms of Service"))
    assert refused.value.document_type == "terms"


def test_privacy_policy_row_carries_its_type() -> None:
    done = process_page(_page(PRIVACY_EN, "Privacy Policy"))
    assert done.policy["document_type"] == "privacy_policy"
    assert 0.5 < done.policy["document_type_score"] <= 1.0


@pytest.mark.parametrize("bad", ["terms", "privacy,imprint", " , "])
def test_unknown_document_kinds_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="choose from privacy, cookies"):
        parse_documents(bad)
    assert parse_documents(None) == ("privacy",)
    assert parse_documents("Cookies, privacy") == ("cookies", "privacy")


def _demoted(text: str) -> str:
    """A document as one section of a bigger page: its headings one level down."""
    return "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())


# A legal hub: terms first, then the whole privacy policy and the copyright policy on one page
HUB = "\n\n".join(
    [
        "# Legal",
        _demoted(TERMS_EN),
        _demoted(TERMS_EN.replace("# Terms of Service", "# Archived Terms of Service")),
        _demoted(PRIVACY_EN),
        _demoted(AUP_EN.replace("# Acceptable Use Policy", "# Copyright Policy")),
    ]
)

SECURITY_AND_ACCESSIBILITY = """When you visit Harbour's website we store the IP address from \
which you access it, the date and time, the pages you visit and the browser you use. We use \
this information to count visitors and to improve the site; we do not collect personal \
information about you unless you choose to give it, for example by e-mail. We do not sell or \
share the information with third parties, except where the law requires it. Cookies are used \
only for the length of your visit.

For site security, and to make sure the service stays available to everyone, we monitor \
network traffic to find attempts to upload or change information or otherwise cause damage. \
Unauthorized attempts are strictly prohibited and may be punishable by law.

Unauthorized attempts to test for vulnerabilities, to probe the site or to get around its \
security measures are prohibited and violate federal law; anyone who infringes these rules \
may be reported to law enforcement. Report a vulnerability to our security team.

We are committed to making our website accessible to people with disabilities, in line with \
Section 508 of the Rehabilitation Act. Our accessibility guidelines follow the Web Content \
Accessibility Guidelines 2.1. If you have trouble with the accessibility of any part of the \
site, contact our webmaster and we will help you. Accessibility feedback is welcome.
"""


def test_a_legal_hub_holding_a_whole_privacy_policy_is_a_privacy_policy() -> None:
    doc = classify_document(HUB, title="Legal | Lumen Books")
    assert doc.document_type == "privacy_policy", doc.reason
    assert "holds a privacy policy, section 'Privacy Policy'" in doc.reason
    # terms that only point to the policy from a short section stay terms
    pointer = TERMS_EN + "\n## Privacy Policy\nOur privacy policy explains how we use your data.\n"
    assert classify_document(pointer, title="Terms of Service").document_type == "terms"


def test_a_page_titled_privacy_beside_other_policies_is_a_privacy_policy() -> None:
    title = "Privacy, Security, and Accessibility Policies"
    doc = classify_document(SECURITY_AND_ACCESSIBILITY, title=title)
    assert doc.document_type == "privacy_policy", doc.reason
    # a title naming terms as well leaves the verdict to the model: terms stay terms
    doc = classify_document(TERMS_EN, title="Google Terms of Service – Privacy & Terms")
    assert doc.document_type == "terms", doc.reason
