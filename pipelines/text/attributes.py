"""Rule-based attribute extraction for one clause: data types, third parties, purposes,
choices, retention periods, contact channels, laws and countries.

Each attribute kind is one compiled alternation of curated patterns; each alternative is a
named group whose name maps to a canonical value, so one ``finditer`` pass per kind finds
every value in text order. Values come back de-duplicated in first-seen order.

Casing: acronyms and proper names that collide with ordinary words (``US``, ``Apple``,
``Safe Harbor``) are matched case-sensitively; descriptive phrases case-insensitively.

``data_types`` uses the OPP-115 "Personal Information Type" values verbatim; field names
equal the attribute columns of :data:`pipelines.storage.schemas.ATTRIBUTE_FIELDS`.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import re._constants as _C  # the regex parser, to find literal triggers
import re._parser as _parser
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from urllib.parse import unquote

from pipelines.text.regextrie import trie_pattern

logger = logging.getLogger(__name__)


@dataclass
class Attributes:
    data_types: list[str] = field(default_factory=list)
    third_parties: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    retention_days: list[int] = field(default_factory=list)
    contact_emails: list[str] = field(default_factory=list)
    contact_urls: list[str] = field(default_factory=list)
    postal_addresses: list[str] = field(default_factory=list)
    laws: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


ATTRIBUTE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Attributes))

# ---------------------------------------------------------------------------------------------
# Lexicons: (canonical value, regex). "(?i:...)" marks a case-insensitive pattern.

DATA_TYPES: list[tuple[str, str]] = [
    (
        "Contact",
        r"(?i:e-?mail(?:ing)?\s+address(?:es)?|\bemail\b|e-mails?|contact\s+(?:information|"
        r"info|details|data)|(?:tele)?phone\s+numbers?|mobile\s+(?:phone\s+)?numbers?|"
        r"cell(?:ular)?\s+(?:phone\s+)?numbers?|fax\s+numbers?|(?:postal|mailing|home|"
        r"street|physical|billing|shipping)\s+address(?:es)?|\bnames?\s*(?:,|and|or)\s+"
        r"(?:e-?mail|(?:postal\s+|mailing\s+|home\s+)?address|phone|telephone)|"
        r"(?:your|first|last|full)\s+names?\b|text\s+messages?|\bSMS\b)",
    ),
    (
        "Financial",
        r"(?i:credit(?:\s+or\s+debit)?\s+card|debit\s+card|payment\s+(?:card\s+)?"
        r"(?:information|info|details|data|method)|billing\s+(?:information|info|details|"
        r"data)|financial\s+(?:information|data|details|account)|bank\s+account|"
        r"card\s*holder|account\s+numbers?|purchase\s+history|transaction\s+(?:history|"
        r"information|data|details)|income|\bcredit\s+(?:history|information|score)|"
        r"\btax\s+(?:id|identification))",
    ),
    (
        "Location",
        r"(?i:geo-?\s?location|\blocation(?:\s+(?:information|data|services))?\b|"
        r"\bGPS\b|zip\s+codes?|postal\s+codes?|geographic(?:al)?\s+(?:location|area|region|"
        r"information)|where\s+you\s+are|city\s+(?:and|or)\s+state|area\s+codes?|"
        r"precise\s+location|physical\s+location)",
    ),
    (
        "IP address and device IDs",
        r"(?i:\bIP\s+address(?:es)?|internet\s+protocol|\bIP\b|device\s+(?:id|ids|identifiers?"
        r"|identification)|unique\s+(?:device\s+)?identifiers?|\bUDIDs?\b|\bIDFAs?\b|"
        r"advertising\s+(?:id|identifiers?)|MAC\s+address|\bIMEI\b|mobile\s+device\s+"
        r"(?:id|identifiers?))",
    ),
    (
        "Cookies and tracking elements",
        r"(?i:cookies?\b|web\s+beacons?|beacons?\b|pixel\s+tags?|pixels?\b|clear\s+gifs?|"
        r"tracking\s+(?:technolog(?:y|ies)|tools?|pixels?|elements?|codes?)|"
        r"(?:html5\s+)?local\s+(?:shared\s+objects?|storage)|\bLSOs?\b|web\s+bugs?|"
        r"single[-\s]pixel\s+gifs?|tags?\s+and\s+scripts|\bSDKs?\b|similar\s+technolog(?:y|ies))",
    ),
    (
        "Demographic",
        r"(?i:demographic|\bgender\b|\bsex\b|(?:your|their|user'?s?)\s+age\b|age\s+range|date\s+of\s+birth|birth\s?date|birthday|"
        r"marital\s+status|ethnicity|\brace\b|racial|religio(?:n|us)|occupation|"
        r"education(?:al)?\s+(?:level|background|history)|household|nationality|"
        r"political\s+(?:opinions?|views|affiliation)|sexual\s+orientation|"
        r"personal\s+interests\b|hobbies)",
    ),
    (
        "Health",
        r"(?i:\bhealth\b|medical|\bPHI\b|prescription|diagnos[ie]s|treatment|symptoms?|"
        r"disabilit(?:y|ies)|allerg(?:y|ies)|fitness|biometric|genetic)",
    ),
    (
        "User online activities",
        r"(?i:pages?\s+(?:you\s+)?(?:view|visit|access)|(?:web\s+)?pages\s+viewed|"
        r"(?:browsing|search|navigation|viewing|purchase)\s+(?:history|activit(?:y|ies)|"
        r"behaviou?r|data|terms|quer(?:y|ies))|click[-\s]?stream|links?\s+(?:you\s+)?click|"
        r"usage\s+(?:information|data|statistics|details)|(?:online\s+)?activit(?:y|ies)\s+"
        r"(?:on|across)|how\s+(?:you|users|visitors)\s+(?:use|interact|navigate|browse)|"
        r"your\s+use\s+of|(?:log|server\s+log)\s+(?:files?|data|information)|"
        r"referring\s+(?:url|site|page|website)|referr(?:er|al)\s+(?:url|site|page|website)|"
        r"time\s+spent|date\s+and\s+time|access\s+times?|traffic\s+data|interactions?\s+"
        r"with|(?:site|website)\s+visits|search\s+terms|visits?\s+to\s+(?:our|the)|"
        r"(?:content|ads?|advertisements)\s+you\s+(?:view|click|see))",
    ),
    (
        "User profile",
        r"(?i:user\s?names?|screen\s+names?|passwords?|log-?in\s+(?:credentials|information|"
        r"details)|account\s+(?:information|details|credentials|data)|(?:your|user|public|"
        r"member)\s+profiles?\b|profile\s+(?:information|data|photo|picture)|"
        r"registration\s+(?:information|data|details)|user\s+(?:id|ids|account)\b"
        r"|member(?:ship)?\s+(?:information|id)|wish\s?list|favou?rites)",
    ),
    (
        "Computer information",
        r"(?i:browser\s+(?:types?|versions?|information|language)|operating\s+"
        r"system|\bOS\b|device\s+(?:type|model|information|data)|(?:hardware|software)\s+"
        r"(?:model|version|information|configuration)|screen\s+(?:resolution|size)|internet\s+"
        r"service\s+provider|\bISP\b|computer\s+(?:type|information|system)|type\s+of\s+"
        r"(?:computer|device|browser)|mobile\s+(?:carrier|network)|platform\s+type|"
        r"language\s+(?:preference|settings)|time\s?zone|type\s+of\s+browser)",
    ),
    (
        "Generic personal information",
        r"(?i:personal(?:ly)?[-\s](?:identifi(?:able|ed|cation|ying)\s+)?(?:information|data|"
        r"details|info)|personal\s+identif(?:ying|iable)\s+information|\bPII\b|"
        r"(?:information|data)\s+(?:about|from|relating\s+to|concerning)\s+(?:you|users?|"
        r"visitors?|children|customers?)\b|(?:your|user|customer|visitor|subscriber|"
        r"member)\s+(?:information|data)|information\s+(?:you|that\s+you|which\s+you)\s+"
        r"(?:provide|give|submit|share|enter|supply))",
    ),
    (
        "Personal identifier",
        r"(?i:social\s+security\s+numbers?|\bSSNs?\b|driver'?s?\s+licen[cs]e|passport|"
        r"national\s+(?:id|identification|insurance)|government[-\s](?:issued\s+)?"
        r"(?:id|identification|identifiers?)|tax(?:payer)?\s+(?:id|identification)\s+"
        r"numbers?|student\s+(?:id|identification)|persistent\s+identifiers?|"
        r"(?:photo|photograph)\s+id|\bidentity\s+(?:verification|documents?|cards?))",
    ),
    (
        "Social media data",
        r"(?i:social\s+(?:media|network(?:ing)?)\s*(?:sites?|services?|accounts?|profiles?|"
        r"platforms?|information|data|features?|plug-?ins?|widgets?)|facebook\s+connect|"
        r"(?:log|sign)\s+in\s+(?:with|through|via)\s+(?:facebook|twitter|google|apple|"
        r"linkedin)|friends?\s+lists?|lists?\s+of\s+friends|your\s+(?:facebook|twitter|"
        r"instagram|linkedin)\s+(?:account|profile))",
    ),
    (
        "Survey data",
        r"(?i:surveys?|questionnaires?|polls?\b|feedback\s+forms?|(?:contests?|sweepstakes|"
        r"promotions?)\s+(?:entr(?:y|ies)|information))",
    ),
]

THIRD_PARTIES: list[tuple[str, str]] = [
    ("Google Analytics", r"(?i:google\s+analytics)"),
    ("Google AdSense", r"(?i:google\s+adsense|\badsense\b)"),
    ("Google Ads", r"(?i:google\s+ad\s?words|google\s+ads\b|\badwords\b)"),
    ("Google Tag Manager", r"(?i:google\s+tag\s+manager)"),
    ("Google Maps", r"(?i:google\s+maps)"),
    ("reCAPTCHA", r"(?i:re-?captcha)"),
    ("Firebase", r"(?i:\bfirebase\b)"),
    ("DoubleClick", r"(?i:double\s?click)"),
    ("YouTube", r"(?i:you\s?tube)"),
    ("Google", r"\bGoogle\b|\bGOOGLE\b"),
    ("Facebook", r"(?i:\bfacebook\b)"),
    ("Meta", r"\bMeta\s+Platforms\b"),
    ("Instagram", r"(?i:\binstagram\b)"),
    ("WhatsApp", r"(?i:\bwhatsapp\b)"),
    ("Twitter", r"(?i:\btwitter\b)|\bX\s+\(formerly\s+Twitter\)"),
    ("LinkedIn", r"(?i:\blinkedin\b)"),
    ("Pinterest", r"(?i:\bpinterest\b)"),
    ("TikTok", r"(?i:\btiktok\b)"),
    ("Snapchat", r"(?i:\bsnap(?:chat)?\s+inc\b|\bsnapchat\b)"),
    ("Reddit", r"\bReddit\b"),
    ("PayPal", r"(?i:\bpay\s?pal\b)"),
    ("Stripe", r"\bStripe\b"),
    ("Braintree", r"\bBraintree\b"),
    ("Adyen", r"\bAdyen\b"),
    ("Klarna", r"\bKlarna\b"),
    ("Authorize.Net", r"(?i:authorize\.net)"),
    ("Worldpay", r"(?i:\bworld\s?pay\b)"),
    ("Apple", r"\bApple\b(?!\s+(?:pie|juice))"),
    ("Amazon Web Services", r"(?i:amazon\s+web\s+services)|\bAWS\b"),
    ("Amazon", r"\bAmazon\b"),
    ("Microsoft", r"(?i:\bmicrosoft\b)"),
    ("Bing", r"\bBing\b"),
    ("Yahoo", r"(?i:\byahoo!?)"),
    ("Oracle", r"\bOracle\b"),
    ("BlueKai", r"(?i:\bbluekai\b)"),
    ("Adobe", r"\bAdobe\b|(?i:\bomniture\b)"),
    ("Salesforce", r"(?i:\bsalesforce\b)"),
    ("HubSpot", r"(?i:\bhubspot\b)"),
    ("Mailchimp", r"(?i:\bmail\s?chimp\b)"),
    ("SendGrid", r"(?i:\bsendgrid\b)"),
    ("Twilio", r"(?i:\btwilio\b)"),
    ("Zendesk", r"(?i:\bzendesk\b)"),
    ("Intercom", r"\bIntercom\b"),
    ("Mixpanel", r"(?i:\bmixpanel\b)"),
    ("Amplitude", r"\bAmplitude\b"),
    ("Segment", r"(?i:\bsegment\.(?:io|com)\b)|\bTwilio\s+Segment\b"),
    ("Hotjar", r"(?i:\bhotjar\b)"),
    ("Optimizely", r"(?i:\boptimizely\b)"),
    ("Sentry", r"\bSentry\b"),
    ("Cloudflare", r"(?i:\bcloudflare\b)"),
    ("Akamai", r"(?i:\bakamai\b)"),
    ("Quantcast", r"(?i:\bquantcast\b)"),
    ("comScore", r"(?i:\bcomscore\b)"),
    ("Nielsen", r"\bNielsen\b"),
    ("Criteo", r"(?i:\bcriteo\b)"),
    ("AppNexus", r"(?i:\bappnexus\b)"),
    ("Taboola", r"(?i:\btaboola\b)"),
    ("Outbrain", r"(?i:\boutbrain\b)"),
    ("Chartbeat", r"(?i:\bchartbeat\b)"),
    ("AddThis", r"(?i:\baddthis\b)"),
    ("ShareThis", r"(?i:\bsharethis\b)"),
    ("Disqus", r"(?i:\bdisqus\b)"),
    ("AppsFlyer", r"(?i:\bappsflyer\b)"),
    ("Adjust", r"\badjust\.com\b|\bAdjust\s+GmbH\b"),
    ("Branch", r"\bBranch\s+Metrics\b"),
    ("Experian", r"(?i:\bexperian\b)"),
    ("Equifax", r"(?i:\bequifax\b)"),
    ("TransUnion", r"(?i:\btrans\s?union\b)"),
    ("Acxiom", r"(?i:\bacxiom\b)"),
    ("LiveRamp", r"(?i:\bliveramp\b)"),
    ("Datalogix", r"(?i:\bdatalogix\b)"),
    ("Lotame", r"(?i:\blotame\b)"),
    ("Neustar", r"(?i:\bneustar\b)"),
    ("Atlas", r"\bAtlas\s+Solutions\b"),
    ("Visa", r"\bVisa\b"),
    ("Mastercard", r"(?i:\bmaster\s?card\b)"),
    ("American Express", r"(?i:\bamerican\s+express\b)"),
    ("OpenAI", r"(?i:\bopenai\b)"),
    ("Vimeo", r"(?i:\bvimeo\b)"),
    ("Zoom", r"\bZoom\s+Video\b"),
    ("Shopify", r"(?i:\bshopify\b)"),
    ("Gravatar", r"(?i:\bgravatar\b)"),
    ("Automattic", r"(?i:\bautomattic\b)"),
    # kinds of recipients
    (
        "advertisers",
        r"(?i:advertis(?:ers?|ing\s+(?:partners?|networks?|companies|providers?|"
        r"services?|agenc(?:y|ies)|vendors?))|ad(?:vertising)?\s+(?:networks?|servers?|"
        r"serving\s+companies|tech(?:nology)?\s+(?:companies|providers?|partners?))|"
        r"\bad\s+partners?)",
    ),
    (
        "analytics providers",
        r"(?i:(?:web\s+|third[-\s]party\s+)?analytics\s+(?:providers?|services?|companies|"
        r"partners?|vendors?|tools?))",
    ),
    (
        "payment processors",
        r"(?i:payment\s+(?:processors?|processing\s+(?:companies|services?|providers?)|"
        r"service\s+providers?|providers?|gateways?)|(?:credit\s+card|card)\s+processing\s+"
        r"(?:companies|services?)|clearing\s+compan(?:y|ies)|(?:card\s+)?issuing\s+banks?)",
    ),
    (
        "domain name registries",
        r"(?i:domain\s+name\s+regist(?:ries|ry|rars?)|registry\s+operators?|\bICANN\b|"
        r"\bWHOIS\b)",
    ),
    (
        "law enforcement",
        r"(?i:law\s+enforcement|police|government(?:al)?\s+(?:authorit(?:y|ies)|agenc(?:y|ies)|"
        r"officials|bodies|entities)|public\s+authorit(?:y|ies)|regulators?\b|regulatory\s+"
        r"(?:authorit(?:y|ies)|bodies|agenc(?:y|ies))|courts?\s+of\s+law)",
    ),
    (
        "affiliates",
        r"(?i:affiliat(?:es|ed\s+(?:companies|entities|businesses|organi[sz]ations))|"
        r"subsidiar(?:y|ies)|parent\s+company|sister\s+companies|corporate\s+family|"
        r"family\s+of\s+companies|group\s+companies)",
    ),
    (
        "service providers",
        r"(?i:service\s+providers?|(?:third[-\s]party\s+)?vendors?|contractors?|"
        r"sub-?processors?|(?:data\s+)?processors?\b|suppliers?|agents\b|hosting\s+providers?|"
        r"outside\s+(?:companies|parties)\s+(?:that|who)\s+(?:help|assist|perform|work))",
    ),
    (
        "social networks",
        r"(?i:social\s+(?:networks?|networking\s+(?:sites?|services?|platforms?)|media\s+"
        r"(?:sites?|services?|platforms?|networks?|companies|providers?)))",
    ),
    (
        "business partners",
        r"(?i:business\s+partners?|marketing\s+partners?|co-?brand(?:ed)?\s+partners?|joint\s+marketing\s+partners?)",
    ),
    (
        "credit bureaus",
        r"(?i:credit\s+(?:bureaus?|reporting\s+agenc(?:y|ies)|reference\s+agenc(?:y|ies)))",
    ),
    (
        "acquirers",
        r"(?i:(?:merger|acquisition|sale\s+of\s+(?:all|some|substantially)|bankruptcy|successor))",
    ),
]

PURPOSES: list[tuple[str, str]] = [
    (
        "advertising",
        r"(?i:advertis(?:ing|ements?)|\bads\b|\bad\s+(?:targeting|delivery|serving)|"
        r"interest[-\s]based|behaviou?ral\s+(?:targeting|advertising)|retargeting|"
        r"re-?marketing)",
    ),
    (
        "analytics/research",
        r"(?i:analytics|analy[sz](?:e|is|ing)|statistic(?:s|al)|research|measur(?:e|ing|ement)|"
        r"understand\s+how|improv(?:e|ing|ement)\s+(?:our|the)\s+(?:site|website|services?|"
        r"products?)|aggregate\s+(?:data|information))",
    ),
    (
        "service operation",
        r"(?i:provid(?:e|ing)\s+(?:you\s+with\s+)?(?:our|the)\s+(?:services?|products?)|"
        r"operat(?:e|ing)\s+(?:our|the)\s+(?:site|website|services?)|process(?:ing)?\s+"
        r"(?:your\s+)?(?:orders?|transactions?|payments?|requests?)|fulfil(?:l)?(?:ing|ment)?|"
        r"customer\s+(?:service|support)|technical\s+support|deliver(?:y|ing)?\s+(?:of\s+)?"
        r"(?:the\s+|our\s+)?(?:services?|products?)|administ(?:er|ration)\s+(?:of\s+)?(?:your\s+)?"
        r"accounts?|(?:basic|core)\s+(?:service|functionality))",
    ),
    (
        "security",
        r"(?i:secur(?:ity|e\s+our)|fraud|prevent(?:ing)?\s+(?:abuse|misuse|spam)|"
        r"protect\s+(?:the\s+)?(?:rights|safety|security|integrity|against)|abuse|"
        r"unauthori[sz]ed\s+(?:access|use)|authenticat(?:e|ion)|verify\s+your\s+identity)",
    ),
    (
        "legal",
        r"(?i:compl(?:y|iance)\s+with\s+(?:the\s+|any\s+|all\s+|applicable\s+)?(?:law|legal|"
        r"court|regulat)|legal\s+(?:obligations?|process|requirements?|proceedings?|claims?)|"
        r"required\s+by\s+law|subpoenas?|court\s+orders?|enforce\s+(?:our|the)|"
        r"law\s+enforcement)",
    ),
    (
        "marketing",
        r"(?i:marketing|promotion(?:s|al)|newsletters?|special\s+offers|offers\s+(?:and|or)|"
        r"(?:send|sending)\s+you\s+(?:information\s+about|news|updates)|direct\s+mail)",
    ),
    (
        "personalization",
        r"(?i:personali[sz](?:e|ed|ing|ation)|customi[sz](?:e|ed|ing|ation)|tailor(?:ed|ing)?|"
        r"recommendations?|remember\s+your\s+(?:preferences|settings)|relevant\s+to\s+you)",
    ),
    (
        "communication",
        r"(?i:(?:contact|communicate\s+with|respond\s+to)\s+you|respond\s+to\s+your\s+"
        r"(?:inquir|enquir|questions|requests|comments))",
    ),
]

CHOICES: list[tuple[str, str]] = [
    (
        "industry opt-out",
        r"(?i:networkadvertising\.org|aboutads\.info|youronlinechoices|network\s+advertising"
        r"\s+initiative|digital\s+advertising\s+alliance|\bNAI\b|\bDAA\b)",
    ),
    (
        "unsubscribe link",
        r"(?i:unsubscribe\s+(?:link|button|instructions|option)|(?:click|clicking|follow|"
        r"following|use|using)\s+(?:on\s+)?(?:the\s+)?[\"\u201c]?unsubscribe|\bunsubscribe\b)",
    ),
    (
        "opt-out link",
        r"(?i:opt[-\s]?out\s+(?:link|page|form|tool|mechanism|here|button|cookie)|"
        r"click(?:ing)?\s+here\s+to\s+opt[-\s]?out|"
        r"opt[-\s]?out\s+(?:at|by\s+visiting)\s)",
    ),
    (
        "opt-out via email",
        r"(?i:opt[-\s]?out[^.]{0,80}(?:e-?mail(?:ing)?\s+(?:us|to)|send(?:ing)?\s+(?:us\s+)?"
        r"an?\s+e-?mail|@)|(?:e-?mail(?:ing)?\s+us|send(?:ing)?\s+(?:us\s+)?an?\s+e-?mail)"
        r"[^.]{0,80}opt[-\s]?out|reply(?:ing)?\s+\"?(?:stop|remove)\"?)",
    ),
    (
        "browser/cookie settings",
        r"(?i:browser(?:'s)?\s+(?:settings|preferences|options|controls|tools)|(?:disable|block|"
        r"reject|refuse|delete|remove|decline|turn\s+off|manage|control)\s+(?:all\s+|some\s+)?"
        r"(?:(?:third[-\s]party|the|these|our)\s+)?cookies|cookie\s+(?:settings|preferences|"
        r"banner|consent\s+tool)|set\s+your\s+browser|adjust(?:ing)?\s+your\s+browser|"
        r"private\s+browsing|incognito)",
    ),
    (
        "account settings",
        r"(?i:(?:account|privacy|profile|notification|communication|email)\s+(?:settings|"
        r"preferences|dashboard|page)|(?:edit|update|change)\s+your\s+(?:profile|account|"
        r"preferences)|preference\s+cent(?:er|re)|privacy\s+(?:center|centre|dashboard)|"
        r"my\s+account)",
    ),
    ("do not track", r"(?i:do[-\s]not[-\s]track|\bDNT\b)"),
    ("global privacy control", r"(?i:global\s+privacy\s+control|\bGPC\b)"),
    (
        "opt-in",
        r"(?i:opt(?:s|ed|ing)?[-\s]?in\b|express(?:ly)?\s+consent|affirmative(?:ly)?\s+"
        r"consent|prior\s+consent|unless\s+you\s+(?:agree|consent))",
    ),
]

LAWS: list[tuple[str, str]] = [
    ("UK GDPR", r"\bUK\s+GDPR\b|(?i:united\s+kingdom\s+general\s+data\s+protection\s+regulation)"),
    (
        "GDPR",
        r"\bGDPR\b|\bRGPD\b|\bDSGVO\b|(?i:general\s+data\s+protection\s+regulation)|"
        r"(?i:regulation\s+\(eu\)\s+2016/679)|"
        # its names in the other languages policies are written in (nl AVG, pl RODO, ...)
        r"\bAVG\b|\bRODO\b|(?i:datenschutz-?grundverordnung)|"
        r"(?i:r[eè]glement\s+g[eé]n[eé]ral\s+sur\s+la\s+protection\s+des\s+donn[eé]es)|"
        r"(?i:algemene\s+verordening\s+gegevensbescherming|dataskyddsf[oö]rordning(?:en)?)|"
        r"(?i:databeskyttelsesforordning(?:en)?)|"
        r"(?i:(?:reglamento|regolamento|regulamento|rozporz[aą]dzenie|verordnung|"
        r"r[eè]glement|verordening|f[oö]rordning|forordning)\s*\((?:ue|eu)\)\s*(?:n\.?\s*)?"
        r"2016/679)",
    ),
    ("CPRA", r"\bCPRA\b|(?i:california\s+privacy\s+rights\s+act)"),
    ("CCPA", r"\bCCPA\b|(?i:california\s+consumer\s+privacy\s+act)"),
    ("CalOPPA", r"\bCal-?OPPA\b|(?i:california\s+online\s+privacy\s+protection\s+act)"),
    (
        "COPPA",
        r"\bCOPPA\b|(?i:children['\u2019]?s\s+online\s+privacy\s+protection\s+(?:act|rule))",
    ),
    (
        "Shine the Light",
        r"(?i:shine\s+the\s+light)|(?i:civil\s+code\s+(?:section\s+|\u00a7\s*)?1798\.83)",
    ),
    ("VCDPA", r"\bVCDPA\b|(?i:virginia\s+consumer\s+data\s+protection\s+act)"),
    ("CPA (Colorado)", r"(?i:colorado\s+privacy\s+act)"),
    ("CTDPA", r"\bCTDPA\b|(?i:connecticut\s+data\s+privacy\s+act)"),
    ("UCPA", r"(?i:utah\s+consumer\s+privacy\s+act)"),
    (
        "PIPEDA",
        r"\bPIPEDA\b|(?i:personal\s+information\s+protection\s+and\s+electronic\s+documents\s+act)",
    ),
    ("CASL", r"\bCASL\b|(?i:canada['\u2019]?s\s+anti-?spam\s+legislation)"),
    ("P3P", r"\bP3P\b|(?i:platform\s+for\s+privacy\s+preferences)"),
    ("Privacy Shield", r"\bPrivacy\s+Shield\b|(?i:privacy\s+shield\s+framework)"),
    ("Data Privacy Framework", r"\bData\s+Privacy\s+Framework\b|\bEU-U\.?S\.?\s+DPF\b"),
    ("Safe Harbor", r"\bSafe\s+Harbou?r\b|\bSAFE\s+HARBOU?R\b"),
    ("Australian Privacy Principles", r"(?i:australian\s+privacy\s+principles?)"),
    ("National Privacy Principles (Australia)", r"(?i:national\s+privacy\s+principles)"),
    (
        "Privacy Act 1988 (Australia)",
        r"(?i:privacy\s+act\s+1988)|(?i:privacy\s+amendment\s+\(private\s+sector\)\s+act)",
    ),
    ("Privacy Act 1974 (US)", r"(?i:privacy\s+act\s+of\s+1974)"),
    ("Privacy Act 2020 (New Zealand)", r"(?i:privacy\s+act\s+(?:2020|1993))"),
    ("Spam Act 2003 (Australia)", r"(?i:spam\s+act\s+2003)"),
    ("HIPAA", r"\bHIPAA\b|(?i:health\s+insurance\s+portability\s+and\s+accountability\s+act)"),
    ("FERPA", r"\bFERPA\b|(?i:family\s+educational\s+rights\s+and\s+privacy\s+act)"),
    ("GLBA", r"\bGLBA\b|(?i:gramm[-\s]leach[-\s]bliley)"),
    ("FCRA", r"\bFCRA\b|(?i:fair\s+credit\s+reporting\s+act)"),
    ("ECPA", r"\bECPA\b|(?i:electronic\s+communications\s+privacy\s+act)"),
    ("VPPA", r"\bVPPA\b|(?i:video\s+privacy\s+protection\s+act)"),
    ("TCPA", r"\bTCPA\b|(?i:telephone\s+consumer\s+protection\s+act)"),
    (
        "CAN-SPAM",
        r"\bCAN[-\s]SPAM\b|(?i:controlling\s+the\s+assault\s+of\s+non-?solicited)",
    ),
    ("USA PATRIOT Act", r"(?i:\bpatriot\s+act\b)"),
    (
        "ePrivacy Directive",
        r"(?i:e-?privacy\s+directive|directive\s+2002/58/ec|privacy\s+and\s+electronic\s+"
        r"communications\s+directive)",
    ),
    (
        "PECR",
        r"\bPECR\b|(?i:privacy\s+and\s+electronic\s+communications\s+\(ec\s+directive\)\s+"
        r"regulations|privacy\s+and\s+electronic\s+communications\s+regulations)",
    ),
    (
        "Data Protection Directive 95/46/EC",
        r"(?i:directive\s+95/46/ec|(?:eu|european)\s+data\s+protection\s+directive)",
    ),
    ("Data Protection Act 1998 (UK)", r"(?i:data\s+protection\s+act\s+1998)"),
    ("Data Protection Act 2018 (UK)", r"(?i:data\s+protection\s+act\s+2018)"),
    (
        "Data Protection Acts 1988 and 2003 (Ireland)",
        r"(?i:data\s+protection\s+(?:acts?\s+)?(?:\(amendment\)\s+act\s+)?1988\s+(?:and|to|-)\s+2003)",
    ),
    ("LGPD", r"\bLGPD\b|(?i:lei\s+geral\s+de\s+prote[c\u00e7][a\u00e3]o\s+de\s+dados)"),
    ("FADP (Switzerland)", r"\bn?FADP\b|(?i:federal\s+act\s+on\s+data\s+protection)"),
    ("BDSG", r"\bBDSG\b|(?i:bundesdatenschutzgesetz)"),
    ("Loi Informatique et Libert\u00e9s", r"(?i:informatique\s+et\s+libert[e\u00e9]s)"),
    ("POPIA", r"\bPOPIA\b|(?i:protection\s+of\s+personal\s+information\s+act)"),
    ("APPI", r"\bAPPI\b|(?i:act\s+on\s+(?:the\s+)?protection\s+of\s+personal\s+information)"),
    ("PIPL", r"\bPIPL\b|(?i:personal\s+information\s+protection\s+law)"),
    ("PDPA", r"\bPDPA\b|(?i:personal\s+data\s+protection\s+act)"),
    ("PCI DSS", r"\bPCI[-\s]DSS\b|(?i:payment\s+card\s+industry\s+data\s+security\s+standard)"),
    ("Standard Contractual Clauses", r"(?i:standard\s+contractual\s+clauses)|\bSCCs\b"),
    ("Binding Corporate Rules", r"(?i:binding\s+corporate\s+rules)"),
    ("APEC CBPR", r"(?i:cross[-\s]border\s+privacy\s+rules)|\bAPEC\s+CBPR\b"),
    ("TRUSTe", r"\bTRUSTe\b|\bTRUSTE\b|(?i:\btruste['\u2019]s\b)"),
    ("TrustArc", r"(?i:\btrustarc\b)"),
    ("BBBOnLine", r"(?i:bbb\s?online)"),
    ("ESRB Privacy Certified", r"(?i:esrb\s+privacy\s+(?:certified|online))"),
    ("WebTrust", r"\bWebTrust\b"),
    ("DAA Self-Regulatory Principles", r"(?i:self-?regulatory\s+principles)"),
    ("NAI Code of Conduct", r"(?i:nai\s+code|network\s+advertising\s+initiative)"),
    ("FIPPs", r"(?i:fair\s+information\s+practice)|\bFIPPs?\b"),
]

# Canonical country name -> extra aliases; the name itself is always a pattern.
_COUNTRY_ALIASES: dict[str, list[str]] = {
    "United States": [
        r"United\s+States(?:\s+of\s+America)?",
        r"U\.S\.(?:A\.?)?",
        r"USA\b",
        r"US(?=\b)",
    ],
    "United Kingdom": [
        r"United\s+Kingdom",
        r"U\.K\.",
        r"UK\b",
        r"Great\s+Britain",
        r"England",
        r"Scotland",
        r"Wales",
        r"Northern\s+Ireland",
    ],
    "European Union": [r"European\s+Union", r"E\.U\.", r"EU\b"],
    "European Economic Area": [r"European\s+Economic\s+Area", r"EEA\b"],
    "South Korea": [r"South\s+Korea", r"Republic\s+of\s+Korea", r"Korea(?!,?\s+\(?North)"],
    "North Korea": [r"North\s+Korea", r"Democratic\s+People's\s+Republic\s+of\s+Korea"],
    "Czech Republic": [r"Czech\s+Republic", r"Czechia"],
    "Netherlands": [r"(?:the\s+)?Netherlands", r"Holland"],
    "China": [r"(?:People's\s+Republic\s+of\s+)?China", r"PRC\b"],
    "Taiwan": [r"Taiwan"],
    "Hong Kong": [r"Hong\s+Kong"],
    "Russia": [r"Russia(?:n\s+Federation)?"],
    "United Arab Emirates": [r"United\s+Arab\s+Emirates", r"UAE\b"],
    "Ivory Coast": [r"Ivory\s+Coast", r"C[o\u00f4]te\s+d['\u2019]Ivoire"],
    "Democratic Republic of the Congo": [r"Democratic\s+Republic\s+of\s+(?:the\s+)?Congo"],
    "Republic of the Congo": [r"Republic\s+of\s+(?:the\s+)?Congo", r"Congo"],
    "Vatican City": [r"Vatican(?:\s+City)?", r"Holy\s+See"],
    "Myanmar": [r"Myanmar", r"Burma"],
    "Eswatini": [r"Eswatini", r"Swaziland"],
    "Timor-Leste": [r"Timor-Leste", r"East\s+Timor"],
    "Cape Verde": [r"Cape\s+Verde", r"Cabo\s+Verde"],
    "North Macedonia": [r"(?:North\s+)?Macedonia"],
    "Georgia": [r"Georgia"],
    "Jersey": [r"Jersey"],
}
_COUNTRY_NAMES = """Afghanistan|Albania|Algeria|Andorra|Angola|Antigua and Barbuda|Argentina|
Armenia|Australia|Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|
Benin|Bhutan|Bolivia|Bosnia and Herzegovina|Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|
Cambodia|Cameroon|Canada|Central African Republic|Chad|Chile|Colombia|Comoros|Costa Rica|Croatia|
Cuba|Cyprus|Denmark|Djibouti|Dominican Republic|Dominica|Ecuador|Egypt|El Salvador|
Equatorial Guinea|Eritrea|Estonia|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Germany|Ghana|Greece|
Grenada|Guatemala|Guinea-Bissau|Papua New Guinea|Guinea|Guyana|Haiti|Honduras|Hungary|Iceland|
India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|
Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|Lithuania|
Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Marshall Islands|Mauritania|Mauritius|
Mexico|Micronesia|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Namibia|Nauru|Nepal|
New Zealand|Nicaragua|Nigeria|Niger|Norway|Oman|Pakistan|Palau|Palestine|Panama|Paraguay|Peru|
Philippines|Poland|Portugal|Qatar|Romania|Rwanda|Saint Kitts and Nevis|Saint Lucia|
Saint Vincent and the Grenadines|Samoa|San Marino|Sao Tome and Principe|Saudi Arabia|Senegal|
Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|Slovenia|Solomon Islands|Somalia|South Africa|
South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Tajikistan|Tanzania|Thailand|
Togo|Tonga|Trinidad and Tobago|Tunisia|Turkey|T\u00fcrkiye|Turkmenistan|Tuvalu|Uganda|Ukraine|
Uruguay|Uzbekistan|Vanuatu|Venezuela|Vietnam|Viet Nam|Yemen|Zambia|Zimbabwe|Guernsey|Isle of Man|
Gibraltar|Puerto Rico|Greenland|Faroe Islands|Bermuda|Cayman Islands|British Virgin Islands"""
_COUNTRY_CANON = {"T\u00fcrkiye": "Turkey", "Viet Nam": "Vietnam"}
# Sub-national names that contain a country name ("New Mexico", "Indiana" is handled by \b).
_NOT_COUNTRY_BEFORE = re.compile(r"(?:New|Baja|Western|West|South|North)\s+$")

# ---------------------------------------------------------------------------------------------
# Compiled tables (built lazily on first use; no work at import time).


_MAX_LITERALS = 256  # per pattern: beyond this, cut the literal prefixes shorter (64: 7 % slower)
_MAX_LITERAL_LEN = 16


def _is_space_class(sub: Sequence[tuple[object, object]]) -> bool:
    """Whether a parsed repeat body is exactly ``\\s`` (any whitespace)."""
    return (
        len(sub) == 1
        and sub[0][0] is _C.IN
        and list(sub[0][1]) == [(_C.CATEGORY, _C.CATEGORY_SPACE)]  # type: ignore[call-overload]
    )


def _class_literals(members: Sequence[tuple[object, object]]) -> set[str] | None:
    """The lowercase strings a parsed character class stands for in a literal, if it lists
    only characters and ``\\s`` (one space: the lookup squeezes whitespace): ``[o\u00f4]``
    gives "o" and "\u00f4", ``[-\\s]`` "-" and " "."""
    out: set[str] = set()
    for op, av in members:
        if op is _C.LITERAL:
            out.add(chr(av).lower())  # type: ignore[call-overload]
        elif op is _C.CATEGORY and av is _C.CATEGORY_SPACE:
            out.add(" ")
        else:  # a range, a negation, another category: not a short list of literals
            return None
    return out


def _cut(grown: set[str], out: set[str]) -> set[str]:
    """``grown`` cut to the longest length within the limits; ``out`` (the prefixes before
    the step that grew too much) if no such cut is longer than all of them.

    Cut rather than drop the step: "e" alone (EEA or European Economic Area, once re's
    parser has taken out the shared "E") was tried at 17,000 word starts of 20,700 clauses.
    """
    floor = max(map(len, out))
    for n in range(min(_MAX_LITERAL_LEN, max(map(len, grown))), floor, -1):
        cut = {g[:n] for g in grown}
        if len(cut) <= _MAX_LITERALS:
            return cut
    return out


def _literal_prefixes(
    items: Sequence[tuple[object, object]],
) -> tuple[set[str], bool]:
    """(strings, complete): every match of the parsed sequence starts with one of the
    lowercase strings; ``complete`` when the sequence matches exactly those strings.

    Optional parts and alternations are expanded ("e-?mail" gives "email" and "e-mail") so
    that the literals are long enough to rule most word starts out before any regex runs.
    """
    out = {""}
    for pos, (op, av) in enumerate(items):
        if op in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):
            continue  # zero-width: the match goes on from here
        if op is _C.LITERAL:
            step, complete = {chr(av).lower()}, True  # type: ignore[arg-type]
        elif op is _C.IN and (listed := _class_literals(av)) is not None:  # type: ignore[arg-type]
            step, complete = listed, True
        elif op is _C.SUBPATTERN:
            step, complete = _literal_prefixes(av[3])  # type: ignore[index]
        elif op is _C.BRANCH:
            step, complete = set(), True
            for branch in av[1]:  # type: ignore[index]
                found, whole = _literal_prefixes(branch)
                step |= found
                complete = complete and whole
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and _is_space_class(av[2]):  # type: ignore[index]
            # \s+ (or \s*, \s?) is one space in a literal: the lookup squeezes whitespace
            step, complete = ({" "} if av[0] >= 1 else {"", " "}), True  # type: ignore[index]
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
            low, high, sub = av  # type: ignore[misc]
            found, whole = _literal_prefixes(sub)
            if low == 0 and high == 1 and whole:
                step, complete = found | {""}, True
            elif low >= 1:
                step, complete = found, False  # at least one repeat starts with these
            else:  # skipped, or repeated and then something else: what follows starts it
                step, complete = found | _literal_prefixes(items[pos + 1 :])[0], False
        else:
            return out, False  # a class, any character, ...: the literal part ends here
        grown = {head + tail for head in out for tail in step}
        if len(grown) > _MAX_LITERALS or any(len(g) > _MAX_LITERAL_LEN for g in grown):
            return _cut(grown, out), False
        out = grown
        if not complete:
            return out, False
    return out, True


def _leading_literals(items: Sequence[tuple[object, object]]) -> set[str] | None:
    """Lowercase literal prefixes one of which starts every match of the parsed pattern.

    None when some match may start otherwise (a character class, any character, ...).
    """
    found, _ = _literal_prefixes(items)
    return None if "" in found else found


@dataclass
class _Entry:
    kind: str  # the attribute it belongs to: "data_types", "laws", ...
    value: str
    regex: re.Pattern[str]


@dataclass
class _Index:
    """All lexicon entries indexed by the literals that start them.

    Python's regex engine tries every branch of an alternation at every position, which
    is ~100x too slow for a few hundred patterns; instead one trie-shaped regex of all
    leading literals finds the word starts where some entry may match, and the longest
    literal there names the entries to try (``pattern.match`` at that position).
    """

    entries: list[_Entry] = field(default_factory=list)
    # a literal -> the entries one of whose leading literals is a prefix of it
    by_literal: dict[str, tuple[int, ...]] = field(default_factory=dict)
    always: list[int] = field(default_factory=list)  # no known leading literal: searched
    # at each word start where a leading literal begins (lowercased text, a space in
    # front), the character before it; group 1: the longest literal there, every other
    # literal there is a prefix of it
    triggers: re.Pattern[str] = re.compile(r"(?!)")
    match: list[Callable[[str, int], re.Match[str] | None]] = field(default_factory=list)


def _build(tables: dict[str, Sequence[tuple[str, str]]]) -> _Index:
    index = _Index()
    starts: dict[str, set[int]] = {}
    for kind, entries in tables.items():
        for value, pattern in entries:
            i = len(index.entries)
            index.entries.append(_Entry(kind, value, re.compile(pattern)))
            literals = _leading_literals(_parser.parse(pattern))
            if not literals or any(not lit[0].isalnum() for lit in literals):
                index.always.append(i)
                continue
            for lit in literals:
                starts.setdefault(lit, set()).add(i)
    index.by_literal = {
        lit: tuple(sorted(set().union(*(starts.get(lit[:n], ()) for n in range(1, len(lit) + 1)))))
        for lit in starts
    }
    if starts:
        # a lookahead, so that a literal starting inside another one's match is seen too;
        # \W rather than \b in front (literals start with a letter or digit: the same
        # places), so that re looks for the places in C (15 % faster)
        index.triggers = re.compile(r"\W(?=(" + trie_pattern(starts, space=r"\s+") + "))")
    index.match = [entry.regex.match for entry in index.entries]
    return index


def _country_entries() -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    for canon, aliases in _COUNTRY_ALIASES.items():
        entries.append((canon, r"\b(?:" + "|".join(aliases) + r")(?!\w)"))
    names = [n.strip() for n in _COUNTRY_NAMES.replace("\n", "").split("|")]
    for name in names:
        pattern = re.escape(name).replace(r"\ ", r"\s+")
        entries.append((_COUNTRY_CANON.get(name, name), r"\b" + pattern + r"(?!\w)"))
    return entries


_INDEX: list[_Index] = []  # built on first use, not at import


def _index() -> _Index:
    if not _INDEX:
        _INDEX.append(
            _build(
                {
                    "data_types": DATA_TYPES,
                    "third_parties": THIRD_PARTIES,
                    "purposes": PURPOSES,
                    "choices": CHOICES,
                    "laws": LAWS,
                    "countries": _country_entries(),
                }
            )
        )
    return _INDEX[0]


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


Found = dict[str, list[tuple[str, re.Match[str]]]]
_CASE_TWINS = str.maketrans({"\u0131": "i", "\u017f": "s"})


def _scan(text: str, low: str | None = None) -> Found:
    """Per attribute kind: non-overlapping matches in text order; at one place the longest.

    ``low``: ``text.lower()``, if the caller has it.
    """
    index = _index()
    if low is None:
        low = text.lower()
    if "\u0131" in low or "\u017f" in low:
        # re's IGNORECASE takes dotless i for i and long s for s; lower() does not
        low = low.translate(_CASE_TWINS)
    entries = index.entries
    hits: list[tuple[int, int, int]] = []  # (start, -length, entry)
    matches: list[re.Match[str]] = []

    def add(i: int, m: re.Match[str] | None) -> None:
        if m is not None and m.end() > m.start():
            hits.append((m.start(), m.start() - m.end(), i))
            matches.append(m)

    if len(low) != len(text):  # rare case mappings change length: positions would drift
        for i, entry in enumerate(entries):
            for m in entry.regex.finditer(text):
                add(i, m)
    else:
        for i in index.always:
            for m in entries[i].regex.finditer(text):
                add(i, m)
        by_literal = index.by_literal
        match = index.match
        # the \W matched at position p of " " + low is the character before p in ``low``
        for ws in index.triggers.finditer(" " + low):
            pos = ws.start()
            key = ws[1]
            tried = by_literal.get(key)
            if tried is None:  # a run of whitespace, or one that is not a plain space
                tried = by_literal[_WS.sub(" ", key)]
            for i in tried:
                m = match[i](text, pos)
                if m is not None and m.end() > pos:  # add(), inlined: the hot loop
                    hits.append((pos, pos - m.end(), i))
                    matches.append(m)
    order = sorted(range(len(hits)), key=hits.__getitem__)
    found: Found = {}
    ends: dict[str, int] = {}
    for n in order:
        start, neg_len, i = hits[n]
        kind = entries[i].kind
        if start >= ends.get(kind, -1):
            found.setdefault(kind, []).append((entries[i].value, matches[n]))
            ends[kind] = start - neg_len
    return found


def _values(found: Found, kind: str) -> list[str]:
    hits = found.get(kind)
    return list(dict.fromkeys([v for v, _ in hits])) if hits else []


# "Safe Harbor" only as the EU/Swiss-US framework, not COPPA's or the DMCA's safe harbors.
_SAFE_HARBOR_CONTEXT = re.compile(
    r"\b(?:EU|E\.U\.|U\.S\.|US|USA|Swiss|Switzerland|European|Europe|Department\s+of\s+"
    r"Commerce|Framework|Principles|Program|Programme|certif\w*|self-certif\w*)",
    re.IGNORECASE,
)
_SAFE_HARBOR_NOT = re.compile(r"COPPA|children|DMCA|Copyright|forward-looking", re.IGNORECASE)


def _laws(text: str, found: Found) -> list[str]:
    out = []
    for value, m in found.get("laws", ()):
        if value == "Safe Harbor":
            before = text[max(0, m.start() - 40) : m.start()]
            after = text[m.end() : m.end() + 40]
            if _SAFE_HARBOR_NOT.search(before + " " + after[:20]):
                continue
            if not _SAFE_HARBOR_CONTEXT.search(before + " " + after):
                continue
        out.append(value)
    return _dedupe(out)


# ---------------------------------------------------------------------------------------------
# Countries: word-bounded, with the "US", "Georgia" and "Jersey" ambiguities resolved.

_GEORGIA_US = re.compile(
    r"(?:State\s+of\s+|Atlanta,?\s+|Savannah,?\s+|Augusta,?\s+|University\s+of\s+)$"
)
_GEORGIA_US_AFTER = re.compile(r"^(?:,?\s+(?:USA|U\.S\.|United\s+States|\d{5})|\s+(?:Tech|State))")
_US_STATE_NAMES = re.compile(
    r"\b(?:Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|"
    r"Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|"
    r"Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New\s+"
    r"Hampshire|New\s+Jersey|New\s+Mexico|New\s+York|North\s+Carolina|North\s+Dakota|Ohio|"
    r"Oklahoma|Oregon|Pennsylvania|Rhode\s+Island|South\s+Carolina|South\s+Dakota|Tennessee|"
    r"Texas|Utah|Vermont|Virginia|Washington|West\s+Virginia|Wisconsin|Wyoming)\b"
)
_JERSEY_CUE = re.compile(r"Channel\s+Islands|Guernsey|Isle\s+of\s+Man|Bailiwick|St\.?\s+Helier")
_LOWER = re.compile(r"[a-z]")


def _us_ok(text: str, start: int, end: int) -> bool:
    """'US' is the country only next to a word with lowercase letters (not 'CONTACT US')."""
    before = text[max(0, start - 25) : start].split()
    after = text[end : end + 25].split()
    prev_word = before[-1] if before else ""
    next_word = after[0] if after else ""
    if prev_word.lower() in {"contact", "email", "e-mail", "call", "write", "tell", "let", "join"}:
        return False
    return bool(_LOWER.search(prev_word) or _LOWER.search(next_word))


def _countries(text: str, matches: Found) -> list[str]:
    found: list[tuple[str, re.Match[str]]] = []
    for value, m in matches.get("countries", ()):
        if _NOT_COUNTRY_BEFORE.search(text[max(0, m.start() - 10) : m.start()]):
            continue  # New Mexico, New Jersey, West Virginia ...
        if value == "United States" and m.group(0) == "US" and not _us_ok(text, m.start(), m.end()):
            continue
        found.append((value, m))
    others = {v for v, _ in found if v not in {"Georgia", "Jersey", "United States"}}
    out = []
    for value, m in found:
        if value == "Georgia":
            if _GEORGIA_US.search(text[max(0, m.start() - 20) : m.start()]):
                continue
            if _GEORGIA_US_AFTER.search(text[m.end() : m.end() + 20]):
                continue
            if _US_STATE_NAMES.search(text):
                continue  # "New Jersey, Georgia and Texas": the state
            if not (text[max(0, m.start() - 12) : m.start()].endswith("Republic of ") or others):
                continue  # alone, Georgia is more likely the US state
        if value == "Jersey" and not (_JERSEY_CUE.search(text) or others):
            continue
        out.append(value)
    return _dedupe(out)


# ---------------------------------------------------------------------------------------------
# Retention periods.

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "twenty-four": 24,
    "thirty": 30,
    "thirty-six": 36,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "one hundred": 100,
}
_NUM = (
    r"(?:\d{1,4}(?:\.\d+)?|"
    + "|".join(
        sorted((re.escape(w).replace(r"\ ", r"\s+") for w in _NUMBER_WORDS), key=len, reverse=True)
    )
    + r")"
)
_RETENTION = re.compile(
    r"(?i)\b(?P<n1>" + _NUM + r")(?:\s*\(\d{1,4}\))?"
    r"(?:\s*(?:to|-|\u2013|or|and)\s*(?P<n2>" + _NUM + r")(?:\s*\(\d{1,4}\))?)?"
    r"[\s-]*(?:calendar\s+|business\s+|full\s+)?"
    r"(?P<unit>hours?|days?|weeks?|months?|years?)\b"
    r"(?!\s+(?:of\s+age|old|or\s+(?:older|younger|over|under)|and\s+(?:older|over|under)|"
    r"(?:a|per)\s+(?:day|week|month|year)))"
)
_RETENTION_CONTEXT = re.compile(
    r"(?i)\b(?:retain\w*|retention|keep|keeps|kept|stor(?:e|ed|es|age|ing)|delet\w*|eras\w*|"
    r"purg\w*|destroy\w*|anonymi[sz]\w*|expir\w*|maintain\w*|hold|held|archiv\w*|remov\w*|"
    r"persist\w*|lifespan|log(?:s|ged)?|cookies?|dispos\w*)\b"
)
_RATE_WORDS = {"once", "twice", "times", "hours", "days", "per"}
_UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 365.25 / 12, "year": 365}
_AGE_BEFORE = re.compile(
    r"(?i)(?:under|over|aged?|younger\s+than|older\s+than)\s+(?:the\s+age\s+of\s+)?$"
)


def _number(token: str) -> float | None:
    token = _WS.sub(" ", token.lower().strip())
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    try:
        return float(token)
    except ValueError:
        return None


def _days(n: float, unit: str) -> int:
    unit = unit.lower().rstrip("s")
    if unit == "month" and n % 12 == 0:
        unit, n = "year", n / 12  # 24 months is two years: 730, not 730.5
    days = n * _UNIT_DAYS[unit]
    return max(1, int(days + 0.5))  # round half up: 18 months -> 547.9 -> 548


def _retention(text: str) -> list[int]:
    if not _RETENTION_CONTEXT.search(text):
        return []
    out: list[int] = []
    for m in _RETENTION.finditer(text):
        if _AGE_BEFORE.search(text[max(0, m.start() - 30) : m.start()]):
            continue
        unit = m.group("unit")
        for key in ("n1", "n2"):
            token = m.group(key)
            if token is None:
                continue
            if key == "n1" and token.lower() in {"a", "an"}:
                prev = text[max(0, m.start() - 12) : m.start()].split()
                if m.group("n2") or (prev and prev[-1].lower() in _RATE_WORDS):
                    continue  # "once a day", "24 hours a day"
            n = _number(token)
            if n is not None and 0 < n < 10000:
                out.append(_days(n, unit))
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------
# Contact channels.

_WS = re.compile(r"\s+")
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"
)
_OBFUSCATED_EMAIL = re.compile(
    r"(?i)\b([a-z0-9._%+-]+)\s*[\[(]\s*at\s*[\])]\s*([a-z0-9-]+(?:\s*[\[(]\s*dot\s*[\])]\s*"
    r"[a-z0-9-]+)+)\b"
)
# trafilatura renders Cloudflare's placeholder as "[email protected]", brackets escaped
_CF_PLACEHOLDER = re.compile(r"\\?\[\s*email[\s\u00a0]*(?:&#160;)?protected\s*\\?\]", re.IGNORECASE)
_MD_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_URL = re.compile(r"(?<![(\w/@.])(?:https?://|www\.)[^\s<>()\[\]\"']+", re.IGNORECASE)
_CONTACT_URL_WORDS = re.compile(
    r"(?i)contact|support|help|feedback|form|request|inquir|enquir|complain|\bdpo\b|"
    r"privacy[-_ ]?(?:center|centre|portal|choices|request)|dsar|opt-?out|unsubscribe"
)
_CONTACT_CONTEXT_WORDS = (
    r"contact\s+us|questions|concerns|complaints?|get\s+in\s+touch|reach\s+us|"
    r"write\s+to\s+us|submit\s+a\s+request|(?:email|e-mail|call)\s+us"
)
_CONTACT_CONTEXT = re.compile("(?i)" + _CONTACT_CONTEXT_WORDS)
# case-sensitive, for lowercased ASCII text: re scans for the first letters in C instead of
# trying the whole alternation at every position (4x faster)
_CONTACT_CONTEXT_LOW = re.compile(_CONTACT_CONTEXT_WORDS)


def decode_cfemail(hex_string: str) -> str:
    """Decode a Cloudflare ``data-cfemail`` value: byte 0 is an XOR key for the rest."""
    data = bytes.fromhex(hex_string.strip())
    if not data:
        raise ValueError("empty cfemail value")
    key = data[0]
    return bytes(b ^ key for b in data[1:]).decode("utf-8")


_CF_ATTR = re.compile(r"data-cfemail\s*=\s*[\"']?([0-9a-fA-F]+)")
_CF_HREF = re.compile(r"/cdn-cgi/l/email-protection#([0-9a-fA-F]+)")
_MAILTO = re.compile(r"mailto:([^\"'?>\s]+)", re.IGNORECASE)


def _clean_email(s: str) -> str | None:
    s = html_lib.unescape(s).strip().strip(".,;:").lower()
    return s if _EMAIL.fullmatch(s) else None


def _mailto_links(html: str) -> Iterable[re.Match[str]]:
    """``_MAILTO.finditer(html)``, found with str.find: a case-insensitive regex scan of a
    whole page cost 2 ms (profiled), lowercasing the page for a plain search most of that.
    Every match has "o:" or "O:" five characters in ((?i) matches "o" to those two only),
    so the regex is tried there alone, in order, past the end of the last match."""
    starts: list[int] = []
    for tail in ("o:", "O:"):
        pos = html.find(tail, 5)
        while pos >= 0:
            starts.append(pos - 5)
            pos = html.find(tail, pos + 1)
    end = 0
    for start in sorted(starts):
        if start >= end and (m := _MAILTO.match(html, start)) is not None:
            yield m
            end = m.end()


def page_emails_from_html(html: str) -> list[str]:
    """Emails of a page in document order: Cloudflare-protected ones decoded, and mailto: links."""
    found: list[tuple[int, str]] = []
    for rx in (_CF_ATTR, _CF_HREF):
        for m in rx.finditer(html):
            try:
                email = _clean_email(decode_cfemail(m.group(1)))
            except (ValueError, UnicodeDecodeError):
                logger.debug("undecodable cfemail value %r", m.group(1)[:40])
                continue
            if email:
                found.append((m.start(), email))
    for m in _mailto_links(html):
        email = _clean_email(unquote(m.group(1)))
        if email:
            found.append((m.start(), email))
    found.sort(key=lambda t: t[0])
    return _dedupe(e for _, e in found)


def _emails(text: str, page_emails: Sequence[str]) -> list[str]:
    # each regex only where its literal part can be: they start with a character class, so
    # re tries them at every position (" at " sends most clauses here)
    out: list[tuple[int, str]] = []
    if "@" in text:
        out = [(m.start(), m.group(0).lower()) for m in _EMAIL.finditer(text)]
    if "(" in text or "[" in text:  # "name (at) example (dot) com"
        for m in _OBFUSCATED_EMAIL.finditer(text):
            domain = re.sub(r"\s*[\[(]\s*dot\s*[\])]\s*", ".", m.group(2), flags=re.IGNORECASE)
            email = _clean_email(f"{m.group(1)}@{domain}")
            if email:
                out.append((m.start(), email))
    placeholder = _CF_PLACEHOLDER.search(text) if page_emails else None
    if placeholder:
        out.extend((placeholder.start(), e.lower()) for e in page_emails)
    out.sort(key=lambda t: t[0])
    return _dedupe(e for _, e in out)


_NOT_CONTACT_URLS = ("mailto:", "tel:", "#", "javascript:")


def _contact_context(text: str) -> bool:
    """``_CONTACT_CONTEXT.search(text)``; the same on ASCII text, where lowercasing is exact."""
    if text.isascii():
        return _CONTACT_CONTEXT_LOW.search(text.lower()) is not None
    return _CONTACT_CONTEXT.search(text) is not None


def _urls(text: str, *, bare: bool = True) -> list[str]:
    """Markdown links and bare URLs whose own words, or else the clause, speak of contact.

    ``bare=False`` when the caller knows the text outside links has no "http" or "www.".
    """
    found: list[tuple[int, str, str]] = []  # (position, url, the words that may name it)
    has_link = "](" in text
    if has_link:
        for m in _MD_LINK.finditer(text):
            url = m.group(2)
            if url.lower().startswith(_NOT_CONTACT_URLS) or "/cdn-cgi/" in url:
                continue
            found.append((m.start(), url, m.group(1) + " " + url))
    if bare:
        linkless = _MD_LINK.sub(lambda m: " " * len(m.group(0)), text) if has_link else text
        for m in _BARE_URL.finditer(linkless):
            url = m.group(0).rstrip(".,;:!?*")
            found.append((m.start(), url, url))
    named = [bool(_CONTACT_URL_WORDS.search(words)) for _, _, words in found]
    # the clause's context is a scan of every position (a third of the attribute time):
    # asked only when some URL does not say contact itself
    context = all(named) or _contact_context(text)
    out = [(pos, url) for (pos, url, _), ok in zip(found, named, strict=True) if ok or context]
    out.sort(key=lambda t: t[0])
    return _dedupe(u for _, u in out)


_STREET = (
    r"(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Drive|Dr\.?|Lane|Ln\.?|Way|"
    r"Place|Pl\.?|Court|Ct\.?|Parkway|Pkwy\.?|Square|Sq\.?|Plaza|Circle|Highway|Hwy\.?|"
    r"Terrace|Row|Quay|Strasse|Stra\u00dfe|Center|Centre|Broadway)"
)
_US_STATES = (
    r"(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|"
    r"NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)"
)
_POSTAL_END = (
    r"(?:\b" + _US_STATES + r"\.?,?\s+\d{5}(?:-\d{4})?\b"  # US: CA 94105
    r"|\b[A-Z][a-z]+\s+\d{5}(?:-\d{4})?\b"  # US state spelled out: California 94105
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"  # UK postcode
    r"|\b(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT)\s+\d{4}\b"  # Australia
    r"|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"  # Canada
    r"|\b\d{4,5}\s+[A-Z][a-z\u00c0-\u024f]+(?:\s+[A-Z][a-z]+)?"  # EU: 75008 Paris, 10115 Berlin
    r")"
)
_POSTAL = re.compile(
    r"(?:\b(?:P\.?\s?O\.?\s+Box|Post\s+Office\s+Box)\s+\d+|\b\d{1,6}[A-Za-z]?\s+(?:[A-Z0-9][\w.'\u2019-]*"
    r"\s+){0,5}" + _STREET + r"\b|\b[A-Z][a-z\u00e4\u00f6\u00fc\u00df]+(?:stra(?:ss|\u00df)e|"
    r"weg|platz|gasse)\s+\d+[a-z]?)"
    r"[^\n;]{0,120}?" + _POSTAL_END + r"(?:,?\s+(?:USA|U\.S\.A\.|United\s+States|United\s+"
    r"Kingdom|UK|Canada|Australia|France|Germany|Ireland|Netherlands))?"
)


def _addresses(text: str) -> list[str]:
    plain = _MD_LINK.sub(r"\1", text).replace("**", "")
    return _dedupe(_WS.sub(" ", m.group(0)).strip(" ,") for m in _POSTAL.finditer(plain))


# ---------------------------------------------------------------------------------------------


_OPT_OUT_WORDS = re.compile(r"(?i)opt[-_\s]?out")


def _link_choices(text: str) -> list[str]:
    """'opt-out link' when a markdown link's text or target says opt-out."""
    for m in _MD_LINK.finditer(text):
        if _OPT_OUT_WORDS.search(m.group(1)) or _OPT_OUT_WORDS.search(m.group(2)):
            return ["opt-out link"]
    return []


