"""What kind of document is this page? privacy policy, cookie policy, terms, imprint, other
legal text, or no legal text at all; with a score and a reason a person can check.

Two stages, both readable:

1. Gates (rules): the explicit negatives of :mod:`pipelines.text.detect` (captcha walls,
   parked domains, error pages, ...), texts too short to be a policy, and texts with no legal
   vocabulary and no legal name are ``not_legal``.
2. A small linear model (multinomial logistic regression, ``pipelines/models/doctype.json``)
   over a dozen named features: what the page's own title and first headings call it
   (privacy / cookies / terms / imprint / other legal), and how densely the text uses the
   vocabulary of each kind (privacy concepts from ``detect``, cookies, contract terms,
   publisher details, processor agreements, rules of use, and phrases addressed to the
   person whose data it is). Weights were fitted on Open Terms Archive and OPP-115 pages
   (``scripts/train_doctype.py``); ``scripts/eval_detection.py`` measures it with whole
   services held out. The vocabularies cover English, French, German, Spanish, Italian,
   Dutch, Portuguese, Swedish, Danish and Polish.

3. A second look at pages the model takes for something else (:func:`second_look`): a page
   that is a privacy policy *and* something else is a privacy policy. It is one when its
   title names a privacy policy (and no terms or cookie policy) and the privacy detector
   accepts its text, or when it holds a section headed as a privacy policy that the model,
   judging that section alone, takes for one (a legal hub: terms, privacy, copyright on
   one page).

The URL and the link text that led to a page are optional *hints*: they can add a little to
the type they name, never stand in for the content (the gates and the model see the text).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.text.detect import (
    MIN_WORDS,
    Detection,
    Table,
    TextFacts,
    _concept_hits,
    _fold,
    _negative,
    detect_from_facts,
    text_facts,
)

logger = logging.getLogger(__name__)

PRIVACY_POLICY = "privacy_policy"
COOKIE_POLICY = "cookie_policy"
TERMS = "terms"
IMPRINT = "imprint"
OTHER_LEGAL = "other_legal"
NOT_LEGAL = "not_legal"
TYPES = (PRIVACY_POLICY, COOKIE_POLICY, TERMS, IMPRINT, OTHER_LEGAL, NOT_LEGAL)
MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "doctype.json"

HINT_WEIGHT = 0.5  # logit added to the type a URL or link text names: evidence, not a verdict
NAME_HEAD_CHARS = 600  # the first headings: where a page says what it is
NAME_HEADINGS = 3
PRIVACY_MIN = 0.3  # see predict(); chosen on held-out services (scripts/eval_detection.py)
NAME_MAX_WORDS = 10

# What a page calls itself (title, first line, first headings), folded (no accents, lower).
_NAMES: dict[str, str] = {
    PRIVACY_POLICY: (
        r"privacy|datenschutz|confidentialite|vie privee|protection des (?:donnees|renseignements)"
        r"|donnees (?:a caractere )?personnelles|privacidad|privacidade|riservatezza"
        r"|informativa|privacybeleid|privacyverklaring|integritet|prywatnosci|persondata"
        r"|data protection|personal (?:data|information)|dati personali|datos personales"
        r"|dados pessoais|gegevensbescherming|rgpd|gdpr|dsgvo"
    ),
    COOKIE_POLICY: r"cookie|traceurs|trackers|tracking technolog",
    TERMS: (
        r"terms|conditions (?:generales|d.utilisation|of use)|\bcgu\b|user agreement"
        r"|nutzungsbedingungen|\bagb\b|geschaftsbedingungen|terminos|condiciones|condizioni"
        r"|voorwaarden|termos|villkor|vilkar|regulamin|(?:services?|user|customer) agreement"
    ),
    IMPRINT: (
        r"imprint|impressum|mentions legales|legal notice|aviso legal|note legali|colofon"
        r"|colophon|informacion legal"
    ),
    OTHER_LEGAL: (
        r"acceptable use|usage policy|use policy|data processing (?:addendum|agreement|terms)"
        r"|processor|sub-?processors?|sous-traitant|auftragsverarbeitung|copyright|dmca"
        r"|guidelines|law enforcement|accessib|disclosure|conditions (?:generales )?de vente"
        r"|conditions of sale|\bcgv\b|brand|trademark|community (?:standards|rules)"
        r"|code of conduct|transparency report"
    ),
}

# Vocabularies counted in the body (folded text; word starts implied).
_VOCAB: dict[str, str] = {
    "terms": (
        r"you agree|agree to (?:these|the) terms|these terms|terms of (?:use|service)"
        r"|liabilit|warrant|indemnif|governing law|arbitration|terminat|dispute"
        r"|intellectual property|licen[cs]e|subscription|refund|les presentes|conditions generales"
        r"|cgu\b|responsabilite|resiliation|propriete intellectuelle|litige|nutzungsbedingungen"
        r"|haftung|gewahrleistung|kundigung|gerichtsstand|terminos y condiciones"
        r"|responsabilidad|garantia|condizioni|responsabilita|voorwaarden|aansprakelijk"
        r"|termos|responsabilidade|villkor|ansvar|regulamin|odpowiedzialnos"
    ),
    "imprint": (
        r"registered (?:office|address|in)|company (?:number|registration|registered)"
        r"|share capital|vat (?:number|id|no|reg)|rcs\b|siret|siren\b|capital (?:social|de)"
        r"|directeur de (?:la )?publication|director of (?:the )?publication"
        r"|publication director|hebergeur|heberge par|hosted by|hosting provider|editeur"
        r"|handelsregister|registergericht|geschaftsfuhr|ust-?id|umsatzsteuer|vertreten durch"
        r"|kvk\b|cif\b|partita iva|registro mercantil|nip\b|krs\b|organisationsnummer|cvr\b"
        r"|legal notice|mentions legales|impressum|aviso legal|managing director"
    ),
    "processor": (
        # a processor as a party ("the Processor shall"), not "payment processors"
        r"(?:the|each|a) processor\b|processor shall|sub-?processors?|sous-traitant"
        r"|auftragsverarbeit"
        r"|customer (?:personal )?data"
        r"|standard contractual clauses|data processing (?:addendum|agreement|terms)"
        r"|on behalf of (?:the )?(?:customer|controller)"
        r"|data (?:exporter|importer)|encargado del tratamiento|responsabile del trattamento"
        r"|verwerker|personal data breach"
    ),
    "rules": (
        r"you (?:may|must|will|shall) not|do not (?:use|post|share|upload|create)|prohibited"
        r"|not (?:allowed|permitted)|violat|infring|copyright|dmca|takedown|counter-?notice"
        r"|law enforcement|subpoena|search warrant|guidelines|accessib|vulnerabilit|trademark"
        r"|harass|abuse|interdit|contrefacon|verboten|prohibid|vietat"
    ),
    "cookie": (
        r"cookies?|session cookie|persistent|first[- ]party|browser settings|expir|lifespan"
        r"|duration|duree|navigateur|traceurs?|local storage|pixel|beacon|opt[- ]out"
    ),
    "subject": (
        r"we collect|we (?:may )?(?:use|share|process|store|retain) (?:your|the|this|such)"
        r"|your (?:personal )?(?:data|information|details)|information (?:we|you) "
        r"|about you|your rights|your choices|nous collectons|vos donnees|vos droits"
        r"|vous concernant|ihre (?:daten|personenbezogenen)|ihre rechte|sus datos|sus derechos"
        r"|i tuoi dati|uw (?:persoons)?gegevens|seus dados|dina (?:personuppgifter|uppgifter)"
        r"|dine (?:personoplysninger|oplysninger)|twoje dane|data subject|personne concernee"
        r"|betroffene"
    ),
}

FEATURES = (
    "name_privacy",
    "name_cookie",
    "name_terms",
    "name_imprint",
    "name_other",
    "privacy_breadth",
    "privacy_density",
    "cookie_share",
    "cookie_density",
    "terms_density",
    "imprint_density",
    "processor_density",
    "rules_density",
    "subject_density",
    "length",
)
_NAME_FEATURE = {
    PRIVACY_POLICY: "name_privacy",
    COOKIE_POLICY: "name_cookie",
    TERMS: "name_terms",
    IMPRINT: "name_imprint",
    OTHER_LEGAL: "name_other",
}
_LABELS = {  # how a reason names a feature
    "name_privacy": "named a privacy policy",
    "name_cookie": "named a cookie policy",
    "name_terms": "named terms",
    "name_imprint": "named an imprint/legal notice",
    "name_other": "named another legal text",
    "privacy_breadth": "privacy concepts",
    "privacy_density": "privacy vocabulary",
    "cookie_share": "cookie share",
    "cookie_density": "cookie vocabulary",
    "terms_density": "contract vocabulary",
    "imprint_density": "publisher details",
    "processor_density": "processor-agreement vocabulary",
    "rules_density": "rules-of-use vocabulary",
    "subject_density": "addressed to the data subject",
    "length": "length",
}
_HEADING = re.compile(r"^\s*(?:#{1,6}\s*|\*\*)(.+?)\**\s*$", re.M)
# markdown headings with their level ("## ## Privacy Policy" is a level-2 heading)
_LEVELED_HEADING = re.compile(r"^(#{1,6})[ \t]*(?:#+[ \t]*)?(.+?)[ \t#]*$", re.M)
# a heading that names a privacy policy (folded), in the ten languages
_POLICY_HEADING = re.compile(
    r"privacy (?:policy|notice|statement)|datenschutz(?:erklarung|hinweise|richtlinie)"
    r"|politique de (?:confidentialite|protection des donnees)|politica de privacidad"
    r"|aviso de privacidad|informativa (?:sulla privacy|privacy|sul trattamento)"
    r"|privacyverklaring|privacybeleid|integritetspolicy|polityka prywatnosci"
    r"|privatlivspolitik|persondatapolitik|politica de privacidade|aviso de privacidade"
)
SECTION_MAX_HEADING_WORDS = 10


@dataclass(frozen=True)
class DocumentType:
    document_type: str
    score: float  # 0..1: the model's probability for the type (1.0 for a gate)
    reason: str  # e.g. "privacy_policy 0.98: named a privacy policy; privacy concepts 15/16"
    detection: Detection  # the privacy-policy detector's verdict on the same facts


@functools.cache
def _name_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((t, re.compile(p)) for t, p in _NAMES.items())


def _alternatives(pattern: str) -> tuple[str, ...]:
    """The top-level alternatives of ``pattern`` ("a|b(?:c|d)" -> "a", "b(?:c|d)")."""
    parts, depth, start, escaped = [], 0, 0, False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return (*parts, pattern[start:])


@functools.cache
def _vocab_table() -> Table:
    """The vocabularies as detect's concept table: counted by its fast scanner, each
    vocabulary on its own (overlapping vocabularies both count a phrase)."""
    return tuple((name, _alternatives(p)) for name, p in _VOCAB.items())


@functools.cache
def _model() -> dict[str, object]:
    # through importlib.resources, so the model loads from a zipped egg too (Scrapyd)
    from importlib import resources

    text = (resources.files("pipelines") / "models" / MODEL_PATH.name).read_text("utf-8")
    model: dict[str, object] = json.loads(text)
    if tuple(model["features"]) != FEATURES:  # type: ignore[arg-type]
        raise ValueError(f"{MODEL_PATH} was fitted on other features: retrain it")
    return model


def page_name(text: str, title: str | None) -> str:
    """What the page calls itself: its title, first line and first headings, folded."""
    head = (text or "")[:NAME_HEAD_CHARS]
    first = head.strip().split("\n", 1)[0] if head.strip() else ""
    headings = [m[1] for m in _HEADING.finditer(head)][:NAME_HEADINGS]
    # a name is short: a first sentence or a bold banner line is not what the page is called
    names = [n for n in (first, *headings) if len(n.split()) <= NAME_MAX_WORDS]
    return _fold(" | ".join([title or "", *names]))


def names_in(name: str) -> set[str]:
    return {t for t, pattern in _name_patterns() if pattern.search(name)}


def features(facts: TextFacts, name: str) -> dict[str, float]:
    """The model's inputs, by name (see FEATURES)."""
    named = names_in(name)
    per100 = 100.0 / max(facts.words, 1)
    counts = _concept_hits(facts.folded, _vocab_table())
    total = sum(facts.hits.values())
    f = {feat: float(t in named) for t, feat in _NAME_FEATURE.items()}
    f["privacy_breadth"] = len(facts.hits) / 16.0
    f["privacy_density"] = math.log1p(total * per100)
    f["cookie_share"] = facts.hits.get("cookies", 0) / max(total, 1)
    for v in ("cookie", "terms", "imprint", "processor", "rules", "subject"):
        f[f"{v}_density"] = math.log1p(counts.get(v, 0) * per100)
    f["length"] = math.log10(max(facts.words, 1)) / 4.0
    return f


