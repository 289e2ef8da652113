"""Is this extracted text a privacy policy? A score with a reason a person can check.

Transparent rules, no model:

1. Explicit negatives, each with its own reason, checked on short texts (and on the title):
   Wayback "not archived" pages, parked domains, captcha/bot walls, login pages, error pages;
   then texts too short to be a policy.
2. Evidence from policy vocabulary in several languages, grouped into concepts (personal data,
   cookies, third parties, collection, sharing, purposes, rights and choices, laws, retention,
   security, children, contact/controller, consent, policy changes, tracking data, privacy
   itself). Breadth (how many concepts appear) matters most: a cookie banner repeats one
   concept, a policy covers many; but breadth counts fully only at a policy-like density
   (hits per 100 words), so long menus and registries that touch every concept once do not
   pass. Density and a title or URL naming a privacy policy add to it. Short texts are damped.
"""

from __future__ import annotations

import functools
import logging
import re
import re._constants as _C  # the regex parser, to find where concept matches can start
import re._parser as _parser
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipelines.text.regextrie import trie_pattern
from pipelines.text.textmetrics import strip_markdown

logger = logging.getLogger(__name__)

MIN_WORDS = 60  # below this nothing is a policy
FULL_LENGTH_WORDS = 250  # from here on length no longer damps the score
NEGATIVE_MAX_WORDS = 600  # negative markers count only on texts shorter than this
BREADTH_FULL = 10  # concepts needed for full breadth credit (fewer for short texts)
DENSITY_FULL = 3.0  # hits per 100 words for full density credit
DENSITY_FLOOR = 1.5  # below this, breadth credit shrinks (real policies measured >= 2)
W_BREADTH, W_DENSITY, W_TITLE = 0.6, 0.25, 0.15

