"""Rule-based clause attributes, one table per attribute kind."""

from __future__ import annotations

import dataclasses

import pytest

from pipelines.storage.schemas import ATTRIBUTE_FIELDS
from pipelines.text.attributes import (
    Attributes,
    decode_cfemail,
    extract_attributes,
    merge_attributes,
    page_emails_from_html,
)


def test_field_names_match_the_parquet_columns() -> None:
    assert [f.name for f in dataclasses.fields(Attributes)] == [f.name for f in ATTRIBUTE_FIELDS]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We collect your name, email address and phone number.", ["Contact"]),
        ("We store your credit card number to bill you.", ["Financial"]),
        ("The app uses your precise location and zip code.", ["Location"]),
        ("Our servers log your IP address.", ["IP address and device IDs"]),
        ("We use cookies and web beacons.", ["Cookies and tracking elements"]),
        ("You may tell us your gender and date of birth.", ["Demographic"]),
        ("We never collect medical information.", ["Health"]),
        ("We record the pages you visit and your search history.", ["User online activities"]),
        ("Choose a username and password.", ["User profile"]),
        ("We see your browser type and operating system.", ["Computer information"]),
        ("We may share personally identifiable information.", ["Generic personal information"]),
        ("We ask for your Social Security number.", ["Personal identifier"]),
        ("If you log in with Facebook we read your friends list.", ["Social media data"]),
        ("Answers you give in our surveys are kept.", ["Survey data"]),
        ("This policy may change from time to time.", []),
    ],
)
def test_data_types(text: str, expected: list[str]) -> None:
    assert extract_attributes(text).data_types == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('We verify cards through a clearing company "PayPal".', ["payment processors", "PayPal"]),
        ("We use Google Analytics to count visits.", ["Google Analytics"]),
        ("Ads are served by Google's DoubleClick.", ["Google", "DoubleClick"]),
        ("Payments are handled by Stripe.", ["Stripe"]),
        (
            "We share data with advertisers and analytics providers.",
            ["advertisers", "analytics providers"],
        ),
        ("We pass details to domain name registries.", ["domain name registries"]),
        ("We may disclose it to law enforcement.", ["law enforcement"]),
        ("Our affiliates and service providers see it.", ["affiliates", "service providers"]),
        ("Share on social networks like Facebook.", ["social networks", "Facebook"]),
        ("Paypal and PAYPAL are the same company.", ["PayPal"]),
        ("We stripe the data across disks.", []),
        ("An apple a day.", []),
    ],
)
def test_third_parties(text: str, expected: list[str]) -> None:
    assert extract_attributes(text).third_parties == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We show you interest-based advertising.", ["advertising"]),
        ("We use the data for research and statistics.", ["analytics/research"]),
        ("We use it to process your orders.", ["service operation"]),
        ("We use it to prevent fraud.", ["security"]),
        ("We disclose it to comply with a subpoena.", ["legal"]),
        ("We send you newsletters.", ["marketing"]),
        ("We personalize your experience.", ["personalization"]),
    ],
)
def test_purposes(text: str, expected: list[str]) -> None:
    assert extract_attributes(text).purposes == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Click the [opt out](https://x.org/optout) page.", ["opt-out link"]),
        ("To opt out, send us an email at privacy@x.org.", ["opt-out via email"]),
        ("You can set your browser to refuse cookies.", ["browser/cookie settings"]),
        ("Use the unsubscribe link in any email.", ["unsubscribe link"]),
        ("Change this in your account settings.", ["account settings"]),
        ("We do not respond to Do Not Track signals.", ["do not track"]),
        ("You may opt in to receive offers.", ["opt-in"]),
        ("Visit www.aboutads.info/choices to opt out.", ["industry opt-out"]),
    ],
)
def test_choices(text: str, expected: list[str]) -> None:
    assert extract_attributes(text).choices == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We keep server logs for 30 days.", [30]),
        ("Records are retained for two years.", [730]),
        ("We store data for 18 months.", [548]),
        ("Backups are deleted after six (6) months.", [183]),
        ("Cookies expire after one year.", [365]),
        ("We retain it for a year.", [365]),
        ("We retain it for 12-24 months.", [365, 730]),
        ("We delete it within 72 hours.", [3]),
        ("We retain data for 2 weeks, then 90-day archives.", [14, 90]),
        ("We do not keep data of children under 13 years of age.", []),
        ("You must be 18 years or older to store files.", []),
        ("We respond within 30 days.", []),  # no retention wording
        ("Support is stored and staffed 24 hours a day.", []),
    ],
)
def test_retention_days(text: str, expected: list[int]) -> None:
    assert extract_attributes(text).retention_days == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We follow the GDPR and the CCPA.", ["GDPR", "CCPA"]),
        ("General Data Protection Regulation (GDPR)", ["GDPR"]),
        ("the California Privacy Rights Act", ["CPRA"]),
        ("Children's Online Privacy Protection Act (COPPA)", ["COPPA"]),
        ("Under CalOPPA we disclose how we respond to DNT.", ["CalOPPA"]),
        ("We comply with PIPEDA.", ["PIPEDA"]),
        ("We publish a P3P compact policy.", ["P3P"]),
        ("We adhere to the U.S.-EU Safe Harbor Framework.", ["Safe Harbor"]),
        ("We are certified under the EU-U.S. Privacy Shield.", ["Privacy Shield"]),
        (
            "The Australian Privacy Principles in the Privacy Act 1988 apply.",
            ["Australian Privacy Principles", "Privacy Act 1988 (Australia)"],
        ),
        ("Protected health information under HIPAA; records under FERPA.", ["HIPAA", "FERPA"]),
        ("Emails comply with the CAN-SPAM Act.", ["CAN-SPAM"]),
        (
            "the ePrivacy Directive and the Data Protection Act 1998",
            ["ePrivacy Directive", "Data Protection Act 1998 (UK)"],
        ),
        ("Brazil's LGPD and the Virginia Consumer Data Protection Act", ["LGPD", "VCDPA"]),
        ("We are a member of the TRUSTe privacy program.", ["TRUSTe"]),
        ("the UK GDPR", ["UK GDPR"]),
        # not the framework: COPPA's safe harbor, the DMCA's, or the ordinary phrase
        ("We joined an FTC-approved COPPA Safe Harbor program.", ["COPPA"]),
        ("The DMCA Safe Harbor protects hosts.", []),
        ("a safe harbor for forward-looking statements", []),
    ],
)
def test_laws(text: str, expected: list[str]) -> None:
    assert extract_attributes(text).laws == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Servers are in the Netherlands and the United States.", ["Netherlands", "United States"]),
        (
            "Data may move outside the EEA or the European Union.",
            ["European Economic Area", "European Union"],
        ),
        ("We are a U.S. company with staff in the UK.", ["United States", "United Kingdom"]),
        ("Residents of New South Wales, Australia.", ["Australia"]),
        ("Our office in New Jersey and New Mexico.", []),
        ("Offices in Atlanta, Georgia.", []),
        ("Offices in Texas and Georgia.", []),
        ("Customers in Georgia, Armenia and Azerbaijan.", ["Georgia", "Armenia", "Azerbaijan"]),
        ("Our processor is in Jersey, Channel Islands.", ["Jersey"]),
        ("A woman from Indiana visited Romania.", ["Romania"]),
        ("Papua New Guinea is not Guinea.", ["Papua New Guinea", "Guinea"]),
        ("CONTACT US for help.", []),
        ("Transfers to the US are covered.", ["United States"]),
    ],
)
def test_countries(text: str, expected: list[str]) -> None:
    assert extract_attributes(text).countries == expected