_UNITS = ("hour", "day", "week", "month", "year")
_DIGIT = re.compile(r"\d")


def extract_attributes(text: str, *, page_emails: Sequence[str] = ()) -> Attributes:
    """All attributes of one clause, each list de-duplicated in first-seen order.

    ``page_emails`` are the page's decoded emails (:func:`page_emails_from_html`); they are
    reported for a clause that shows Cloudflare's "[email protected]" placeholder.
    """
    has_link = "](" in text
    plain = _MD_LINK.sub(r"\1", text) if has_link else text  # lexicons read visible text
    low = plain.lower()
    found = _scan(plain, low)
    choices = _values(found, "choices")
    if has_link:
        choices = _dedupe([*choices, *_link_choices(text)])
    emails: list[str] = []
    if "@" in text or "protected" in low or " at " in low or "(at)" in low or "[at]" in low:
        emails = _emails(text, page_emails)
    # a bare URL outside the links is in the visible text too: "http" or "www." in ``low``
    bare = "http" in low or "www." in low
    urls = _urls(text, bare=bare) if has_link or bare else []
    return Attributes(
        data_types=_values(found, "data_types"),
        third_parties=_values(found, "third_parties"),
        purposes=_values(found, "purposes"),
        choices=choices,
        retention_days=_retention(plain) if any(u in low for u in _UNITS) else [],
        contact_emails=emails,
        contact_urls=urls,
        postal_addresses=_addresses(text) if _DIGIT.search(text) else [],
        laws=_laws(plain, found),
        countries=_countries(plain, found),
    )


def merge_attributes(items: Iterable[Attributes]) -> Attributes:
    """Union of many clauses' attributes, in first-seen order (the policy-level summary)."""
    merged: dict[str, dict[object, None]] = {name: {} for name in ATTRIBUTE_NAMES}
    for item in items:
        for name in ATTRIBUTE_NAMES:
            bucket = merged[name]
            for value in getattr(item, name):
                bucket.setdefault(value, None)
    return Attributes(**{name: list(bucket) for name, bucket in merged.items()})