# Concept -> patterns on folded text (casefolded, Latin accents removed). Stems are deliberate:
# "collect" covers collects/collected/collection. Latin patterns get word starts.
_CONCEPTS: dict[str, tuple[str, ...]] = {
    "privacy": (
        r"privacy",
        r"datenschutz",
        r"confidentialite",
        r"vie privee",
        r"privacidad",
        r"privacidade",
        r"riservatezza",
        r"integritet",
        r"prywatnos",
        r"конфиденциальн",
        r"プライバシー",
        r"隐私",
        r"隱私",
    ),
    "personal_data": (
        r"personal(?:ly)? (?:information|data|details|identifiable)",
        r"personenbezogen",
        r"donnees (?:a caractere )?personnel",
        r"datos (?:de caracter )?personales",
        r"dati personali",
        r"persoonsgegevens",
        r"dados pessoais",
        r"personuppgift",
        r"personoplysning",  # da
        r"dan(?:e|ych) osobow",
        r"персональн",
        r"個人情報",
        r"个人信息",
        r"個人資料",
        r"개인정보",
    ),
    "cookies": (
        r"cookies?",
        r"web beacons?",
        r"pixel tags?",
        r"local storage",
        r"tracking technolog",
        r"traceurs?",
        r"クッキー",
    ),
    "third_parties": (
        r"third[- ]part(?:y|ies)",
        r"service providers?",
        r"dritte[nr]?",
        r"tiers",
        r"terceros",
        r"terzi",
        r"derden",
        r"terceiros",
        r"tredje part",
        r"tredjepart",  # sv/da
        r"trzeci",
        r"третьи",
        r"第三者",
        r"第三方",
    ),
    "collect": (
        r"collect",
        r"gather",
        r"erhebe?n",
        r"erhoben",
        r"erhebung",
        r"collect(?:e|ons|ees?)",
        r"recopil",
        r"recogemos",
        r"raccol",
        r"verzamel",
        r"colet",
        r"samla[rs]?",
        r"indsaml",  # da
        r"zbiera",
        r"собира",
        r"収集",
        r"取得",
        r"收集",
    ),
    "share": (
        r"disclos",
        r"shar(?:e|es|ed|ing)",
        r"sell",
        r"transfer",
        r"weitergabe",
        r"weitergeben",
        r"ubermittl",
        r"partag",
        r"communiqu",
        r"compart",
        r"condivi",
        r"comunica",
        r"verstrekk",
        r"delen",
        r"compartilh",
        r"delar",
        r"videregiv",  # da
        r"udostep",
        r"przekaz",
        r"передач",
        r"提供",
        r"共享",
        r"披露",
    ),
    "purposes": (
        r"purposes?",
        r"process(?:es|ed|ing)?",
        r"(?:legal|lawful) basis",
        r"verarbeit",
        r"zweck",
        r"rechtsgrundlage",
        r"traitements?",
        r"finalit",
        r"base legale",
        r"tratamiento",
        r"finalidad",
        r"trattamento",
        r"verwerk",
        r"tratamento",
        r"finalidade",
        r"behandling",
        r"przetwarza",
        r"обработк",
        r"利用目的",
        r"处理",
        r"目的",
    ),
    "rights": (
        r"opt(?:[- ])?(?:out|in)",
        r"unsubscrib",
        r"your (?:rights|choices)",
        r"delet",
        r"erasure",
        r"rectif",
        r"widerspruch",
        r"auskunft",
        r"loschung",
        r"droits?",
        r"opposition",
        r"suppression",
        r"effacement",
        r"derechos?",
        r"supresion",
        r"oposicion",
        r"diritt[oi]",
        r"cancellazione",
        r"rechten",
        r"inzage",
        r"direitos?",
        r"rattighet",
        r"radera",
        r"rettighed",  # da
        r"sletning",  # da
        r"prawo",
        r"usuniec",
        r"права?",
        r"開示",
        r"削除",
        r"删除",
        r"更正",
    ),
    "laws": (
        r"gdpr",
        r"ccpa",
        r"cpra",
        r"coppa",
        r"hipaa",
        r"p3p",
        r"safe harbou?r",
        r"privacy shield",
        r"dsgvo",
        r"bdsg",
        r"rgpd",
        r"cnil",
        r"lopd",
        r"lgpd",
        r"avg",
        r"rodo",
        r"ferpa",
        r"truste",
        r"caloppa",
        r"data protection (?:act|law|regulation|authority)",
        r"supervisory authority",
        r"general data protection",
        r"california",
        r"個人情報保護法",
        r"个人信息保护法",
    ),
    "retention": (
        r"retain",
        r"retention",
        r"stored? (?:for|as long)",
        r"as long as",
        r"aufbewahr",
        r"speicherdauer",
        r"gespeichert",
        r"conserv",
        r"bewaar",
        r"armazen",
        r"lagr",
        r"spara[rs]?",
        r"przechow",
        r"opbevar",  # da
        r"хран",
        r"保存",
        r"保管",
        r"保留",
        r"存储",
    ),
    "security": (
        r"secur",
        r"encrypt",
        r"ssl",
        r"safeguard",
        r"sicherheit",
        r"verschlussel",
        r"chiffr",
        r"seguridad",
        r"cifrad",
        r"sicurezza",
        r"beveilig",
        r"seguranca",
        r"sakerhet",
        r"sikkerhed",  # da
        r"bezpieczen",
        r"безопасн",
        r"安全",
    ),
    "children": (
        r"child(?:ren)?",
        r"minors?",
        r"under (?:the age of )?1[3-8]",
        r"kinder",
        r"minderjahrig",
        r"enfants?",
        r"mineurs?",
        r"ninos",
        r"menores",
        r"minori",
        r"kinderen",
        r"criancas",
        r"barn",
        r"dzieci",
        r"дет",
        r"児童",
        r"未成年",
        r"儿童",
    ),
    "contact": (
        r"contact us",
        r"(?:data )?controller",
        r"data protection officer",
        r"dpo",
        r"verantwortliche",
        r"datenschutzbeauftragt",
        r"responsable du traitement",
        r"delegue a la protection",
        r"responsable del tratamiento",
        r"titolare",
        r"verwerkingsverantwoordelijke",
        r"controlador",
        r"encarregado",
        r"personuppgiftsansvarig",
        r"dataansvarlig",  # da/no
        r"administrator danych",
        r"お問い合わせ",
        r"联系我们",
    ),
    "consent": (
        r"consent",
        r"einwillig",
        r"consentement",
        r"consentimiento",
        r"consenso",
        r"toestemming",
        r"consentimento",
        r"samtycke",
        r"samtykke",  # da/no
        r"zgod",
        r"согласи",
        r"同意",
    ),
    "changes": (
        r"(?:changes|updates?|amendments?) to (?:this|our|the) "
        r"(?:privacy )?(?:policy|statement|notice)",
        r"last (?:updated|modified|revised)",
        r"effective (?:date|as of)",
        r"zuletzt aktualisiert",
        r"derniere mise a jour",
        r"ultima actualizacion",
        r"ultimo aggiornamento",
        r"laatst bijgewerkt",
        r"ultima atualizacao",
        r"senast uppdaterad",
        r"senest opdateret",  # da
        r"ostatnia aktualizacja",
        r"最終更新",
        r"改定",
        r"更新日期",
        r"生效日期",
    ),
    "tracking_data": (
        r"ip[- ]?address",
        r"ip[- ]adres",
        r"adresse ip",
        r"direccion ip",
        r"indirizz[oi] ip",
        r"endereco ip",
        r"browser type",
        r"device (?:identifiers?|information|ids?)",
        r"analytics",
        r"log (?:files|data|information)",
        r"ipアドレス",
        r"ip地址",
    ),
}

