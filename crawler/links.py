"""Find a site's privacy-policy link on its homepage (live or archived).

Pure functions over HTML: lxml only, no Scrapy. Links are scored by what a reader would use
to spot the policy link: the anchor text (and ``title``/``aria-label``/``<img alt>`` for old
image-button sites) in several languages, words in the URL, and where the link sits (footer,
late in the page, same site). Scores are points, not probabilities: a plain "Privacy Policy"
link to ``/privacy-policy`` in a footer scores about 17; ``DEFAULT_MIN_SCORE`` keeps links
with at least one clear signal.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode
from w3lib.html import get_meta_refresh
from w3lib.url import safe_url_string

logger = logging.getLogger(__name__)

DEFAULT_MIN_SCORE = 4.0

# Paths checked (through the CDX index or live) when a homepage gives no link. Most common
# first: the order is the order of the lookups.
COMMON_POLICY_PATHS: tuple[str, ...] = (
    "/privacy",
    "/privacy-policy",
    "/privacy/",
    "/privacy-policy/",
    "/privacy.html",
    "/privacy.htm",
    "/privacy.php",
    "/privacy.asp",
    "/privacy.aspx",
    "/privacy.jsp",
    "/privacy.shtml",
    "/privacypolicy",
    "/privacypolicy.html",
    "/privacypolicy.htm",
    "/privacypolicy.php",
    "/privacy_policy",
    "/privacy_policy.html",
    "/privacy_policy.php",
    "/privacy-policy.html",
    "/privacy-policy.php",
    "/privacy-notice",
    "/privacy-statement",
    "/legal/privacy",
    "/legal/privacy-policy",
    "/legal/privacy/",
    "/policies/privacy",
    "/policies/privacy-policy",
    "/about/privacy",
    "/about/privacy.html",
    "/info/privacy",
    "/help/privacy",
    "/en/privacy",
    "/en/privacy-policy",
    "/datenschutz",
    "/datenschutz/",
    "/datenschutz.html",
    "/datenschutzerklaerung",
    "/confidentialite",
    "/politique-de-confidentialite",
    "/privacidad",
    "/politica-de-privacidad",
    "/privacidade",
    "/politica-de-privacidade",
    "/privacybeleid",
    "/integritetspolicy",
    "/polityka-prywatnosci",
    # the other languages discovery covers (fr, it, nl, pt, da, sv, pl): their usual paths
    "/datenschutzerklarung",
    "/protection-des-donnees",
    "/donnees-personnelles",
    "/informativa-privacy",
    "/privacyverklaring",
    "/privacyreglement",
    "/aviso-de-privacidad",
    "/politica-privacidad",
    "/politica-de-privacidade/",
    "/privatlivspolitik",
    "/persondatapolitik",
    "/dataskyddspolicy",
    "/personuppgiftspolicy",
    "/ochrona-danych-osobowych",
)

# Anchor phrases, matched on folded text (casefolded, accents removed, whitespace collapsed).
# Weight = how sure the phrase alone makes us; a short anchor that is little more than the
# phrase gets EXACT_BONUS on top.
_PHRASES: tuple[tuple[float, str], ...] = (
    # en: the policy itself
    (10.0, r"privacy (?:and |& )?(?:cookies? )?(?:policy|policies|notice|statement|charter)"),
    (9.0, r"privacy (?:center|centre|information|info|pledge|promise|practices|hub|portal)"),
    (9.0, r"(?:online |website |customer |consumer )privacy"),
    (9.0, r"data (?:privacy|protection) (?:policy|notice|statement)"),
    # de
    (10.0, r"datenschutz ?(?:erklarung|erklaerung|hinweise?|richtlinien?|bestimmungen|policy)"),
    (9.0, r"datenschutz"),
    # fr
    (
        10.0,
        r"(?:politique|charte|declaration|avis) (?:de |sur la |relative a la )?"
        r"(?:confidentialite|vie privee|protection des donnees)",
    ),
    (9.0, r"confidentialite"),
    (9.0, r"vie privee"),
    (8.0, r"donnees (?:personnelles|a caractere personnel)"),
    (8.0, r"protection des donnees"),
    # es / pt
    (10.0, r"(?:politica|aviso|declaracion) de privacidad"),
    (10.0, r"(?:politica|aviso|declaracao) de privacidade"),
    (9.0, r"privacidad"),
    (9.0, r"privacidade"),
    (8.0, r"proteccion de datos|protecao de dados"),
    # it
    (
        10.0,
        r"informativa (?:sulla |per la |in materia di )?(?:privacy|riservatezza)|"
        r"informativa (?:sul )?trattamento|(?:tutela|protezione) (?:della )?privacy",
    ),
    (9.0, r"protezione dei dati(?: personali)?|riservatezza"),
    (7.0, r"informativa"),
    # nl
    (10.0, r"privacy ?(?:beleid|verklaring|reglement)|privacy- en cookie ?(?:beleid|verklaring)"),
    (8.0, r"gegevensbescherming|persoonsgegevens"),
    # sv / da / no
    (
        10.0,
        r"integritets ?(?:policy|skydd|meddelande)|privatlivs ?(?:politik|erklaering|erklæring)|"
        r"persondata ?(?:politik|erklaering|erklæring)|personuppgifts ?policy|"
        r"dataskydds ?policy|personvern ?(?:erklaering|erklæring)?",
    ),
    (8.0, r"dataskydd|databeskyttelse|personuppgifter|personoplysninger|privatliv"),
    # pl
    (10.0, r"polityka prywatnosci|ochrona (?:danych|prywatnosci)(?: osobowych)?"),
    (9.0, r"prywatnosc|prywatnosci"),
    # ru
    (10.0, r"политика конфиденциальности"),
    (8.0, r"конфиденциальност"),
    # ja / zh / ko (no word boundaries in these scripts: matched as substrings)
    (10.0, r"プライバシーポリシー|個人情報保護方針|個人情報の取り?扱い"),
    (9.0, r"プライバシー|個人情報"),
    (10.0, r"隐私(?:权)?(?:政策|声明|保护)|隱私(?:權)?(?:政策|聲明)"),
    (9.0, r"隐私|隱私|个人信息保护"),
    (10.0, r"개인정보 ?처리 ?방침"),
    (8.0, r"개인정보"),
    # generic topic word and looser phrases
    (8.0, r"privacy"),
    (6.0, r"data protection|personal (?:data|information)"),
    (5.0, r"cookies? (?:policy|notice|statement)|politique (?:de |des )?cookies"),
    (3.0, r"cookies?"),
    (3.0, r"legal (?:notices?|information|info)|mentions legales|impressum|aviso legal"),
    (2.0, r"legal|policies"),
    # privacy-related links that are not the policy: PENALTY applies to them too
    (7.0, r"do not (?:sell|share)(?: or (?:sell|share))? my (?:personal )?info(?:rmation)?"),
    (7.0, r"ad ?choices"),
)

# Links about privacy that are not the policy: still candidates, ranked lower.
_PENALTY_PHRASES = re.compile(
    r"\b(?:settings|preferences|choices|ad ?choices|do not (?:sell|share)|opt[ -]?out|"
    r"manage (?:cookies|consent)|cookie (?:settings|preferences|consent)|"
    r"einstellungen|parametres|parametros|impostazioni|instellingen)\b"
)
PENALTY = 5.0
EXACT_BONUS = 2.0
FOOTER_BONUS = 1.5
LATE_BONUS = 0.5
SAME_SITE_BONUS = 1.0
OTHER_HOST_PENALTY = 0.5
SAME_PAGE_PENALTY = 6.0
PDF_PENALTY = 1.5
NOT_A_PAGE_PENALTY = 8.0
JAVASCRIPT_PENALTY = 0.5
REL_PRIVACY_POLICY_SCORE = 14.0

# URL words (folded path + query; the host only for "privacy." style hosts).
_URL_WORDS: tuple[tuple[float, str], ...] = (
    (5.0, r"privacy[-_ ]?(?:policy|policies|notice|statement|pledge)"),
    (5.0, r"datenschutz ?(?:erklarung|erklaerung|hinweise)?"),
    (4.0, r"privacy|privacidad|privacidade|confidentialite|vie-?privee|prywatnosci|integritet"),
    (
        3.0,
        r"data-?protection|donnees-?personnelles|dati-?personali|personvern|privatliv|"
        r"persondata|personuppgift|dataskydd|databeskyttelse|gegevensbescherming|"
        r"protezione-?dati|proteccion-?de-?datos|protecao-?de-?dados|ochrona-?danych|"
        r"riservatezza",
    ),
    (2.0, r"gdpr|rgpd|dsgvo|rodo|informativa"),
    (1.0, r"legal|polic(?:y|ies)|cookies?"),
    (0.5, r"terms"),
)
_PRIVACY_HOST = re.compile(r"^(?:privacy|datenschutz|policies|legal)\.")

_IMAGE_OR_ASSET = re.compile(
    r"\.(?:gif|jpe?g|png|bmp|svg|webp|ico|tiff?|css|js|zip|gz|exe|dmg|mp[34]|avi|mov|swf)$"
)
_PDF = re.compile(r"\.pdf$")
# articles about privacy (blog posts, news, dated paths) are not the policy
_ARTICLE = re.compile(
    r"/(?:blog|news|articles?|stories|story|posts?|press|forum|tag)s?/|/(?:19|20)\d\d/\d"
)
ARTICLE_PENALTY = 3.0
_POSSESSIVE = re.compile(r"\w['’]s\b")
THIRD_PARTY_POLICY_PENALTY = 4.0
_FOOTERISH = re.compile(r"foot|bottom|legal|copyright|site-?info|colophon|disclaimer", re.I)
_EXCLUDED_SCHEMES = ("mailto:", "tel:", "sms:", "data:", "ftp:", "file:", "about:", "news:")
# javascript:popUp('privacy.html') on old sites: keep the quoted target
_JS_TARGET = re.compile(r"""['"]([^'"\s]+\.(?:s?html?|php|aspx?|jsp|cfm)[^'"\s]*|/[^'"\s]+)['"]""")
_WS = re.compile(r"\s+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_LINK_XPATH = etree.XPath(
    "//base[@href] | //a[@href] | //area[@href] | //link[@href] | //frame[@src] | //iframe[@src]"
)
_FRAME_XPATH = etree.XPath("//frame[@src] | //iframe[@src]")
_WORDS = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class LinkCandidate:
    url: str  # absolute, fragment removed
    anchor: str  # normalised anchor text (whitespace collapsed, NFKC, case kept)
    score: float
    reason: str  # short explanation, e.g. "anchor:privacy policy; url:privacy; footer"


