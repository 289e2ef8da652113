"""The date a policy states for itself: seven languages, the traps, and the corpus floors."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipelines.text.stated_date import find_stated_date

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = date(2026, 9, 1)

# (text, language, expected date or None, expected kind or None)
CASES: list[tuple[str, str | None, str | None, str | None]] = [
    # English
    (
        "# Privacy Policy\n\nLast updated: March 3, 2018\n\nWe collect data.",
        "en",
        "2018-03-03",
        "updated",
    ),
    ("Effective as of 25 May 2018\n\nThis policy explains ...", "en", "2018-05-25", "effective"),
    ("**Last Revised: April, 2011**\n\nText.", "en", "2011-04-01", "revised"),
    ("*Last updated October 2, 2012*", "en", "2012-10-02", "updated"),
    ("Effective Date:  3/1/2009", "en", "2009-03-01", "effective"),  # US order
    ("**Last Updated: 3/11/2025**", "en", "2025-03-11", "updated"),
    ("Updated: 22/07/2026", "en", "2026-07-22", "updated"),  # a day above 12 decides
    ("Version: May 12<sup>th</sup> 2026", "en", "2026-05-12", "updated"),
    ("Updated: Tuesday, May 5, 2015 2:51 pm.", "en", "2015-05-05", "updated"),
    (
        "This Privacy Policy is effective as of February 26th, 2014. We may change it.",
        "en",
        "2014-02-26",
        "effective",
    ),
    (
        "It may be updated occasionally. It was most recently updated on May 21, 2015.",
        "en",
        "2015-05-21",
        "updated",
    ),
    ("Last updated and effective as of April 28, 2014", "en", "2014-04-28", "updated"),
    # formats of the fresh Open Terms Archive sample (docs/stated_dates.md)
    ("Last revised and updated 01/15/2025. To review a changelog", "en", "2025-01-15", "revised"),
    ("Last Updated: Nov, 24 2022", "en", "2022-11-24", "updated"),
    ("Last revised APRIL-2024", "en", "2024-04-01", "revised"),
    ("Last updated: 2026.08.07", "en", "2026-08-07", "updated"),
    ("Dated: January 22, 2026", "en", "2026-01-22", "updated"),
    (
        "Updated September/11, 2025 by ASUS Personal Data Protection Committee",
        "en",
        "2025-09-11",
        "updated",
    ),
    ("the Regulation (EU) 2016/679 of the Council dated 27 April 2016 on data", "en", None, None),
    (
        "[Terms](https://x.example/terms)\n\nOur Data Protection Notice\n"
        "---------------------------\n\n21 April 2026\n\nThis notice may be updated.",
        "en",
        "2026-04-21",
        "updated",
    ),
    (
        "This Policy was created on 1 January 2020.\nDate created: 2 January 2020",
        "en",
        "2020-01-02",
        "created",
    ),
    # German
    ("Stand: 01.03.2020", "de", "2020-03-01", "updated"),
    ("Stand: Juni 2021", "de", "2021-06-01", "updated"),
    ("Zuletzt aktualisiert am 3. März 2020", "de", "2020-03-03", "updated"),
    (
        "Diese Datenschutzbestimmungen gelten ab 01.02.2026 Bis dahin gilt die alte.",
        "de",
        "2026-02-01",
        "effective",
    ),
    ("*Letzte Aktualisierung: Mai 26, 2026*", "de", "2026-05-26", "updated"),
    # French
    ("Dernière mise à jour : 3 mars 2020", "fr", "2020-03-03", "updated"),
    ("*En vigueur au 13 décembre 2024*", "fr", "2024-12-13", "effective"),
    (
        "La présente politique s’applique à compter du 2 février 2022.",
        "fr",
        "2022-02-02",
        "effective",
    ),
    ("Date de dernière mise à jour 01/01/2025.", "fr", "2025-01-01", "updated"),
    ("Version du 1er mars 2024", "fr", "2024-03-01", "updated"),
    (
        "Dernière mise à jour des Conditions générales d’utilisation : 28 octobre 2025.",
        "fr",
        "2025-10-28",
        "updated",
    ),
    # Spanish
    ("Última actualización: 3 de marzo de 2020", "es", "2020-03-03", "updated"),
    ("Fecha de entrada en vigor: 15/04/2021", "es", "2021-04-15", "effective"),
    ("Esta política está vigente desde el 1 de enero de 2022.", "es", "2022-01-01", "effective"),
    # Italian
    ("Ultimo aggiornamento: 3 marzo 2020", "it", "2020-03-03", "updated"),
    ("Informativa in vigore dal 25/05/2018", "it", "2018-05-25", "effective"),
    ("Data di entrata in vigore: 1° luglio 2023", "it", "2023-07-01", "effective"),
    # Dutch
    ("Laatst bijgewerkt: 3 maart 2020", "nl", "2020-03-03", "updated"),
    ("Deze verklaring is van kracht vanaf 01-06-2022.", "nl", "2022-06-01", "effective"),
    ("Laatst gewijzigd op 12 oktober 2021", "nl", "2021-10-12", "updated"),
    # Portuguese
    ("Última atualização: 3 de março de 2020", "pt", "2020-03-03", "updated"),
    ("Data de vigência: 18/09/2020", "pt", "2020-09-18", "effective"),
    ("Esta política foi atualizada em 10 de agosto de 2021.", "pt", "2021-08-10", "updated"),
    # several dates: the latest wins and the kind says which
    ("Effective July 20, 2012 (last updated October 08, 2013)", "en", "2013-10-08", "updated"),
    ("*Effective date: July 1, 2004, Updated: December 23, 2013*", "en", "2013-12-23", "updated"),
    (
        "This Policy was last revised on January 3, 2025.\n\nEffective Date: March 1, 2025",
        "en",
        "2025-03-01",
        "effective",
    ),
    (
        "Last updated: June 6, 2024\n\n...\n\nLast updated: August 5, 2026",
        "en",
        "2026-08-05",
        "updated",
    ),
    # no cue needed: a date alone at the top, a policy title with a date, a change log
    ("*February 14, 2025*\n\nOur guidelines.", "en", "2025-02-14", "updated"),
    ("**Caribou Coffee Privacy Statement June 3, 2003**\n\nText.", "en", "2003-06-03", "updated"),
    (
        "## Changes\n\n**Change log:**\n\n- *August 19, 2026:* Added sub-processors.\n"
        "- *April 16, 2026:* Replaced a vendor.",
        "en",
        "2026-08-19",
        "updated",
    ),
    # traps: a law's date, a copyright year, phone numbers, example logs, version tables
    (
        "The EU's General Data Protection Regulation (GDPR) took effect May 25, 2018.",
        "en",
        None,
        None,
    ),
    ("According to the GDPR of 27 April 2016 we are the controller.", "en", None, None),
    ("Copyright © 2013 Tribune Company. All rights reserved.", "en", None, None),
    ("Call us: +33 1 40 27 30 00 or 01.40.27.30.00, fax 03/04/2020 11 22", "fr", None, None),
    (
        "Effective January 1, 2005, California Civil Code Section 1798.83 permits users ...",
        "en",
        None,
        None,
    ),
    (
        "A California privacy law that went into effect on January 1, 2005 allows ...",
        "en",
        None,
        None,
    ),
    (
        "conformément à la loi n° 78-17 du 6 janvier 1978 modifiée, en vigueur le 6 janvier 1978",
        "fr",
        None,
        None,
    ),
    ("123.45.67.89 - 25/Mar/2003 10:15:32 - http://www.google.com/search?q=cars", "en", None, None),
    ("| Français | [Version du 24 mai 2018](https://example.com/v.pdf) |", "fr", None, None),
    (
        "This provision applies only to information received by us after May 15, 2005.",
        "en",
        None,
        None,
    ),
    ("Cancellations are effective the following billing period.", "en", None, None),
    ("See our [previous version](https://example.com/privacy-10-10-2020).", "en", None, None),
    ("Stand der Technik gemäß Art. 32 DSGVO vom 27. April 2016", "de", None, None),
    ("Última actualización del Reglamento (UE) 2016/679 de 27 de abril de 2016", "es", None, None),
]


@pytest.mark.parametrize(("text", "lang", "expected", "kind"), CASES)
def test_stated_date(text: str, lang: str | None, expected: str | None, kind: str | None) -> None:
    found = find_stated_date(text, CAPTURE, lang)
    if expected is None:
        assert found is None, f"invented {found}"
    else:
        assert found is not None
        assert (found.date.isoformat(), found.kind) == (expected, kind)


def test_never_after_capture() -> None:
    text = "Last updated: March 3, 2018\n\nThis policy is effective on September 1, 2026."
    assert find_stated_date(text, date(2026, 8, 22)).date == date(2018, 3, 3)  # type: ignore[union-attr]
    assert find_stated_date("Effective: September 1, 2026", date(2026, 8, 22)) is None
    # a datetime capture (as process_page passes) works the same
    when = datetime(2026, 9, 2, 10, 0, tzinfo=UTC)
    assert find_stated_date("Effective: September 1, 2026", when).date == date(2026, 9, 1)  # type: ignore[union-attr]


def test_numeric_order_follows_the_language() -> None:
    assert find_stated_date("Last updated: 01/02/2026", CAPTURE).date == date(2026, 1, 2)  # type: ignore[union-attr]
    assert find_stated_date("Mis à jour le 01/02/2026", CAPTURE, "fr").date == date(2026, 2, 1)  # type: ignore[union-attr]
    # a shared cue ("Version") takes the page's language
    assert find_stated_date("Version 01/02/2026", CAPTURE, "de").date == date(2026, 2, 1)  # type: ignore[union-attr]


def test_nothing_to_find() -> None:
    assert find_stated_date("", CAPTURE) is None
    assert find_stated_date("We collect your email address and date of birth.", CAPTURE) is None


def _eval_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "eval_stated_dates", ROOT / "scripts" / "eval_stated_dates.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_stated_dates"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.corpus
def test_corpus_floors(shared_data: Path) -> None:
    """Hand-labelled pages (docs/stated_dates.md): >= 95 % exact, <= 2 % invented."""
    ev = _eval_module()
    rows = ev.load_labels()
    res = ev.evaluate(shared_data, rows, "all")
    assert res.stated >= 150 and res.unstated >= 80
    assert res.exact_rate >= 0.95, res.misses
    assert res.invented_rate <= 0.02, res.misses