_TITLE_POLICY = re.compile(
    r"privacy|datenschutz|confidentialite|vie privee|privacidad|privacidade|privacybeleid|"
    r"privacyverklaring|integritetspolicy|prywatnosci|informativa|donnees personnelles|"
    r"data protection|personal (?:data|information)|конфиденциальн|プライバシー|個人情報|隐私|隱私|"
    r"개인정보"
)
_URL_POLICY = re.compile(
    r"privacy|datenschutz|confidentialite|vie-?privee|privacidad|privacidade|integritet|"
    r"prywatnosc|donnees-?personnelles|data-?protection|gdpr|rgpd|dsgvo"
)
_TITLE_TERMS_ONLY = re.compile(
    r"terms (?:of (?:service|use)|and conditions)|conditions (?:generales|d.utilisation)|"
    r"nutzungsbedingungen|\bagb\b|terminos|condiciones"
)

# Negative markers: (reason, patterns), first match wins, in this order.
_NEGATIVES: tuple[tuple[str, str], ...] = (
    (
        "not archived page",
        r"wayback machine (?:has not|hasn.t) archived|hrm\. wayback machine|"
        r"this url has been excluded from the wayback machine|"
        r"wayback machine doesn.t have that page archived|not in archive|"
        r"the machine that serves this file is down|got an http \d{3} response at crawl time",
    ),
    (
        "parked domain",
        r"(?:this|the) domain (?:name )?(?:may be|is) for sale|buy this domain|"
        r"domain (?:name )?is parked|parked (?:free|domain|by)|this domain is parked|"
        r"(?:inquire|enquire) about this domain|make an offer on this domain|"
        r"this web ?page is parked|domain has (?:expired|been registered)|"
        r"related searches|sedo domain parking|future home of something",
    ),
    (
        "captcha/bot wall",
        r"verify (?:that )?you are (?:a )?human|are you a robot|i.m not a robot|captcha|"
        r"checking (?:if the site connection is secure|your browser)|just a moment\.\.\.|"
        r"enable javascript and cookies to continue|attention required|"
        r"you have been blocked|pardon our interruption|access denied|"
        r"request unsuccessful\. incapsula|press (?:&|and) hold|unusual traffic from your",
    ),
    (
        "login page",
        r"(?:sign|log) ?in to (?:continue|your account)|forgot (?:your )?password|"
        r"(?:username|email) and password|keep me (?:signed|logged) in|remember me",
    ),
    (
        "error page",
        r"\b404\b.{0,20}not found|not found.{0,20}\b404\b|page (?:was )?not (?:be )?found|"
        r"page (?:you requested|you are looking for) (?:could not|cannot|can.t|does not|doesn.t)|"
        r"page cannot be (?:found|displayed)|this page (?:isn.t|is not) available|"
        r"(?:500 )?internal server error|403 forbidden|service unavailable|bad gateway|"
        r"seite (?:wurde )?nicht gefunden|page introuvable|pagina no encontrada|"
        r"pagina non trovata|pagina niet gevonden|no such page|an error (?:has )?occurred",
    ),
)
_LOGIN_TITLE = re.compile(r"^(?:sign ?in|log ?in|login|anmelden|connexion|iniciar sesion)\b")