def test_emails_are_lowercased_deduplicated_and_ordered() -> None:
    text = (
        "Email [Privacy@Example.com](mailto:privacy@example.com) or legal@example.org; "
        "again PRIVACY@EXAMPLE.COM, or dpo (at) example (dot) eu."
    )
    assert extract_attributes(text).contact_emails == [
        "privacy@example.com",
        "legal@example.org",
        "dpo@example.eu",
    ]


# A real Cloudflare encoding computed for this test: key 0x5a, then each byte of
# "Privacy@Example.com" XOR 0x5a.
CF_HEX = "5a0a28332c3b39231a1f223b372a363f74393537"


def test_decode_cfemail() -> None:
    assert decode_cfemail(CF_HEX) == "Privacy@Example.com"
    key = 0x21
    encoded = bytes([key, *(b ^ key for b in b"dpo@site.org")]).hex()
    assert decode_cfemail(encoded) == "dpo@site.org"
    with pytest.raises(ValueError):
        decode_cfemail("zz")


def test_page_emails_from_html() -> None:
    html = (
        f'<a href="/cdn-cgi/l/email-protection#{CF_HEX}">write</a>'
        f'<a class="__cf_email__" data-cfemail="{CF_HEX}">[email&#160;protected]</a>'
        '<a href="mailto:Help@Site.org?subject=Privacy">help</a>'
        '<span data-cfemail="zz-not-hex">x</span>'
    )
    assert page_emails_from_html(html) == ["privacy@example.com", "help@site.org"]