def _softmax(logits: dict[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exp = {k: math.exp(v - top) for k, v in logits.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def _hinted(hints: str | None) -> set[str]:
    return names_in(_fold(hints)) if hints else set()


def _not_legal(facts: TextFacts, f: dict[str, float]) -> str | None:
    """Why the text is no legal document at all, if it is not."""
    named = any(f[_NAME_FEATURE[t]] for t in _NAME_FEATURE)
    concepts = len(facts.hits)
    negative = _negative(facts.folded, facts.folded_title, facts.words, concepts)
    if negative:
        return negative
    if facts.words < MIN_WORDS:
        return f"too short ({facts.words} words)"
    legal_words = max(f["terms_density"], f["imprint_density"], f["rules_density"])
    if not named and concepts < 5 and legal_words < math.log1p(0.5):
        return f"no legal vocabulary ({concepts} privacy concepts, no legal name)"
    return None


def classify_document(
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    hints: str | None = None,
    threshold: float = 0.5,
) -> DocumentType:
    """The document type of extracted ``text`` (markdown or plain).

    ``url`` and ``hints`` (link text, URL words) are evidence from the crawl: ``hints`` adds
    HINT_WEIGHT to the logit of each type it names; ``url`` only feeds the privacy detector's
    score as before. ``threshold`` is the detector's threshold (its verdict is returned too).
    """
    facts = text_facts(text, title)
    detection = detect_from_facts(facts, url=url, threshold=threshold)
    f = features(facts, page_name(text, title))
    gate = _not_legal(facts, f)
    if gate:
        return DocumentType(NOT_LEGAL, 1.0, f"not_legal: {gate}", detection)
    best, prob, reason = predict(f, _model(), _hinted(hints))
    if best != PRIVACY_POLICY:
        also = second_look(text, title, detection, _model())
        if also is not None:
            score, why = also
            return DocumentType(PRIVACY_POLICY, score, f"{why} (model: {reason})", detection)
    return DocumentType(best, prob, reason, detection)


def second_look(
    text: str, title: str | None, detection: Detection, model: dict[str, object]
) -> tuple[float, str] | None:
    """(score, reason) when a page the model takes for another type is a privacy policy too.

    Two kinds of page are both: one whose title names a privacy policy beside something
    else ("Privacy Policy and Disclaimer", "Privacy, Security, and Accessibility Policies"),
    judged by the privacy detector; and a legal hub holding a whole privacy policy as one of
    its sections, judged by the model on that section alone.
    """
    named = names_in(_fold(title or ""))
    if PRIVACY_POLICY in named and not named & {TERMS, COOKIE_POLICY} and detection.is_policy:
        return detection.score, (
            f"privacy_policy {detection.score:.2f}: titled a privacy policy, and the privacy "
            f"detector accepts the text ({detection.reason})"
        )
    for heading, section in policy_sections(text):
        facts = text_facts(section, heading)
        f = features(facts, page_name(section, heading))
        if _not_legal(facts, f):
            continue
        best, prob, _ = predict(f, model)
        if best == PRIVACY_POLICY:
            return prob, (
                f"privacy_policy {prob:.2f}: holds a privacy policy, section "
                f"{heading[:60]!r} ({facts.words} words, privacy concepts {len(facts.hits)}/16)"
            )
    return None


def policy_sections(text: str) -> list[tuple[str, str]]:
    """(heading, section) for each markdown heading that names a privacy policy; a section
    runs to the next heading of its level or above."""
    heads = [(m.start(), len(m[1]), m[2]) for m in _LEVELED_HEADING.finditer(text)]
    found = []
    for i, (start, level, heading) in enumerate(heads):
        if len(heading.split()) > SECTION_MAX_HEADING_WORDS:
            continue
        if not _POLICY_HEADING.search(_fold(heading)):
            continue
        end = next((s for s, lv, _ in heads[i + 1 :] if lv <= level), len(text))
        found.append((heading, text[start:end]))
    return found


def predict(
    f: dict[str, float],
    model: dict[str, object],
    hinted: set[str] | frozenset[str] = frozenset(),
    privacy_min: float | None = None,
) -> tuple[str, float, str]:
    """(type, probability, reason) of the linear model ``model`` on features ``f``.

    A page is a privacy policy when the model gives that at least ``privacy_min``
    (PRIVACY_MIN), even if another type scores higher: a page that is both a privacy policy
    and something else (terms, a cookie policy, a legal hub) is a privacy policy.
    """
    privacy_min = PRIVACY_MIN if privacy_min is None else privacy_min
    mean: list[float] = model["mean"]  # type: ignore[assignment]
    scale: list[float] = model["scale"]  # type: ignore[assignment]
    x = [(f[name] - mu) / sd for name, mu, sd in zip(FEATURES, mean, scale, strict=True)]
    coef: dict[str, list[float]] = model["coef"]  # type: ignore[assignment]
    intercept: dict[str, float] = model["intercept"]  # type: ignore[assignment]
    logits = {t: intercept[t] + sum(w * xi for w, xi in zip(coef[t], x, strict=True)) for t in coef}
    for t in logits:
        if t.split("/")[0] in hinted:
            logits[t] += HINT_WEIGHT
    # the model may learn finer kinds ("other_legal/processor"): a type's probability is
    # the sum of its kinds', its reason is its likeliest kind's
    kinds = _softmax(logits)
    probs: dict[str, float] = {}
    for t, p in kinds.items():
        probs[t.split("/")[0]] = probs.get(t.split("/")[0], 0.0) + p
    best = max(probs, key=probs.__getitem__)
    kind = max((t for t in kinds if t.split("/")[0] == best), key=kinds.__getitem__)
    also = ""
    if best != PRIVACY_POLICY and probs.get(PRIVACY_POLICY, 0.0) >= privacy_min:
        also = f" (also {best} {probs[best]:.2f}: a page that is both is a privacy policy)"
        best = kind = PRIVACY_POLICY
    contrib = sorted(
        ((w * xi, name, xi) for w, xi, name in zip(coef[kind], x, FEATURES, strict=True)),
        reverse=True,
    )
    parts = [_describe(name, f, xi < 0) for c, name, xi in contrib[:3] if c > 0]
    if best in hinted:
        parts.append("link/URL names it")
    return best, round(probs[best], 3), f"{best} {probs[best]:.2f}{also}: " + "; ".join(parts)


def _describe(name: str, f: dict[str, float], low: bool) -> str:
    """A feature as a person can check it; ``low``: it counts by being below the usual."""
    label = _LABELS[name]
    if name.startswith("name_"):
        return f"not {label}" if low else label
    if low:
        label = f"little {label}" if name != "length" else "short"
    if name == "privacy_breadth":
        return f"{label} {round(f[name] * 16)}/16"
    if name == "length":
        return f"{label} {round(10 ** (f[name] * 4))} words"
    if name == "cookie_share":
        return f"{label} ({f[name]:.0%} of privacy terms)"
    return f"{label} {math.expm1(f[name]):.1f}/100 words"


def classify_facts_for_training(
    text: str, title: str | None
) -> tuple[dict[str, float], str | None]:
    """The feature vector the model sees, and why the gates decide the page (None: they don't)."""
    facts = text_facts(text, title)
    f = features(facts, page_name(text, title))
    return f, _not_legal(facts, f)
