"""Privacy-link discovery on homepages: old table layouts, modern footers, many languages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.links import (
    COMMON_POLICY_PATHS,
    LinkCandidate,
    common_policy_urls,
    find_frame_urls,
    find_policy_links,
    frames_to_search,
    links_to_follow,
    meta_refresh_target,
    registrable_domain,
    same_site,
)

HOME = "http://www.example.com/"

OLD_TABLE_PAGE = """<HTML><HEAD><TITLE>Acme Widgets - Home</TITLE>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1"></HEAD>
<BODY BGCOLOR="#FFFFFF" leftmargin=0 topmargin=0>
<TABLE WIDTH=760 BORDER=0 CELLPADDING=0 CELLSPACING=0>
<TR><TD><IMG SRC="images/spacer.gif" WIDTH=1 HEIGHT=1></TD>
<TD><A HREF="products.html"><IMG SRC="images/nav_products.gif" ALT="Products" BORDER=0></A></TD>
<TD><A HREF="about.html"><IMG SRC="images/nav_about.gif" ALT="About Us" BORDER=0></A></TD></TR>
<TR><TD COLSPAN=3><FONT FACE="Verdana" SIZE=2>Welcome to Acme! We sell widgets since 1998.
<P><A HREF="news/2005.html">Read the 2005 newsletter</A></FONT></TD></TR>
<TR><TD COLSPAN=3 ALIGN=center><FONT SIZE=1>&copy; 2005 Acme Inc. |
<A HREF="contact.html">Contact</A> |
<A HREF="privacy.html">Privacy Policy</A> |
<A HREF="terms.html">Terms of Use</A></FONT></TD></TR>
</TABLE></BODY></HTML>"""

IMAGE_BUTTON_PAGE = """<html><body><table><tr>
<td><a href="/shop.asp"><img src="/img/btn_shop.gif" alt="Shop"></a></td>
<td><a href="/legal/priv.asp"><img src="/img/btn_priv.gif" alt="Privacy Policy" border="0"></a></td>
</tr></table></body></html>"""

MODERN_FOOTER = """<!doctype html><html lang="en">
<head><meta charset="utf-8"><title>Shop</title></head><body>
<header><nav><a href="/">Home</a><a href="/deals">Deals</a><a href="/account">Account</a>
</nav></header><main><h1>Spring sale</h1><p>Up to 50% off.</p>
<a href="/blog/privacy-tips">5 privacy tips for your smart home</a></main>
<footer class="site-footer"><ul>
<li><a href="/legal/terms">Terms of Use</a></li>
<li><a href="/legal/privacy">Privacy</a></li>
<li><a href="/legal/cookies">Cookie Policy</a></li>
<li><a href="/privacy/choices">Your Privacy Choices</a></li>
<li><a href="/ccpa/opt-out">Do Not Sell or Share My Personal Information</a></li>
<li><a href="https://optout.aboutads.info/">AdChoices</a></li>
<li><a href="mailto:privacy@example.com">privacy@example.com</a></li>
</ul></footer></body></html>"""


def _links(body: str, lang: str = "en") -> str:
    filler = "".join(f'<a href="/p/{i}">Product {i}</a>' for i in range(8))
    return (
        f'<html lang="{lang}"><body><div>{filler}</div><div id="footer">{body}</div></body></html>'
    )


MULTILINGUAL = [
    (
        "de",
        '<a href="/impressum">Impressum</a> <a href="/datenschutz">Datenschutz</a>',
        "/datenschutz",
    ),
    (
        "de",
        '<a href="/agb">AGB</a> <a href="/ds.html">Datenschutzerklärung</a>',
        "/ds.html",
    ),
    (
        "fr",
        '<a href="/mentions-legales">Mentions légales</a> '
        '<a href="/pdc">Politique de confidentialité</a>',
        "/pdc",
    ),
    ("fr", '<a href="/cgu">CGU</a> <a href="/dp">Données personnelles</a>', "/dp"),
    (
        "es",
        '<a href="/aviso-legal">Aviso legal</a> <a href="/pp">Política de privacidad</a>',
        "/pp",
    ),
    ("it", '<a href="/note">Note legali</a> <a href="/ip">Informativa sulla privacy</a>', "/ip"),
    ("nl", '<a href="/voorwaarden">Voorwaarden</a> <a href="/pv">Privacyverklaring</a>', "/pv"),
    ("nl", '<a href="/pb">Privacybeleid</a>', "/pb"),
    (
        "pt",
        '<a href="/termos">Termos de uso</a> <a href="/pol">Política de Privacidade</a>',
        "/pol",
    ),
    ("sv", '<a href="/villkor">Villkor</a> <a href="/ip">Integritetspolicy</a>', "/ip"),
    ("pl", '<a href="/regulamin">Regulamin</a> <a href="/pp">Polityka prywatności</a>', "/pp"),
    ("ja", '<a href="/kiyaku">利用規約</a> <a href="/pp">プライバシーポリシー</a>', "/pp"),
    ("ja", '<a href="/kojin">個人情報保護方針</a>', "/kojin"),
    ("zh", '<a href="/tos">服务条款</a> <a href="/ys">隐私政策</a>', "/ys"),
    ("zh-TW", '<a href="/ys">隱私權政策</a>', "/ys"),
    ("ko", '<a href="/pp">개인정보처리방침</a>', "/pp"),
    ("ru", '<a href="/pk">Политика конфиденциальности</a>', "/pk"),
]


@pytest.mark.parametrize(("lang", "body", "path"), MULTILINGUAL)
def test_multilingual_policy_link_is_best(lang: str, body: str, path: str) -> None:
    found = find_policy_links(_links(body, lang), HOME)
    assert found, f"no candidate in {lang}"
    assert found[0].url == "http://www.example.com" + path
    assert "footer" in found[0].reason


BEST_LINK_CASES = [
    pytest.param(
        OLD_TABLE_PAGE,
        "http://www.acme.com/index.html",
        "http://www.acme.com/privacy.html",
        id="2005-table",
    ),
    pytest.param(
        IMAGE_BUTTON_PAGE, "http://acme.com/", "http://acme.com/legal/priv.asp", id="img-alt"
    ),
    pytest.param(
        MODERN_FOOTER,
        "https://shop.example.com/",
        "https://shop.example.com/legal/privacy",
        id="modern-footer",
    ),
    pytest.param(
        '<html><head><base href="http://www.example.com/site/"></head><body>'
        '<a href="privacy.php">Privacy</a></body></html>',
        "http://example.com/",
        "http://www.example.com/site/privacy.php",
        id="base-href",
    ),
    pytest.param(
        '<a href="../legal/./privacy.htm#section2">Privacy Statement</a>',
        "http://www.example.com/en/home/index.htm",
        "http://www.example.com/en/legal/privacy.htm",
        id="relative-dots-and-fragment",
    ),
    pytest.param(
        "<a href='javascript:openWin(\"privacy.html\",500,400)'>Privacy</a>",
        "http://www.example.com/main/",
        "http://www.example.com/main/privacy.html",
        id="javascript-popup-target",
    ),
    pytest.param(
        '<img src="map.gif" usemap="#m"><map name="m">'
        '<area shape="rect" coords="0,0,50,10" href="/privacy.html" alt="Privacy">'
        '<area shape="rect" coords="50,0,90,10" href="/contact.html" alt="Contact"></map>',
        HOME,
        "http://www.example.com/privacy.html",
        id="image-map-area",
    ),
    pytest.param(
        '<a href="/x7" aria-label="Privacy policy"><svg viewBox="0 0 9 9"></svg></a>',
        HOME,
        "http://www.example.com/x7",
        id="aria-label-only",
    ),
    pytest.param(
        '<a href="/p" title="Our privacy policy">&raquo;</a>',
        HOME,
        "http://www.example.com/p",
        id="title-only",
    ),
    pytest.param(
        '<a href="/privacy-policy/">Read more</a> <a href="/about/">About</a>',
        HOME,
        "http://www.example.com/privacy-policy/",
        id="url-words-only",
    ),
    pytest.param(
        '<head><link rel="privacy-policy" href="/legal/pp"></head><body>'
        '<a href="/privacy-tips">Privacy tips</a></body>',
        HOME,
        "http://www.example.com/legal/pp",
        id="link-rel-privacy-policy",
    ),
    pytest.param(
        '<a href="/p"\n>Privacy&nbsp;\n   &amp;\n\tCookies   Policy</a>',
        HOME,
        "http://www.example.com/p",
        id="entities-and-whitespace",
    ),
    pytest.param(
        '<a href="\n  /privacy.html\n">Privacy</a>',
        HOME,
        "http://www.example.com/privacy.html",
        id="whitespace-in-href",
    ),
    pytest.param(
        '<table><tr><td><a href="/privacy.htm">PRIVACY POLICY<td><a href="/x">X',
        HOME,
        "http://www.example.com/privacy.htm",
        id="unclosed-tags",
    ),
    pytest.param(
        '<iframe src="/legal/privacy-policy.html" title="Privacy policy"></iframe>',
        HOME,
        "http://www.example.com/legal/privacy-policy.html",
        id="iframe",
    ),
    pytest.param(
        '<frameset cols="20%,80%"><frame src="menu.html" name="menu">'
        '<frame src="privacy.html" name="privacy"></frameset>',
        "http://www.example.com/index.html",
        "http://www.example.com/privacy.html",
        id="frameset-frame",
    ),
    pytest.param(
        '<p>By signing up you agree to our <a href="/terms">Terms</a> and '
        '<a href="/privacy">Privacy Policy</a>.</p>',
        HOME,
        "http://www.example.com/privacy",
        id="sign-up-sentence",
    ),
    pytest.param(
        '<a href="http://www.netregistry.com.au/customer-service/legals/privacy-policy.php">'
        "Privacy Policy</a>",
        "http://www.interactmedia.com.au/",
        "http://www.netregistry.com.au/customer-service/legals/privacy-policy.php",
        id="policy-on-other-host",
    ),
    pytest.param(
        '<a href="//privacy.example.com/">Privacy Center</a>',
        "https://www.example.com/",
        "https://privacy.example.com/",
        id="protocol-relative-subdomain",
    ),
    pytest.param(
        '<a href="/legal?doc=privacy&amp;lang=en">Privacy</a>',
        HOME,
        "http://www.example.com/legal?doc=privacy&lang=en",
        id="query-string",
    ),
    pytest.param(
        '<a href="/über/datenschutz">Datenschutz</a>',
        "http://www.beispiel.de/",
        "http://www.beispiel.de/%C3%BCber/datenschutz",
        id="non-ascii-path-percent-encoded",
    ),
]


@pytest.mark.parametrize(("html", "base", "expected"), BEST_LINK_CASES)
def test_best_candidate(html: str, base: str, expected: str) -> None:
    found = find_policy_links(html, base)
    assert found, "no candidate"
    assert found[0].url == expected
    assert isinstance(found[0], LinkCandidate)


def test_old_table_page_details() -> None:
    found = find_policy_links(OLD_TABLE_PAGE, "http://www.acme.com/index.html")
    assert [c.url for c in found] == ["http://www.acme.com/privacy.html"]
    best = found[0]
    assert best.anchor == "Privacy Policy"
    assert "anchor:privacy policy" in best.reason
    assert "url:privacy" in best.reason
    assert "late in page" in best.reason


def test_modern_footer_ranking() -> None:
    found = find_policy_links(MODERN_FOOTER, "https://shop.example.com/")
    urls = [c.url for c in found]
    rank = {u.removeprefix("https://shop.example.com"): i for i, u in enumerate(urls)}
    # the policy first; cookie policy, choices and opt-out links are weaker candidates
    assert rank["/legal/privacy"] == 0
    assert {"/legal/cookies", "/privacy/choices", "/ccpa/opt-out"} <= set(rank)
    # mailto: is never a candidate; terms of use is not a privacy link
    assert not any(u.startswith("mailto:") for u in urls)
    assert "https://shop.example.com/legal/terms" not in urls
    # the blog post about privacy is a weak candidate at best, below the policy
    if "/blog/privacy-tips" in rank:
        assert rank["/blog/privacy-tips"] > rank["/legal/privacy"]
    choices = found[rank["/privacy/choices"]]
    assert "settings/opt-out link" in choices.reason


@pytest.mark.parametrize(
    "penalised",
    [
        "Privacy Settings",
        "Cookie Settings",
        "Manage Cookies",
        "Do Not Sell My Personal Information",
        "AdChoices",
        "Your Privacy Choices",
        "Privacy preferences",
        "Datenschutz-Einstellungen",
    ],
)
def test_settings_and_opt_out_links_rank_below_policy(penalised: str) -> None:
    html = _links(f'<a href="/a">{penalised}</a> <a href="/b">Privacy Policy</a>')
    found = find_policy_links(html, HOME, min_score=0.0)
    urls = [c.url for c in found]
    assert urls[0] == "http://www.example.com/b"
    policy = found[0].score
    other = [c.score for c in found if c.url.endswith("/a")]
    assert not other or other[0] < policy - 3


@pytest.mark.parametrize(
    "href",
    [
        "mailto:privacy@example.com",
        "MAILTO:privacy@example.com",
        "tel:+15551234567",
        "javascript:void(0)",
        "javascript:;",
        "data:text/html,privacy",
        "ftp://ftp.example.com/privacy.txt",
        "#",
    ],
)
def test_non_page_links_are_excluded(href: str) -> None:
    assert find_policy_links(f'<a href="{href}">Privacy Policy</a>', HOME) == []


def test_pdf_policy_is_a_candidate_below_html() -> None:
    html = '<a href="/docs/privacy.pdf">Privacy Policy</a> <a href="/privacy">Privacy Policy</a>'
    found = find_policy_links(html, HOME)
    assert [c.url for c in found] == [
        "http://www.example.com/privacy",
        "http://www.example.com/docs/privacy.pdf",
    ]
    assert "pdf" in found[1].reason


def test_pdf_only_policy_is_kept() -> None:
    found = find_policy_links('<a href="/files/Privacy.PDF">Privacy policy</a>', HOME)
    assert [c.url for c in found] == ["http://www.example.com/files/Privacy.PDF"]


def test_image_link_ranks_below_page() -> None:
    html = (
        '<a href="/img/privacy.gif">Privacy Policy</a> <a href="/privacy.html">Privacy Policy</a>'
    )
    found = find_policy_links(html, HOME, min_score=0.0)
    assert found[0].url == "http://www.example.com/privacy.html"
    assert all(c.score < found[0].score - 5 for c in found[1:])


def test_same_page_link_is_penalised() -> None:
    html = '<a href="/privacy#top">Privacy Policy</a>'
    on_home = find_policy_links(html, HOME)[0]
    on_itself = find_policy_links(html, "http://www.example.com/privacy", min_score=0.0)[0]
    assert on_itself.url == on_home.url == "http://www.example.com/privacy"
    assert on_itself.score < on_home.score
    assert "same page" in on_itself.reason


def test_other_host_is_kept_with_small_penalty() -> None:
    html = (
        '<a href="https://legal.partner.net/privacy">Privacy Policy</a>'
        '<a href="/privacy">Privacy Policy</a>'
    )
    found = find_policy_links(html, "https://www.example.com/")
    assert [c.url for c in found] == [
        "https://www.example.com/privacy",
        "https://legal.partner.net/privacy",
    ]
    assert "other host" in found[1].reason
    assert found[0].score - found[1].score <= 2.0


def test_partner_policy_ranks_below_own() -> None:
    html = (
        "<p>We use Google Analytics; see "
        '<a href="https://policies.google.com/privacy">Google\u2019s Privacy Policy</a>.</p>'
        '<footer><a href="https://www.example.com/about/privacy">Privacy policy</a></footer>'
    )
    found = find_policy_links(html, "https://www.example.com/")
    assert found[0].url == "https://www.example.com/about/privacy"
    assert "another company's policy" in found[1].reason


def test_deduplicates_by_url_keeping_best() -> None:
    html = (
        '<nav><a href="/privacy-policy">Legal</a></nav><main>text</main>'
        '<footer><a href="/privacy-policy#contact">Privacy Policy</a></footer>'
    )
    found = find_policy_links(html, HOME)
    assert len(found) == 1
    assert found[0].anchor == "Privacy Policy"
    assert found[0].url == "http://www.example.com/privacy-policy"


def test_footer_bonus_breaks_ties() -> None:
    html = (
        '<div class="header"><a href="/privacy-a">Privacy</a></div>'
        '<div class="page-footer"><a href="/privacy-b">Privacy</a></div>'
    )
    found = find_policy_links(html, HOME)
    assert [c.url for c in found] == [
        "http://www.example.com/privacy-b",
        "http://www.example.com/privacy-a",
    ]


def test_min_score_filters() -> None:
    html = '<a href="/privacy">Privacy Policy</a><a href="/cookies">Cookies</a>'
    everything = find_policy_links(html, HOME, min_score=0.0)
    strict = find_policy_links(html, HOME, min_score=10.0)
    assert len(everything) == 2
    assert [c.url for c in strict] == ["http://www.example.com/privacy"]
    assert all(c.score >= 10.0 for c in strict)


def test_results_are_sorted_best_first() -> None:
    found = find_policy_links(MODERN_FOOTER, "https://shop.example.com/", min_score=0.0)
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "html",
    [
        "",
        b"",
        "   \n\t ",
        "<!-- nothing here -->",
        "<html><body><p>No links at all.</p></body></html>",
        '<a href="/about">About</a><a href="/shop">Shop</a>',
        b"\x00\x01\x02\xff\xfe garbage \x89PNG",
        "<a href=>Privacy</a>",
        "<a>Privacy Policy</a>",
    ],
)
def test_nothing_found(html: str | bytes) -> None:
    assert find_policy_links(html, HOME) == []


@pytest.mark.parametrize(
    ("body", "anchor"),
    [
        (
            '<meta charset="iso-8859-1"><a href="/c">Confidentialité</a>'.encode("latin-1"),
            "Confidentialité",
        ),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            '<a href="/c">Política de privacidad</a>'.encode("cp1252"),
            "Política de privacidad",
        ),
        (
            '<meta charset="shift_jis"><a href="/c">プライバシーポリシー</a>'.encode("shift_jis"),
            "プライバシーポリシー",
        ),
        ('<a href="/c">Polityka prywatności</a>'.encode(), "Polityka prywatności"),
        ('<a href="/c">Datenschutzerklärung</a>'.encode("utf-16"), "Datenschutzerklärung"),
        (
            '<meta charset="gb2312"><a href="/c">隐私政策</a>'.encode("gb2312"),
            "隐私政策",
        ),
    ],
)
def test_bytes_in_any_encoding(body: bytes, anchor: str) -> None:
    found = find_policy_links(body, HOME)
    assert [(c.url, c.anchor) for c in found] == [("http://www.example.com/c", anchor)]


def test_xhtml_with_xml_declaration_as_str() -> None:
    html = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body>'
        '<a href="privacy.xhtml">Privacy</a></body></html>'
    )
    assert find_policy_links(html, HOME)[0].url == "http://www.example.com/privacy.xhtml"


def test_frame_urls_for_framesets() -> None:
    html = (
        '<frameset rows="80,*"><frame src="top.html"><frame src="/main/home.html">'
        '<frame src="top.html"></frameset>'
    )
    assert find_frame_urls(html, "http://www.example.com/index.html") == [
        "http://www.example.com/top.html",
        "http://www.example.com/main/home.html",
    ]
    assert find_frame_urls("", HOME) == []


def test_first_base_href_wins() -> None:
    html = (
        '<head><base href="http://a.example.com/x/"><base href="http://b.example.com/">'
        '</head><a href="privacy">Privacy</a>'
    )
    assert find_policy_links(html, HOME)[0].url == "http://a.example.com/x/privacy"


def test_common_policy_urls_for_bare_site() -> None:
    urls = common_policy_urls("example.com")
    assert urls[:4] == [
        "http://www.example.com/privacy",
        "http://example.com/privacy",
        "http://www.example.com/privacy-policy",
        "http://example.com/privacy-policy",
    ]
    assert len(urls) == 2 * len(COMMON_POLICY_PATHS)
    assert "http://www.example.com/datenschutz" in urls
    assert "http://example.com/legal/privacy" in urls
    assert len(set(urls)) == len(urls)


@pytest.mark.parametrize(
    ("given", "first_two"),
    [
        (
            "https://www.example.com/en/index.html",
            ["https://www.example.com/privacy", "https://example.com/privacy"],
        ),
        ("www.example.com", ["http://www.example.com/privacy", "http://example.com/privacy"]),
        (
            "http://shop.example.co.uk/",
            ["http://shop.example.co.uk/privacy", "http://shop.example.co.uk/privacy-policy"],
        ),
        (
            "http://127.0.0.1:8080/",
            ["http://127.0.0.1:8080/privacy", "http://127.0.0.1:8080/privacy-policy"],
        ),
        ("bücher.de", ["http://www.xn--bcher-kva.de/privacy", "http://xn--bcher-kva.de/privacy"]),
        ("http://[::1]:8080/", ["http://[::1]:8080/privacy", "http://[::1]:8080/privacy-policy"]),
        (
            "http://user@Example.COM/",
            ["http://example.com/privacy", "http://www.example.com/privacy"],
        ),
        (
            "netregistry.com.au",
            ["http://www.netregistry.com.au/privacy", "http://netregistry.com.au/privacy"],
        ),
    ],
)
def test_common_policy_urls_forms(given: str, first_two: list[str]) -> None:
    assert common_policy_urls(given)[:2] == first_two


def test_common_paths_are_paths() -> None:
    assert all(p.startswith("/") for p in COMMON_POLICY_PATHS)
    assert {"/privacy", "/privacy-policy", "/privacy.html", "/privacy.php"} <= set(
        COMMON_POLICY_PATHS
    )
    assert len(set(COMMON_POLICY_PATHS)) == len(COMMON_POLICY_PATHS)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("www.example.com", "example.com", True),
        ("privacy.example.com", "www.example.com", True),
        ("www.netregistry.com.au", "interactmedia.com.au", False),
        ("a.example.co.uk", "b.example.co.uk", True),
        ("example.co.uk", "other.co.uk", False),
        ("127.0.0.1", "127.0.0.1", True),
    ],
)
def test_same_site(a: str, b: str, same: bool) -> None:
    assert same_site(a, b) is same


def test_registrable_domain() -> None:
    assert registrable_domain("www.netregistry.com.au") == "netregistry.com.au"
    assert registrable_domain("WWW.Example.COM.") == "example.com"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"


HREFS = st.sampled_from(
    [
        "/privacy",
        "privacy.html#x",
        "http://[::1/privacy",
        "http://-bad-.com/privacy",
        "http://xn--zz.com/privacy",
        "http://exa mple.com/privacy",
        "https://例え.jp/プライバシー",
        "javascript:open('privacy.htm')",
        "//",
        "http://",
        "\x00",
        "%zz",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    hrefs=st.lists(HREFS, max_size=6),
    anchors=st.lists(st.text(max_size=30), max_size=6),
    junk=st.text(max_size=60),
    base=st.sampled_from([HOME, "", "not a url", "http://[::1/", "https://例え.jp/"]),
)
def test_never_raises_and_results_are_unique(
    hrefs: list[str], anchors: list[str], junk: str, base: str
) -> None:
    html = junk + "".join(
        f'<a href="{h}">{a} privacy policy</a>' for h, a in zip(hrefs, anchors, strict=False)
    )
    for doc in (html, html.encode("utf-8", "surrogatepass")):
        found = find_policy_links(doc, base)
        urls = [c.url for c in found]
        assert len(urls) == len(set(urls))
        assert all(u.startswith(("http://", "https://")) and "#" not in u for u in urls)
        assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


@pytest.mark.parametrize("bad", ["[", "http://", "://"])
def test_common_policy_urls_refuses_non_sites(bad: str) -> None:
    with pytest.raises(ValueError, match="not a site or homepage URL"):
        common_policy_urls(bad)
    assert common_policy_urls("  ") == []


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<html><head><meta http-equiv="refresh" content="0; URL=/legal/privacy.php">',
            "http://www.a.example/legal/privacy.php",
        ),
        (  # quoted URL, other case, a few seconds' delay: still a moved page
            "<HEAD><META HTTP-EQUIV='Refresh' CONTENT=\"5;url='http://b.example/p.html'\">",
            "http://b.example/p.html",
        ),
        ('<meta http-equiv="refresh" content="600; url=/later.html">', None),  # a slow reload
        ('<meta http-equiv="refresh" content="30">', None),  # reloads itself
        ('<meta http-equiv="refresh" content="0; url=privacy.html">', None),  # the same page
        ('<noscript><meta http-equiv="refresh" content="0;url=/nojs.html"></noscript>', None),
        ('<meta http-equiv="refresh" content="0;url=mailto:x@a.example">', None),
        ("<p>Please refresh the page.</p>", None),
        (  # a real page with a timed refresh is not a stub: it stays the page
            '<meta http-equiv="refresh" content="5; url=/home.html"><p>'
            + "We collect your name and email address to run the service. " * 12
            + "</p>",
            None,
        ),
        (b"", None),
    ],
)
def test_meta_refresh_target(html: str, expected: str | None) -> None:
    assert meta_refresh_target(html, "http://www.a.example/privacy.html") == expected
    if isinstance(html, str):
        assert meta_refresh_target(html.encode(), "http://www.a.example/privacy.html") == expected


def test_frames_to_search_are_same_site_and_few() -> None:
    html = (
        '<frameset cols="20%,80%"><frame src="menu.html"><frame src="/main/home.html">'
        '</frameset><iframe src="http://ads.tracker.example/ad"></iframe>'
        '<iframe src="https://shop.example.com/x"></iframe><iframe src="/a"></iframe>'
        '<iframe src="/b"></iframe>'
    )
    assert frames_to_search(html, "http://www.example.com/index.html") == [
        "http://www.example.com/menu.html",
        "http://www.example.com/main/home.html",
        "https://shop.example.com/x",
    ]
    assert frames_to_search("<p>no frames</p>", HOME) == []


LEGAL_HUB = """<html><body><h1>Legal notice</h1><p>Published by Example Ltd.</p><ul>
<li><a href="/legal.html">Legal</a></li>
<li><a href="https://example.com/privacy/">Privacy</a></li>
<li><a href="data-protection.html">Privacy Policy</a></li>
<li><a href="/cookies.html">Cookie Policy</a></li></ul></body></html>"""


@pytest.mark.parametrize(
    ("page_url", "tried", "limit", "expected"),
    [
        # best first, at most 2; relative links resolve against the page's original URL
        (
            "http://www.example.com/about/legal.html",
            (),
            2,
            ["http://www.example.com/about/data-protection.html", "https://example.com/privacy/"],
        ),
        # a link already tried is not taken again, whatever its scheme, www. or trailing slash
        (
            "http://www.example.com/about/legal.html",
            ("http://www.example.com/privacy",),
            2,
            [
                "http://www.example.com/about/data-protection.html",
                "http://www.example.com/cookies.html",
            ],
        ),
        (
            "http://www.example.com/legal.html",
            ("https://example.com/data-protection.html/",),
            1,
            ["https://example.com/privacy/"],
        ),
        # the page itself is never a link to follow, even when it links itself as "Privacy"
        (
            "https://example.com/privacy/",
            (),
            2,
            [
                "https://example.com/privacy/data-protection.html",
                "https://example.com/cookies.html",
            ],
        ),
        ("http://www.example.com/legal.html", (), 0, []),
    ],
)
def test_links_to_follow_from_a_refused_page(
    page_url: str, tried: tuple[str, ...], limit: int, expected: list[str]
) -> None:
    urls = [c.url for c in links_to_follow(LEGAL_HUB, page_url, tried, limit)]
    assert urls == expected


def test_links_to_follow_on_a_page_without_links() -> None:
    assert links_to_follow(b"", HOME) == []
    assert links_to_follow("<p>Legal notice. No links.</p>", HOME) == []