_WORD = re.compile(r"[^\W\d_]+|\d+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Detection:
    score: float  # 0..1
    is_policy: bool
    reason: str  # "privacy terms 14, title match" or "too short (35 words)" or "parked domain"...


@functools.cache
def _latin_marks() -> re.Pattern[str]:
    """A run of combining marks (or anything from U+10000 to U+1FFFF, then marks), which
    _drop_latin_marks drops after a Latin letter.

    It starts with a character class, rather than with the letter before the marks, so that re
    scans for its first character in C instead of trying a match at every position; and that
    scan would test each character against the ~200 marks above U+FFFF one by one, so above
    U+FFFF it looks for one range.
    """
    marks = [chr(c) for c in range(0x300, 0x20000) if unicodedata.combining(chr(c))]
    bmp = "".join(re.escape(ch) for ch in marks if ch <= "\uffff")
    rest = "".join(re.escape(ch) for ch in marks)
    return re.compile(f"[{bmp}\U00010000-\U0001ffff][{rest}]*")


def _drop_latin_marks(m: re.Match[str]) -> str:
    # marks go only after a Latin letter (below U+0250): kana voicing marks must survive; a
    # match that starts with a character above U+FFFF that is no mark is left as it is
    start = m.start()
    text = m.string
    if start and text[start - 1] <= "\u024f" and unicodedata.combining(text[start]):
        return ""
    return m.group()


def _squeeze(text: str) -> str:
    """Every run of whitespace as one space, like re.sub(r"\\s+", " ", text) but several
    times faster: str.split splits on the same characters; runs at either end are kept."""
    inner = " ".join(text.split())
    if not inner:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + inner + (" " if text[-1].isspace() else "")


def _fold(text: str) -> str:
    # casefold, drop accents on Latin letters only (kana voicing marks must survive);
    # regexes rather than a loop per character: this ran on every page's whole text
    if text.isascii():
        return _squeeze(text.lower())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    undecorated = _latin_marks().sub(_drop_latin_marks, decomposed)
    return _squeeze(unicodedata.normalize("NFC", undecorated))


def _latin(pattern: str) -> bool:
    return pattern[:1].isascii() or "\u0400" <= pattern[:1] <= "\u04ff"


Table = tuple[tuple[str, tuple[str, ...]], ...]  # concept -> alternatives, hashable


@functools.cache
def _concept_patterns(table: Table | None = None) -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = []
    for concept, patterns in table or tuple(_CONCEPTS.items()):
        latin = [p for p in patterns if _latin(p)]
        other = [p for p in patterns if not _latin(p)]
        parts = []
        if latin:
            parts.append(r"(?<!\w)(?:" + "|".join(latin) + ")")
        if other:
            parts.append("|".join(other))
        compiled.append((concept, re.compile("|".join(parts))))
    return tuple(compiled)


# Counting hits was most of detect_policy's time: re tries every alternative of every concept
# pattern at every position of the text. Instead one scan finds the positions where some
# alternative can start: a word start (what (?<!\w) allows) followed by one of the first
# _KEY_LEN characters an alternative can begin with, or the first character of a non-Latin
# alternative. Each concept's pattern is then matched at its own candidates only, in order,
# skipping those inside its previous match: the same non-overlapping leftmost matches, so the
# same counts, as pattern.findall. A concept whose alternatives can start with anything
# (prefix "") keeps findall.
_KEY_LEN = 6  # longer keys: fewer candidates that do not match (3: 0.22 s, 6: 0.16 s)


def _starts(items: Iterable[tuple[Any, Any]], heads: set[str], done: set[str]) -> set[str]:
    """Extend the prefixes ``heads`` through the parsed regex ``items``.

    Prefixes that reach _KEY_LEN characters, or an element this does not follow (a character
    class, a repeat, ...), are added to ``done``; those still shorter where ``items`` may end
    are returned. Every text that a head followed by a match of ``items`` can begin with starts
    with one of them.
    """
    for op, av in items:
        if op is _C.LITERAL:
            heads = {h + chr(av) for h in heads}
        elif op is _C.SUBPATTERN and not av[1] and not av[2]:  # a group without flags
            heads = _starts(av[3], heads, done)
        elif op is _C.BRANCH:
            heads = set().union(*(_starts(alt, heads, done) for alt in av[1]))
        elif op is _C.MAX_REPEAT and av[:2] == (0, 1):  # x?
            heads = heads | _starts(av[2], heads, done)
        elif op is _C.IN and all(o is _C.LITERAL for o, _ in av):  # [- ]
            heads = {h + chr(c) for h in heads for _, c in av}
        elif op in (_C.ASSERT, _C.ASSERT_NOT, _C.AT):
            pass  # zero width: where it holds the match starts as without it
        else:
            done |= heads
            return set()
        long = {h for h in heads if len(h) >= _KEY_LEN}
        done |= long
        heads -= long
    return heads


def _prefixes(patterns: Iterable[str]) -> set[str]:
    """The strings (at most _KEY_LEN long) one of which starts every match of ``patterns``."""
    done: set[str] = set()
    for pattern in patterns:
        done |= _starts(_parser.parse(pattern), {""}, done)
    return done


@dataclass(frozen=True)
class _Scanner:
    words: re.Pattern[str]  # a non-word character, then group 1: a Latin key
    word_keys: dict[str, tuple[int, ...]]  # key -> indexes of the concepts it may start
    chars: re.Pattern[str] | None  # a first character of a non-Latin alternative
    char_keys: dict[str, tuple[int, ...]]
    slow: tuple[int, ...]  # concepts counted with findall


@functools.cache
def _scanner(table: Table | None = None) -> _Scanner:
    latin_keys: dict[str, set[int]] = {}
    char_keys: dict[str, set[int]] = {}
    slow = []
    for i, (_, patterns) in enumerate(table or tuple(_CONCEPTS.items())):
        latin = _prefixes(p for p in patterns if _latin(p))
        other = {k[:1] for k in _prefixes(p for p in patterns if not _latin(p))}
        if "" in latin or "" in other:
            slow.append(i)
            continue
        for key in latin:
            latin_keys.setdefault(key, set()).add(i)
        for ch in other:
            char_keys.setdefault(ch, set()).add(i)
    # the longest key is captured: it may start the concepts of every key that begins it
    word_keys = {
        key: tuple(
            sorted(set().union(*(latin_keys.get(key[:n], set()) for n in range(1, len(key) + 1))))
        )
        for key in latin_keys
    }
    chars = "".join(re.escape(ch) for ch in sorted(char_keys))
    return _Scanner(
        words=re.compile(r"\W(?=(" + trie_pattern(latin_keys) + "))"),
        word_keys=word_keys,
        chars=re.compile(f"[{chars}]") if chars else None,
        char_keys={ch: tuple(sorted(ids)) for ch, ids in char_keys.items()},
        slow=tuple(slow),
    )


def _concept_hits(folded: str, table: Table | None = None) -> dict[str, int]:
    """Concept -> number of matches of its pattern in ``folded`` (``findall``), if any.

    ``table``: other concepts to count the same way (default: the privacy concepts)."""
    scanner = _scanner(table)
    patterns = _concept_patterns(table)
    starts: list[list[int]] = [[] for _ in patterns]
    # a space in front: a word start at position 0 is found like any other, and the match of
    # \W at position p of the padded text puts the key at position p of ``folded``
    for m in scanner.words.finditer(" " + folded):
        for i in scanner.word_keys[m[1]]:
            starts[i].append(m.start())
    if scanner.chars is not None:
        mixed = set()
        for m in scanner.chars.finditer(folded):
            for i in scanner.char_keys[m[0]]:
                starts[i].append(m.start())
                mixed.add(i)
        for i in mixed:
            starts[i].sort()
    hits: dict[str, int] = {}
    for i, (concept, pattern) in enumerate(patterns):
        if i in scanner.slow:
            n = len(pattern.findall(folded))
        else:
            n, end = 0, 0
            for pos in starts[i]:
                if pos >= end and (m := pattern.match(folded, pos)):
                    n += 1
                    end = m.end()
        if n:
            hits[concept] = n
    return hits


@functools.cache
def _negative_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((reason, re.compile(p)) for reason, p in _NEGATIVES)


class _WordClasses(dict[int, str]):
    """A str.translate table: a character to "a" if _WORD takes it in a run of letters, to
    "0" in a run of digits, else to " "; filled in as characters come."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        cls = "a" if _LETTER.match(ch) else "0" if _DIGIT.match(ch) else " "
        self[code] = cls
        return cls


_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_WORD_CLASSES = _WordClasses()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _runs(text: str) -> int:
    """``len(_WORD.findall(text))``: runs of letters and runs of digits.

    Counted on the text with every character replaced by its class ("a", "0" or " "): the
    runs are the words of str.split, plus one where a letter meets a digit. Both passes are
    C loops over ASCII; findall tested every character's Unicode category and made a string
    of every word (2x slower). Non-ASCII characters are mapped run by run first, unless
    there are so many that _WORD is faster.
    """
    if not text.isascii():
        if (len(text.encode("utf-8", "surrogatepass")) - len(text)) * 8 > len(text):
            return _WORD.subn("", text)[1]  # mostly another script: one callback a word
        text = _NON_ASCII.sub(lambda m: m[0].translate(_WORD_CLASSES), text)
    classes = text.translate(_WORD_CLASSES)
    return len(classes.split()) + classes.count("a0") + classes.count("0a")


def word_count(text: str) -> int:
    """Words in any script: runs of letters/digits, plus CJK characters counted ~2 per word."""
    if text.isascii():
        return _runs(text)
    cjk = len(_CJK.findall(text))
    latin = _runs(_CJK.sub(" ", text) if cjk else text)
    return latin + (cjk + 1) // 2


def _negative(folded: str, title: str, words: int, concepts: int) -> str | None:
    for reason, pattern in _negative_patterns():
        # a title says what the page is even when menus make the text long; a text rich in
        # policy vocabulary is judged on its text alone
        if title and concepts < 8 and pattern.search(title):
            return reason
        if words < NEGATIVE_MAX_WORDS and concepts < 8 and pattern.search(folded):
            return reason
    if title and _LOGIN_TITLE.match(title) and words < NEGATIVE_MAX_WORDS and concepts < 8:
        return "login page"
    return None


@dataclass(frozen=True)
class TextFacts:
    """What the detectors read from one text, computed once: folded text and title, word
    count and privacy concept hits (``doctype`` reuses them rather than scanning again)."""

    folded: str
    folded_title: str
    words: int
    hits: dict[str, int]


def text_facts(text: str, title: str | None = None) -> TextFacts:
    plain = strip_markdown(text or "")
    folded = _fold(plain)
    return TextFacts(folded, _fold(title or "").strip(), word_count(plain), _concept_hits(folded))


def detect_policy(
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    threshold: float = 0.5,
) -> Detection:
    """Score ``text`` (extracted markdown or plain text) as a privacy policy, 0..1."""
    return detect_from_facts(text_facts(text, title), url=url, threshold=threshold)


def detect_from_facts(
    facts: TextFacts, *, url: str | None = None, threshold: float = 0.5
) -> Detection:
    """:func:`detect_policy` on facts already read from the text."""
    folded, folded_title, words, hits = facts.folded, facts.folded_title, facts.words, facts.hits
    total_hits = sum(hits.values())
    concepts = len(hits)

    negative = _negative(folded, folded_title, words, concepts)
    if negative:
        return Detection(score=0.0, is_policy=False, reason=negative)
    if words < MIN_WORDS:
        return Detection(score=0.0, is_policy=False, reason=f"too short ({words} words)")

    title_match = bool(folded_title and _TITLE_POLICY.search(folded_title))
    url_match = bool(url and _URL_POLICY.search(_fold(url)))
    # a 100-word policy of a 2005 shop cannot cover ten concepts: expect fewer from short texts
    breadth = min(1.0, concepts / min(BREADTH_FULL, 4 + words / 50))
    density = total_hits * 100.0 / max(words, 1)
    # long registries and menus touch many concepts once each: breadth counts only with density
    breadth *= min(1.0, density / DENSITY_FLOOR)
    score = W_BREADTH * breadth + W_DENSITY * min(1.0, density / DENSITY_FULL)
    if title_match or url_match:
        score += W_TITLE
    reasons = [f"privacy terms {total_hits} in {concepts} kinds", f"{density:.1f}/100 words"]
    if title_match:
        reasons.append("title match")
    if url_match:
        reasons.append("url match")
    if folded_title and not title_match and _TITLE_TERMS_ONLY.search(folded_title):
        score -= W_TITLE  # terms of service share much of the vocabulary
        reasons.append("terms-of-service title")
    if words < FULL_LENGTH_WORDS:
        score *= 0.6 + 0.4 * (words - MIN_WORDS) / (FULL_LENGTH_WORDS - MIN_WORDS)
        reasons.append(f"short ({words} words)")
    score = round(max(0.0, min(1.0, score)), 3)
    return Detection(score=score, is_policy=score >= threshold, reason=", ".join(reasons))