def _strip_accents(text: str) -> str:
    # only accents on Latin letters: kana voicing marks and Hangul jamo must survive
    out: list[str] = []
    for c in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(c) and out and ord(out[-1]) < 0x250:
            continue
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def fold(text: str) -> str:
    """Lowercase, strip Latin accents and collapse whitespace, for matching in any language."""
    return _WS.sub(" ", _strip_accents(text.casefold())).strip()


def _compile_phrase(pattern: str) -> re.Pattern[str]:
    # Fold the pattern as the text is folded, and add word boundaries only around
    # Latin/Cyrillic patterns (CJK scripts have none).
    folded = _strip_accents(pattern)
    if re.match(r"^[\x00-\x7f\u0400-\u04ff]", folded):
        return re.compile(rf"(?<!\w){folded}(?!\w)")
    return re.compile(folded)


@functools.cache
def _phrase_table() -> tuple[tuple[float, re.Pattern[str], str], ...]:
    return tuple((w, _compile_phrase(p), p) for w, p in _PHRASES)


@functools.cache
def _url_table() -> tuple[tuple[float, re.Pattern[str]], ...]:
    return tuple((w, re.compile(p)) for w, p in _URL_WORDS)


@functools.cache
def _tld_extractor():  # type: ignore[no-untyped-def]
    import tldextract  # Scrapy's own dependency; offline with the bundled suffix list

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(host: str) -> str:
    """``www.netregistry.com.au`` -> ``netregistry.com.au``; IPs and bare hosts as given."""
    host = host.lower().rstrip(".")
    if not host:
        return host
    ext = _tld_extractor()(host)
    if not ext.suffix:
        return host
    return f"{ext.domain}.{ext.suffix}"


