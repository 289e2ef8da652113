"""The date a policy states for itself: "Last updated: March 3, 2018", "Stand: 01.03.2020".

A *cue* ("last updated", "effective date", "dernière mise à jour", "Stand", "gelten ab",
"última actualización", "ultimo aggiornamento", "laatst bijgewerkt", "última atualização",
... in English, German, French, Spanish, Italian, Dutch and Portuguese) must be followed,
after at most a few connecting words ("on", "as of", "le", "vom", "de", ...), by a date:
a month name with or without a day ("3 mars 2020", "March 3rd, 2018", "Juni 2021", "3 de
marzo de 2020") or a numeric date ("01.03.2020", "3/11/2025", "2024-08-29", "10/2014").
Three more forms need no cue: a line that is only a date among the first or last lines of
the text, a short line that names the policy followed by a date ("Privacy Statement June 3,
2003"), and the newest dated entry of a change log ("Change log:" then "- *August 19, 2026:*
Added ...").

What keeps unrelated dates out:

* a cue inside a running sentence counts only when the sentence speaks of the document
  itself ("this policy", "cette politique", "diese Datenschutzerklärung", "this version",
  ...), and never when it names a law ("the GDPR took effect May 25, 2018", "Loi du 6
  janvier 1978", "California Civil Code"): the law's date is not the policy's;
* tables are skipped (version tables list other documents' dates), and link targets are
  removed before matching (URLs are full of numbers);
* no date after the capture, none before 1990, and a numeric date must be a real date; a
  copyright year or a phone number has no cue, so it is never read.

Numeric day/month order: a part above 12 decides; dotted dates are day first; otherwise the
cue's language decides (English: month first, the others: day first), then the page's
language. A date without a day ("Stand: Juni 2021") is the first of its month.

Where several dates are found, the latest wins (an update is newer than the version it
updates); on a tie the kind ranks updated, revised, effective, created.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from pipelines.text.textmetrics import strip_markdown

logger = logging.getLogger(__name__)

KINDS = ("updated", "revised", "effective", "created")  # tie order: first wins
MIN_YEAR = 1990

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "january jan janvier janv januar jänner enero ene gennaio genn januari janeiro",
        "february feb février fevrier févr fév fevr februar febrero febbraio febr februari "
        "fevereiro fev",
        "march mar mars märz maerz marzo maart mrt março marco",
        "april apr avril avr abril abr aprile",
        "may mai mayo maggio mag mei maio",
        "june jun juin juni junio giugno giu junho",
        "july jul juillet juil juli julio luglio lug julho",
        "august aug août aout agosto ago augustus",
        "september sep sept septembre septiembre setiembre settembre set setembro",
        "october oct octobre oktober okt octubre ottobre ott oktober outubro out",
        "november nov novembre noviembre novembro",
        "december dec décembre decembre déc dezember dez diciembre dic dicembre dezembro",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num

_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH = rf"(?P<m>{_MONTH_ALT})\.?(?![^\W\d_])"
_DAY = r"(?P<d>[0-3]?\d)(?:\s*(?:<sup>)?(?:st|nd|rd|th|er|ère|º|°|\.)(?:</sup>)?)?"
_YEAR = r"(?P<y>(?:19|20)\d\d)(?!\d)"
_WEEKDAY = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|lundi|mardi|mercredi|"
    r"jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|"
    r"sonntag|lunes|martes|miércoles|jueves|viernes|sábado|domingo),?\s+)?"
)
# tried in this order at the position after a cue and its connecting words
_DATE_FORMS = [
    # 2024-08-29, 2026.08.07, 2026/08/07
    re.compile(r"(?P<y>(?:19|20)\d\d)(?P<isep>[-./])(?P<m>[01]?\d)(?P=isep)(?P<d>[0-3]?\d)(?!\d)"),
    # 01.03.2020, 3/11/2025, 22-07-2026, 3/3/18: which part is the day is decided later
    re.compile(r"(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<y>(?:19|20)?\d\d)(?!\d)"),
    # March 3, 2018 / Mar. 3rd 2018 / May 12<sup>th</sup> 2026 / Nov, 24 2022 / September/11, 2025
    re.compile(_WEEKDAY + _MONTH + r"(?:,?\s+|/)" + _DAY + r",?\s+(?:de\s+)?" + _YEAR, re.I),
    # 3 March 2018 / 3. März 2020 / 3 de marzo de 2020 / 1er mars 2024 / 16 July, 2026
    re.compile(
        _WEEKDAY
        + r"(?:le\s+|el\s+|il\s+)?"
        + _DAY
        + r"\s*(?:de\s+|di\s+)?"
        + _MONTH
        + r",?\s+(?:de\s+|del\s+)?"
        + _YEAR,
        re.I,
    ),
    # March 2018 / Juni 2021 / marzo de 2020 / January, 2015 / APRIL-2024
    re.compile(_MONTH + r"(?:,?\s+|-)(?:de\s+|del\s+)?" + _YEAR, re.I),
    # 10/2014, 03.2020
    re.compile(r"(?P<m>[01]?\d)[./](?P<y>(?:19|20)\d\d)(?!\d)"),
]

# (language or None when shared, kind, strong, pattern). A strong cue names the document's
# date by itself; a weak one ("updated", "effective", "version") only where it opens a line
# or its sentence speaks of the document.
_CUES: list[tuple[str | None, str, bool, str]] = [
    # English
    (
        "en",
        "updated",
        True,
        r"last[\s-]+(?:updated|update|modified|modification|edited|changed"
        r"|amended|reviewed)(?:\s+date)?(?:\s+and\s+effective(?:\s+as\s+of)?)?",
    ),
    ("en", "updated", True, r"(?:date\s+of\s+)?last\s+update"),
    ("en", "updated", True, r"(?:most\s+recently|was)\s+updated"),
    (
        "en",
        "updated",
        False,
        r"updated|dated|update\s+effective|modified|published|posted|release\s+date"
        r"|date\s+of\s+publication",
    ),
    (
        "en",
        "revised",
        True,
        r"last\s+revised|(?:last\s+)?revision\s+date|date\s+of\s+(?:last\s+)?"
        r"revision|last\s+revision",
    ),
    ("en", "revised", False, r"revised"),
    (
        "en",
        "effective",
        True,
        r"effective\s+date|date\s+effective|effective\s+(?:as\s+of|from|on)"
        r"|in\s+effect\s+(?:as\s+of|since|from)|took\s+effect|takes\s+effect|came\s+into\s+"
        r"(?:effect|force)|in\s+force\s+(?:from|since|as\s+of)|applies\s+from|applicable\s+from"
        r"|valid\s+(?:from|as\s+of)",
    ),
    ("en", "effective", False, r"effective"),
    ("en", "created", True, r"date\s+created|creation\s+date|created\s+on"),
    (None, "updated", False, r"version(?:\s+(?:of|from|du|vom|de|del|van|em))?"),
    # German
    ("de", "updated", False, r"stand"),
    (
        "de",
        "updated",
        True,
        r"zuletzt\s+(?:aktualisiert|geändert)|letzte\s+(?:aktualisierung"
        r"|änderung)|aktualisiert\s+am|geändert\s+am|fassung\s+vom",
    ),
    ("de", "updated", False, r"aktualisiert"),
    (
        "de",
        "effective",
        True,
        r"gültig\s+(?:ab|seit)|gilt\s+ab|gelten\s+ab|in\s+kraft\s+(?:seit|ab)"
        r"|wirksam\s+ab|inkrafttreten",
    ),
    ("de", "created", True, r"erstellt\s+am"),
    # French
    (
        "fr",
        "updated",
        True,
        r"(?:date\s+de\s+(?:la\s+)?)?dernière\s+mise\s+à\s+jour|date\s+de\s+"
        r"mise\s+à\s+jour|mise?s?\s+à"
        r"\s+jour\s+(?:pour\s+la\s+dernière\s+fois|le)|date\s+de\s+mise\s+en\s+ligne|date\s+de"
        r"\s+(?:la\s+)?publication(?:\s+de\s+la\s+politique[\w\s']{0,40})?|version\s+en\s+date\s+du",
    ),
    ("fr", "updated", False, r"mise?s?\s+à\s+jour|publiée?\s+le"),
    ("fr", "revised", True, r"dernière\s+(?:révision|modification)|révisée?\s+le|modifiée?\s+le"),
    (
        "fr",
        "effective",
        True,
        r"date\s+d['’]entrée\s+en\s+vigueur|en\s+vigueur\s+(?:le|au|depuis"
        r"\s+le|à\s+(?:compter|partir)\s+du)|en\s+vigueur|s['’]appliqu(?:e|ent)\s+à\s+(?:partir|compter)"
        r"\s+d[eu]|applicables?\s+à\s+(?:partir|compter)\s+d[eu]|valables?\s+[\w\s']{0,60}?à"
        r"\s+compter\s+du",
    ),
    ("fr", "created", True, r"date\s+de\s+création|créée?\s+le"),
    # Spanish
    (
        "es",
        "updated",
        True,
        r"(?:fecha\s+de\s+(?:la\s+)?)?última\s+actualización|actualizad[oa]"
        r"\s+(?:el|por\s+última\s+vez(?:\s+el)?)|fecha\s+de\s+publicación",
    ),
    (
        "es",
        "revised",
        True,
        r"última\s+(?:revisión|modificación)|modificad[oa]\s+el|revisad[oa]"
        r"\s+el",
    ),
    (
        "es",
        "effective",
        True,
        r"(?:fecha\s+de\s+)?entrada\s+en\s+vigor|en\s+vigor\s+(?:desde"
        r"|a\s+partir\s+del?)|vigente\s+(?:desde|a\s+partir\s+del?)|aplicable\s+a\s+partir\s+del?"
        r"|efectiv[oa]\s+(?:desde|a\s+partir\s+del?)",
    ),
    ("es", "created", True, r"fecha\s+de\s+creación|cread[oa]\s+el"),
    # Italian
    (
        "it",
        "updated",
        True,
        r"(?:data\s+(?:dell['’])?)?ultimo\s+aggiornamento|aggiornat[oa]\s+"
        r"(?:il|al)|versione\s+del",
    ),
    ("it", "revised", True, r"ultima\s+(?:revisione|modifica)|modificat[oa]\s+il|rivist[oa]\s+il"),
    (
        "it",
        "effective",
        True,
        r"(?:data\s+di\s+)?entrata\s+in\s+vigore|in\s+vigore\s+dal|efficace"
        r"\s+dal|valid[oa]\s+dal|decorrenza",
    ),
    ("it", "created", True, r"data\s+di\s+creazione|creat[oa]\s+il"),
    # Dutch
    (
        "nl",
        "updated",
        True,
        r"laatst\s+(?:bijgewerkt|gewijzigd|aangepast)|laatste\s+(?:update"
        r"|wijziging|aanpassing)|bijgewerkt\s+op|gewijzigd\s+op",
    ),
    ("nl", "revised", True, r"laatst\s+herzien|herzien\s+op"),
    (
        "nl",
        "effective",
        True,
        r"ingangsdatum|van\s+kracht\s+(?:vanaf|per|sinds)|geldig\s+"
        r"(?:vanaf|per|sinds)|in\s+werking\s+(?:vanaf|per|sinds)",
    ),
    ("nl", "created", True, r"aangemaakt\s+op|opgesteld\s+op"),
    # Portuguese
    (
        "pt",
        "updated",
        True,
        r"(?:data\s+da\s+)?última\s+atualização|atualizad[oa]\s+em|atualizad[oa]"
        r"\s+pela\s+última\s+vez\s+em",
    ),
    (
        "pt",
        "revised",
        True,
        r"última\s+(?:revisão|modificação)|revisad[oa]\s+em|modificad[oa]\s+em",
    ),
    (
        "pt",
        "effective",
        True,
        r"(?:data\s+de\s+)?(?:vigência|entrada\s+em\s+vigor)|em\s+vigor\s+"
        r"(?:desde|a\s+partir\s+de)|vigente\s+(?:desde|a\s+partir\s+de)|efetiv[oa]\s+(?:desde|a\s+"
        r"partir\s+de)",
    ),
    ("pt", "created", True, r"data\s+de\s+criação|criad[oa]\s+em"),
]

_CUE_SOURCE = (
    r"(?<![^\W\d_])(?:"
    + "|".join(f"(?P<c{i}>{p})" for i, (_, _, _, p) in enumerate(_CUES))
    + r")(?![^\W\d_])"
)
_CUE_RE = re.compile(_CUE_SOURCE, re.I)
# the same cues over lowercased text: case-sensitive matching is ~40 % cheaper (measured);
# the cue texts are all lowercase, so only the text needs lowering
_CUE_LOWER_RE = re.compile(_CUE_SOURCE)
# between a cue and its date: punctuation, markup and a few connecting words
_GAP = re.compile(
    r"(?:[\s*_:,.\-–—(\[|]|</?\w{1,6}>|\b(?:on|or\s+about|about|as\s+of|of|from|at|is|was|the|"
    r"and\s+(?:updated|revised|modified|effective)|"
    r"le|la|du|au|"
    r"des|en\s+date\s+du|à\s+compter\s+du|à\s+partir\s+du|am|vom|ab|seit|per|op|sinds|vanaf|"
    r"van|de|del|desde|el|il|dal|em|a\s+partir\s+de)\b){0,8}",
    re.I,
)
_SELF = re.compile(
    r"\b(?:this|these|it|our|policy|policies|statement|notice|version|document|terms|"
    r"agreement|page|cette|ce|présente|présentes|politique|charte|diese|dieser|dieses|"
    r"datenschutz\w*|erklärung|esta|este|presente|política|aviso|questa|questo|informativa|"
    r"deze|dit|verklaring|beleid)\b",
    re.I,
)
_LAW = re.compile(
    r"\b(?:gdpr|rgpd|dsgvo|avg|lgpd|ccpa|cpra|coppa|regulation|règlement|reglamento|"
    r"regolamento|verordnung|directive|directiva|direttiva|richtlinie|act|law|loi|ley|legge|"
    r"gesetz|wet|lei|code|statute|décret|decree|amendment|court|cnil)s?\b",
    re.I,
)
_POLICY_TITLE = re.compile(
    r"(?:privacy|cookie|data\s+protection)\s+(?:policy|statement|notice)|politique\s+de\s+"
    r"confidentialité|datenschutzerklärung|política\s+de\s+privacidad",
    re.I,
)
_CHANGELOG = re.compile(
    r"change\s*log|(?:revision|version)\s+history|historique\s+des\s+(?:modifications|versions)"
    r"|änderungshistorie"
)
_CHANGELOG_KEYS = (
    "changelog",
    "change log",
    "revision history",
    "version history",
    "historique des",
    "änderungshistorie",
)
# what may stand between a strong cue and its date: a title and a colon, or an object and
# "on" ("npm last updated these npm Open Source Terms on March 10, 2022")
_TITLED = re.compile(r"[^\d\n.:;!?]{1,60}?(?::|\bon\b)")
_COLON_AFTER = re.compile(r"[*_\s]{0,3}:")
_DIGIT_RUN = re.compile(r"[0-9][0-9./-]{3,}")
_YEARISH = re.compile(r"(?<!\d)(?:(?:19|20)\d\d|\d{1,2}[./-]\d{1,2}[./-]\d\d)(?!\d)")
_CUE_WINDOW = 240  # cue + connecting words + a title + the date's text before its year
_MAX_CUE = 80  # the longest cue text
_SENTENCE_END = re.compile(r"[.!?;]\s|\n")
_UNDERLINE = re.compile(r"^\s*[-=]{3,}\s*$")  # a markdown heading's underline
_LINE_PREFIX = re.compile(r"^[\s#>*_\-+|\[(]*")
_NON_ENGLISH_ORDER = frozenset({"de", "fr", "es", "it", "nl", "pt"})


@dataclass(frozen=True)
class StatedDate:
    date: date
    kind: str  # updated | revised | effective | created
    span: str  # the text it was read from, for checking by eye


def _as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _year(text: str) -> int:
    y = int(text)
    return y + (2000 if y < 70 else 1900) if y < 100 else y


def _read_date(text: str, pos: int, lang: str | None) -> tuple[date, int] | None:
    """The date that starts at ``pos`` and where it ends, or None."""
    for form in _DATE_FORMS:
        m = form.match(text, pos)
        if not m:
            continue
        g = m.groupdict()
        try:
            year = _year(g["y"])
            if "a" in g and g["a"] is not None:
                a, b = int(g["a"]), int(g["b"])
                if a > 12 and b <= 12:
                    day, month = a, b
                elif b > 12 and a <= 12:
                    day, month = b, a
                elif g["sep"] == "." or lang != "en":
                    day, month = a, b
                else:
                    day, month = b, a
            else:
                raw = g["m"]
                month = int(raw) if raw.isdigit() else _MONTHS[raw.lower()]
                day = int(g["d"]) if g.get("d") else 1
            found = date(year, month, day)
        except (ValueError, KeyError):
            continue
        return found, m.end()
    return None


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _sentence_start(text: str, pos: int, line_start: int) -> int:
    start = line_start
    for m in _SENTENCE_END.finditer(text, line_start, pos):
        start = m.end()
    return start


def _cues_before_dates(text: str) -> Iterator[re.Match[str]]:
    """Cue matches in the stretch before each year or numeric date, each once.

    Every date form holds a year or a dd/mm/yy run, and a cue stands at most a title's
    length before its date: scanning only those stretches instead of the whole text makes
    the cue search ~5x cheaper (the big case-insensitive alternation is the costly part).
    """
    seen: set[int] = set()
    scanned = 0
    lowered = text.lower()
    cue_re = _CUE_LOWER_RE
    if len(lowered) != len(text):  # a few characters lowercase to two: keep offsets right
        lowered, cue_re = text, _CUE_RE
    # runs of digits and separators first: a pattern that starts with a character class is
    # searched ~8x faster than the exact year pattern, which then only reads the runs
    for run in _DIGIT_RUN.finditer(text):
        for y in _YEARISH.finditer(run.group()):
            at = run.start() + y.start()
            lo = max(scanned, at - _CUE_WINDOW)
            # a cue may end just past ``scanned``: start early enough to catch it whole
            for m in cue_re.finditer(lowered, max(0, lo - _MAX_CUE), at):
                if m.start() not in seen:
                    seen.add(m.start())
                    yield m
            scanned = at


def _cue_candidates(text: str, page_lang: str | None) -> list[tuple[date, str, str]]:
    found: list[tuple[date, str, str]] = []
    for m in _cues_before_dates(text):
        lang, kind, strong, _ = _CUES[int(m.lastgroup[1:])]  # type: ignore[index]
        line_start, line_end = _line_bounds(text, m.start())
        line = text[line_start:line_end]
        if line.lstrip().startswith("|"):
            continue  # a table: version tables list other documents' dates
        gap = _GAP.match(text, m.end())
        pos = gap.end() if gap else m.end()
        if text[m.end() : pos].count("\n") > 2:
            continue  # the date must follow in the same or the next block
        read = _read_date(text, pos, lang or page_lang or "en")
        if read is None and strong:
            # "Dernière mise à jour des Conditions générales d'utilisation : 28 octobre 2025"
            titled = _TITLED.match(text, m.end())
            if titled:
                gap = _GAP.match(text, titled.end())
                pos = gap.end() if gap else titled.end()
                read = _read_date(text, pos, lang or page_lang or "en")
        if read is None:
            continue
        when, end = read
        # a cue that opens its line, or is set off by a colon ("..., Updated: December 23,
        # 2013"), labels the date; one inside running text must pass the sentence checks
        opens_line = not _LINE_PREFIX.sub("", text[line_start : m.start()]) or bool(
            _COLON_AFTER.match(text, m.end())
        )
        sent_start = _sentence_start(text, m.start(), line_start)
        before = text[sent_start : m.start()]
        after = text[end : min(line_end, end + 60)]
        if not opens_line:
            if _LAW.search(before):
                continue
            if not strong and not _SELF.search(before):
                continue
        if after.startswith(",") and _LAW.search(after.split(".")[0]):
            continue  # "Effective January 1, 2005, California Civil Code Section ..."
        found.append((when, kind, text[m.start() : end]))
    return found


def _bare_candidates(text: str, page_lang: str | None) -> list[tuple[date, str, str]]:
    """A line that is only a date near the start or end; a policy title then a date."""
    found: list[tuple[date, str, str]] = []
    lines = [ln for ln in text.splitlines() if ln.strip()]
    edge = lines[:3] + lines[-3:]
    for line in edge:
        bare = _LINE_PREFIX.sub("", line).strip(" *_.)]")
        read = _read_date(bare, 0, page_lang or "en")
        if read and read[1] == len(bare):
            found.append((read[0], "updated", line.strip()))
    # a date alone under the policy's own heading, past a menu ("VR's Data Protection
    # Notice" / "----" / "21 April 2026")
    content = [ln for ln in lines if not _UNDERLINE.match(ln)]
    for i, line in enumerate(content[:40]):
        if len(line) <= 100 and _POLICY_TITLE.search(line) and i + 1 < len(content):
            bare = _LINE_PREFIX.sub("", content[i + 1]).strip(" *_.)]")
            read = _read_date(bare, 0, page_lang or "en")
            if read and read[1] == len(bare):
                found.append((read[0], "updated", f"{line.strip()} / {bare}"))
            break
    for line in lines[:5]:
        if len(line) > 100 or line.lstrip().startswith("|"):
            continue
        m = _POLICY_TITLE.search(line)
        if not m:
            continue
        rest = line[m.end() :]
        gap = _GAP.match(rest)
        read = _read_date(rest, gap.end() if gap else 0, page_lang or "en")
        if read:
            found.append((read[0], "updated", line.strip()))
    return found


def _changelog_candidates(text: str, page_lang: str | None) -> list[tuple[date, str, str]]:
    """Dated entries of a change log: '- *August 19, 2026:* Added ...' after 'Change log'."""
    found: list[tuple[date, str, str]] = []
    lowered = text.lower()
    if not any(key in lowered for key in _CHANGELOG_KEYS):
        return found  # substring tests first: the regex scan costs more than the rest
    if len(lowered) != len(text):  # a few characters lowercase to two: keep offsets right
        lowered = text
    for m in _CHANGELOG.finditer(lowered):
        window = text[m.end() : m.end() + 3000]
        for line in window.splitlines()[:40]:
            stripped = _LINE_PREFIX.sub("", line)
            read = _read_date(stripped, 0, page_lang or "en")
            if read and stripped[read[1] : read[1] + 3].lstrip("*_ ").startswith((":", "–", "-")):
                found.append((read[0], "updated", line.strip()))
    return found


def find_stated_date(
    text: str,
    captured_at: date | datetime | None = None,
    language: str | None = None,
) -> StatedDate | None:
    """The date ``text`` (markdown) states for itself, or None; never after ``captured_at``."""
    if not text:
        return None
    page_lang = (language or "").lower()[:2] or None
    plain = strip_markdown(text)
    candidates = _cue_candidates(plain, page_lang)
    candidates += _bare_candidates(plain, page_lang)
    candidates += _changelog_candidates(plain, page_lang)
    limit = _as_date(captured_at)
    valid = [c for c in candidates if c[0].year >= MIN_YEAR and (limit is None or c[0] <= limit)]
    if not valid:
        return None
    best = max(valid, key=lambda c: (c[0], -KINDS.index(c[1])))
    return StatedDate(best[0], best[1], " ".join(best[2].split())[:200])