def test_cloudflare_placeholder_reports_page_emails() -> None:
    # what trafilatura makes of a Cloudflare-protected address
    text = "Write to [\\[email\u00a0protected\\]](/cdn-cgi/l/email-protection) with questions."
    page = ["privacy@example.com", "help@site.org"]
    attrs = extract_attributes(text, page_emails=page)
    assert attrs.contact_emails == page
    assert attrs.contact_urls == []
    assert extract_attributes("Write to [email protected] today.").contact_emails == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("If you have questions, [contact us](https://x.org/help).", ["https://x.org/help"]),
        ("Use our [web form](https://x.org/privacy-request).", ["https://x.org/privacy-request"]),
        ("Read [Google's policy](https://policies.google.com/privacy).", []),
        ("Questions? Visit https://x.org/contact.", ["https://x.org/contact"]),
    ],
)
def test_contact_urls(text: str, expected: list[str]) -> None:
    assert extract_attributes(text).contact_urls == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Write to Acme, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA.",
            ["1600 Amphitheatre Parkway, Mountain View, CA 94043, USA"],
        ),
        ("Mail P.O. Box 123, Springfield, IL 62704.", ["P.O. Box 123, Springfield, IL 62704"]),
        ("Visit 10 Downing Street, London SW1A 2AA.", ["10 Downing Street, London SW1A 2AA"]),
        ("We have 200 staff.", []),
    ],
)
def test_postal_addresses(text: str, expected: list[str]) -> None:
    assert extract_attributes(text).postal_addresses == expected


def test_merge_is_a_first_seen_union() -> None:
    a = Attributes(data_types=["Contact"], laws=["GDPR"], retention_days=[30])
    b = Attributes(
        data_types=["Financial", "Contact"], laws=["CCPA", "GDPR"], retention_days=[30, 7]
    )
    merged = merge_attributes([a, b])
    assert merged.data_types == ["Contact", "Financial"]
    assert merged.laws == ["GDPR", "CCPA"]
    assert merged.retention_days == [30, 7]
    assert merge_attributes([]) == Attributes()


def test_empty_and_odd_text() -> None:
    assert extract_attributes("") == Attributes()
    # a case mapping that changes length ("İ" lowercases to two characters) still works
    assert extract_attributes("İstanbul servers; we use cookies in Turkey.").countries == ["Turkey"]


def test_whitespace_inside_a_phrase_does_not_hide_it() -> None:
    # lexicon phrases are indexed with one space for \s+: runs and line breaks still match
    got = extract_attributes("We collect your e-mail\n   address and  your\tIP   address.")
    assert got.data_types == ["Contact", "IP address and device IDs"]


def test_dotless_i_and_long_s_match_like_ignorecase() -> None:
    # (?i) takes "ı" for i and "ſ" for s, lower() does not: the literal index must too
    got = extract_attributes("Network Advertısing Initiative members; ſocial media plugins.")
    assert got.choices == ["industry opt-out"]
    assert got.data_types == ["Social media data"]


def test_classes_and_long_names_in_the_literal_index() -> None:
    # the literal index expands [o\u00f4] and [-\s], and cuts long names instead of dropping
    # them ("European Economic Area" once indexed as "e")
    got = extract_attributes("Residents of Côte d’Ivoire and the European Economic Area.")
    assert got.countries == ["Ivory Coast", "European Economic Area"]
    assert extract_attributes("Our site honors Do\nNot-Track signals.").choices == ["do not track"]


@pytest.mark.parametrize(
    "html",
    [
        "<a href='MAILTO:A@b.co'>x</a> mailto: mailto:x@y.z MaIlTo:q@w.e",
        "maılto:a@b.co and mailto:d@e.fr",  # dotless i: (?i) matches it, lower() does not
        'İ <a href="mailto:a@b.co">',  # lowercases to two characters
        "mailto:mailto:a@b.co",
        "maİlto:q@w.e o: O:x to: mailto:o:x@y.z",  # "o:" everywhere, İ matching (?i)i
    ],
)
def test_mailto_links_found_like_the_case_insensitive_regex(html: str) -> None:
    from pipelines.text.attributes import _MAILTO, _mailto_links

    assert [m.span() for m in _mailto_links(html)] == [m.span() for m in _MAILTO.finditer(html)]