def same_site(host_a: str, host_b: str) -> bool:
    """True when two hosts share a registrable domain (subdomains count as the same site)."""
    a, b = host_a.lower().rstrip("."), host_b.lower().rstrip(".")
    return a == b or registrable_domain(a) == registrable_domain(b)


def _decode(html: str | bytes) -> str:
    if isinstance(html, bytes):
        # BOM, then <meta charset>, then UTF-8, then cp1252: what browsers do for old pages
        _, html = html_to_unicode(None, html)
    html = html.replace("\x00", "")
    return _XML_DECL.sub("", html, count=1)


def _parse(html: str | bytes) -> lxml.html.HtmlElement | None:
    if not html:
        return None
    text = _decode(html)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        logger.debug("unparseable HTML: %s", exc)
        return None


def _clean_text(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _normalise_url(href: str, base: str) -> str | None:
    """Absolute http(s) URL without fragment, or None for links that are not pages."""
    href = _WS.sub("", href.strip()) if "\n" in href or "\t" in href else href.strip()
    if not href.strip("#!"):
        return None  # "#" and "#!": script-driven links, not pages
    low = href.lower()
    if low.startswith(_EXCLUDED_SCHEMES):
        return None
    if low.startswith("javascript:"):
        m = _JS_TARGET.search(href)
        if not m:
            return None
        href = m.group(1)
    try:
        url = urldefrag(urljoin(base, href))[0]
        url = safe_url_string(url)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # "http://[::1" and other broken URLs
        return ""


def _join(base: str, href: str) -> str:
    try:
        return urljoin(base, href) or base
    except ValueError:
        return base


def _same_page(url: str, page_url: str) -> bool:
    try:
        a, b = urlsplit(url), urlsplit(page_url)
    except ValueError:
        return False
    return (
        (a.hostname or "") == (b.hostname or "")
        and (a.path.rstrip("/") or "/") == (b.path.rstrip("/") or "/")
        and a.query == b.query
    )


def _text_score(text: str) -> tuple[float, str]:
    """Best phrase in folded ``text``: (points, phrase), points 0 when nothing matches."""
    if not text:
        return 0.0, ""
    best, label = 0.0, ""
    for weight, pattern, _ in _phrase_table():
        if weight <= best:
            continue
        m = pattern.search(text)
        if m:
            score = weight
            # anchors that are little more than the phrase ("Our Privacy Policy") are sure
            extra = len(_WORDS.findall(text)) - len(_WORDS.findall(m.group(0)))
            if extra <= 2:
                score += EXACT_BONUS
            elif extra > 8:
                score *= 0.5  # a sentence that happens to mention privacy
            else:
                score *= 0.75  # a headline about privacy rather than the policy
            if score > best:
                best, label = score, m.group(0)
    return best, label


def _url_score(url: str) -> tuple[float, str]:
    parts = urlsplit(url)
    target = fold(parts.path + ("?" + parts.query if parts.query else ""))
    best, label = 0.0, ""
    for weight, pattern in _url_table():
        if weight <= best:
            continue
        m = pattern.search(target)
        if m:
            best, label = weight, m.group(0)
    host = (parts.hostname or "").lower()
    if _PRIVACY_HOST.match(host) and best < 3.0:
        best, label = 3.0, host.split(".", 1)[0] + "."
    return best, label


def _in_footer(el: lxml.html.HtmlElement) -> bool:
    for anc in el.iterancestors():
        tag = anc.tag if isinstance(anc.tag, str) else ""
        if tag in ("footer", "nav"):
            return True
        ident = (
            (anc.get("id") or "") + " " + (anc.get("class") or "") + " " + (anc.get("role") or "")
        )
        if ident.strip() and (_FOOTERISH.search(ident) or "contentinfo" in ident):
            return True
    return False


def _label_text(el: lxml.html.HtmlElement) -> tuple[str, str]:
    """(visible anchor text, extra text from title/aria-label/img alt) of a link element."""
    tag = el.tag
    if tag == "a":
        visible = _clean_text(el.text_content())
        alts = [img.get("alt") or "" for img in el.iter("img")]
    else:
        visible, alts = "", []
        if tag == "area":
            alts.append(el.get("alt") or "")
    extras = [el.get("title") or "", el.get("aria-label") or ""]
    if tag in ("frame", "iframe"):
        extras.append(el.get("name") or "")
    extra = _clean_text(" ".join(x for x in alts + extras if x))
    return visible, extra


def _score_link(
    el: lxml.html.HtmlElement,
    url: str,
    index: int,
    total: int,
    page_url: str,
    page_host: str,
    javascript: bool,
) -> LinkCandidate | None:
    visible, extra = _label_text(el)
    anchor = visible or extra
    reasons: list[str] = []
    rel = (el.get("rel") or "").lower().split()
    if "privacy-policy" in rel:
        text_pts, phrase = REL_PRIVACY_POLICY_SCORE, "rel=privacy-policy"
        reasons.append(phrase)
    else:
        text_pts, phrase = _text_score(fold(visible))
        extra_pts, extra_phrase = _text_score(fold(extra))
        if extra_pts > text_pts:
            text_pts, phrase = extra_pts, extra_phrase
            reasons.append(f"title/alt:{phrase}")
        elif text_pts:
            reasons.append(f"anchor:{phrase}")
        if el.tag == "link":
            return None  # other <link rel=...> (stylesheets, icons) are never the policy
    url_pts, url_word = _url_score(url)
    if url_pts:
        reasons.append(f"url:{url_word}")
    if text_pts == 0 and url_pts == 0:
        return None
    score = text_pts + url_pts
    if _PENALTY_PHRASES.search(fold(anchor)):
        score -= PENALTY
        reasons.append("settings/opt-out link")
    path = urlsplit(url).path.lower()
    if _IMAGE_OR_ASSET.search(path):
        score -= NOT_A_PAGE_PENALTY
        reasons.append("not a page")
    elif _PDF.search(path):
        score -= PDF_PENALTY
        reasons.append("pdf")
    if _ARTICLE.search(path):
        score -= ARTICLE_PENALTY
        reasons.append("article url")
    if page_url and _same_page(url, page_url):
        score -= SAME_PAGE_PENALTY
        reasons.append("same page")
    if javascript:
        score -= JAVASCRIPT_PENALTY
        reasons.append("javascript link")
    host = urlsplit(url).hostname or ""
    if page_host:
        if same_site(host, page_host):
            score += SAME_SITE_BONUS
        else:
            score -= OTHER_HOST_PENALTY
            reasons.append("other host")
            if _POSSESSIVE.search(anchor):
                # "Google's Privacy Policy": a partner's policy, not this site's
                score -= THIRD_PARTY_POLICY_PENALTY
                reasons.append("another company's policy")
    if _in_footer(el):
        score += FOOTER_BONUS
        reasons.append("footer")
    elif total > 4 and index >= 0.66 * total:
        score += LATE_BONUS
        reasons.append("late in page")
    if el.tag in ("frame", "iframe"):
        reasons.append(el.tag)
    return LinkCandidate(url=url, anchor=anchor, score=round(score, 2), reason="; ".join(reasons))


def find_policy_links(
    html: str | bytes, base_url: str, *, min_score: float = DEFAULT_MIN_SCORE
) -> list[LinkCandidate]:
    """Privacy-policy link candidates on a page, best first, one per URL.

    ``base_url`` is the page's own URL (for relative links; ``<base href>`` overrides it).
    Broken HTML, any encoding and empty input are fine: no links gives ``[]``.
    """
    doc = _parse(html)
    if doc is None:
        return []
    base = base_url
    page_host = _host_of(base_url)
    elements = _LINK_XPATH(doc)
    total = len(elements)
    best: dict[str, LinkCandidate] = {}
    order: dict[str, int] = {}
    base_seen = False
    for index, el in enumerate(elements):
        if el.tag == "base":
            if not base_seen:  # only the first <base> counts, as in browsers
                base_seen = True
                base = _join(base_url, el.get("href", "").strip())
            continue
        href = el.get("src") if el.tag in ("frame", "iframe") else el.get("href")
        if not href:
            continue
        url = _normalise_url(href, base)
        if url is None:
            continue
        cand = _score_link(
            el,
            url,
            index,
            total,
            base_url,
            page_host,
            href.strip().lower().startswith("javascript:"),
        )
        if cand is None or cand.score < min_score:
            continue
        old = best.get(url)
        if old is None or cand.score > old.score:
            best[url] = cand
            order.setdefault(url, index)
    return sorted(best.values(), key=lambda c: (-c.score, order[c.url]))


FOLLOW_FROM_REFUSED = 2  # privacy links taken from a candidate page refused as no policy


def _page_key(url: str) -> tuple[str, str, str]:
    """What makes two URLs the same page here: scheme, ``www.`` and a trailing slash aside."""
    try:
        s = urlsplit(url)
    except ValueError:
        return ("", url, "")
    return (s.hostname or "").removeprefix("www."), s.path.rstrip("/") or "/", s.query


def links_to_follow(
    html: str | bytes,
    page_url: str,
    tried: Iterable[str] = (),
    limit: int = FOLLOW_FROM_REFUSED,
) -> list[LinkCandidate]:
    """The privacy links to try after ``page_url`` was refused as no policy (a "Legal" hub,
    an imprint, terms that link the policy): best first, at most ``limit``, none that is the
    page itself or already ``tried``. ``page_url`` is the page's original URL (an archived
    page's links are resolved against it, never against the archive's replay URL)."""
    seen = {_page_key(u) for u in (page_url, *tried)}
    follow: list[LinkCandidate] = []
    for cand in find_policy_links(html, page_url):
        key = _page_key(cand.url)
        if key not in seen and len(follow) < limit:
            seen.add(key)
            follow.append(cand)
    return follow


def find_frame_urls(html: str | bytes, base_url: str) -> list[str]:
    """URLs of ``<frame>``/``<iframe>`` documents, for framesets whose links live in a frame."""
    doc = _parse(html)
    if doc is None:
        return []
    bases = doc.xpath("//base[@href]/@href")
    base = _join(base_url, str(bases[0]).strip()) if bases else base_url
    urls: list[str] = []
    for el in _FRAME_XPATH(doc):
        url = _normalise_url(el.get("src") or "", base)
        if url and url not in urls:
            urls.append(url)
    return urls


MAX_FRAMES = 3  # frames of one homepage looked into for its policy link


def frames_to_search(html: str | bytes, page_url: str) -> list[str]:
    """Same-site frame documents of a page (a frameset homepage's links live in its frames),
    at most ``MAX_FRAMES``; third-party iframes (ads, videos) are never fetched."""
    host = _host_of(page_url)
    return [u for u in find_frame_urls(html, page_url) if same_site(_host_of(u), host)][:MAX_FRAMES]


# Scrapy's METAREFRESH_MAXDELAY: the live spider follows the same refreshes
META_REFRESH_MAX_DELAY = 100.0
_META_REFRESH_SCAN = 65536  # characters: the tag belongs in <head>


# a page moved by a refresh says little ("This page has moved"); one with more words than
# this is a page in its own right, whatever its refresh does (a timed reload, a logout)
STUB_MAX_WORDS = 100


def meta_refresh_target(html: str | bytes, page_url: str) -> str | None:
    """The page a ``<meta http-equiv="refresh">`` stub sends the reader to: another http(s)
    page within ``META_REFRESH_MAX_DELAY`` seconds, from a page of at most
    ``STUB_MAX_WORDS`` words (an old way to move a page, archived as a 200); else None."""
    if isinstance(html, bytes):
        # called on every archived page, on the reactor thread: most have no refresh at
        # all, and a bytes scan costs far less than decoding
        if b"refresh" not in html[: _META_REFRESH_SCAN * 4].lower():
            return None
        head = _decode(html[: _META_REFRESH_SCAN * 4])
    else:
        head = html
    if "refresh" not in head[:_META_REFRESH_SCAN].lower():
        return None
    delay, target = get_meta_refresh(head[:_META_REFRESH_SCAN], page_url)
    if delay is None or target is None or delay > META_REFRESH_MAX_DELAY:
        return None
    url = _normalise_url(target, page_url)
    if url is None or _same_page(url, page_url):
        return None
    doc = _parse(html)
    if doc is not None:
        for el in doc.xpath("//script | //style | //noscript"):
            el.drop_tree()
        if len(_WORDS.findall(doc.text_content())) > STUB_MAX_WORDS:
            return None
    return url


def _hosts_for(site_or_homepage: str) -> tuple[str, list[str]]:
    """(scheme, hosts to try) for a bare site name or a homepage URL."""
    value = site_or_homepage.strip()
    if "://" in value:
        parts = urlsplit(safe_url_string(value))
    else:
        parts = urlsplit(safe_url_string("http://" + value.strip("/").split("/", 1)[0]))
    scheme = parts.scheme or "http"
    host = (parts.hostname or "").rstrip(".")
    port = parts.port  # ValueError for a bad port, as for other broken values
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    suffix = f":{port}" if port is not None else ""
    if host.startswith("www."):
        alt = host[4:]
    elif re.fullmatch(r"[\d.]+|\[.*\]", host) or registrable_domain(host) != host:
        alt = ""  # IPs and subdomains have no www form
    else:
        alt = "www." + host
    hosts = [host + suffix]
    if alt:
        www_first = [
            h + suffix for h in sorted((host, alt), key=lambda h: not h.startswith("www."))
        ]
        # a homepage URL keeps its own host first; bare names try www first, like the sites file
        hosts = [host + suffix, alt + suffix] if "://" in value else www_first
    return scheme, hosts


def common_policy_urls(site_or_homepage: str) -> list[str]:
    """Absolute URLs of COMMON_POLICY_PATHS for a site, path-major, www and bare host forms.

    ``example.com`` -> ``http://www.example.com/privacy``, ``http://example.com/privacy``, ...;
    a homepage URL keeps its scheme and host first. ValueError for something that is neither
    (sites from crawler.sites are always fine).
    """
    if not site_or_homepage.strip():
        return []
    try:
        scheme, hosts = _hosts_for(site_or_homepage)
    except ValueError:
        hosts = []
    if not hosts or not hosts[0] or hosts[0].startswith(":"):
        raise ValueError(f"not a site or homepage URL: {site_or_homepage!r}")
    return [f"{scheme}://{host}{path}" for path in COMMON_POLICY_PATHS for host in hosts]
