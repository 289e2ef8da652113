"""Scrapy settings for policyarchive. Polite by default: the archive is a shared resource."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    _VERSION = version("policyarchive")
except PackageNotFoundError:  # running from a checkout without install
    _VERSION = "0.0.0"

BOT_NAME = "policyarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# An honest User-Agent that names the project and how to reach its maintainers.
USER_AGENT = (
    f"policyarchive/{_VERSION} (+https://github.com/policyarchive/policyarchive; "
    "research crawler for privacy policies)"
)

ROBOTSTXT_OBEY = (
    True  # live sites; archive requests opt out per request (the archive is not the site)
)

# Politeness. The Internet Archive throttles CDX near 30 requests a minute and replay near
# 10 a second, and answers ignored 429s with an hour-long firewall block. Our own limits sit
# well below both, per endpoint (crawler/middlewares.py; docs/operations.md); AutoThrottle
# may slow us further when a server is slow.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
DOWNLOAD_SLOTS = {
    "web.archive.org": {"concurrency": 2},  # pacing is PolitenessMiddleware's job
}
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# a request that fails for good is a `fetches` row with its reason, not a failed run
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
DOWNLOAD_TIMEOUT = 60

POLICYARCHIVE_CDX_PER_MINUTE = 20.0  # per archive host; the Internet Archive throttles near 30
POLICYARCHIVE_REPLAY_PER_SECOND = 5.0  # per archive host; it throttles near 10
POLICYARCHIVE_LIVE_PER_SECOND = 1.0  # per live host
# other archives' endpoint classes, requests a second (crawler/archive/sources.py):
# Common Crawl asks for at most 1 index request a second and about 2 ranges a second
POLICYARCHIVE_ARCHIVE_RATES = {"cc_index": 1.0, "cc_data": 2.0, "timemap": 1.0, "memento": 2.0}
# per archive host (and its subdomains), overriding the above. Arquivo.pt blocks an IP for
# good past 250 CDX or 400 Memento requests a minute: stay well under both
POLICYARCHIVE_HOST_RATES = {
    "arquivo.pt": {"timemap": 2.0, "memento": 4.0},
    "webarchive.org.uk": {"timemap": 0.5, "memento": 1.0},
    "archive.ph": {"timemap": 0.2, "memento": 0.2},
    "archive.today": {"timemap": 0.2, "memento": 0.2},
}
POLICYARCHIVE_THROTTLE_LOOPBACK = False  # local archives/servers (tests, demo) run unthrottled
POLICYARCHIVE_BACKOFF_BASE = 2.0  # seconds after the first failure in a row; doubles each time
POLICYARCHIVE_BACKOFF_MAX = 300.0
POLICYARCHIVE_BREAKER_THRESHOLD = 5  # failures in a row to one endpoint trip the breaker
POLICYARCHIVE_BREAKER_COOLDOWN = 120.0  # pause after a trip; doubles on each further trip
POLICYARCHIVE_BREAKER_MAX_TRIPS = 3  # then the run closes (finish reason circuit_breaker_open)
POLICYARCHIVE_RETRY_AFTER_MAX = 900.0  # a longer Retry-After closes the run (resume later)

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.PolitenessMiddleware": 550,
    # just outside HttpCompressionMiddleware (590): flags gzip/deflate/br bodies cut short
    "crawler.integrity.TruncatedBodyMiddleware": 595,
    # inside HttpCompressionMiddleware (590): stores decoded bodies (--warc-out only)
    "crawler.warcout.WarcOutMiddleware": 580,
}

# Size caps, checked by Scrapy after decompression too (HttpCompressionMiddleware).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# only http(s), plus data: for the spiders' internal start requests; no file:, ftp:, s3:
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None}

COOKIES_ENABLED = False  # nothing to log into; never carry cookies across hosts
TELNETCONSOLE_ENABLED = False  # no listening server the user did not ask for
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
TWISTED_DNS_RESOLVER = "crawler.resolver.OverrideResolver"
REDIRECT_MAX_TIMES = 10  # RedirectMiddleware follows http(s) targets only
METAREFRESH_ENABLED = True

ITEM_PIPELINES = {
    # 100: skip documents already stored by an earlier run (state in SQLite)
    "pipelines.steps.dedupe.DedupePipeline": 100,
    # 150: with --warc-out, the file and offset where each page's response was stored
    "crawler.warcout.WarcProvenancePipeline": 150,
    # 200: extract → detect → clauses → attributes, in worker processes
    "pipelines.steps.process.ProcessPipeline": 200,
    # 900: buffered, atomic Parquet writer + run manifest; records every drop in `fetches`
    "pipelines.steps.parquet.ParquetPipeline": 900,
}

# policyarchive's own settings
OUTPUT_DIR = "output"
POLICYARCHIVE_WORKERS = None  # worker processes for extraction; None = one per core, 0 = inline
# the per-document function the workers run (dotted path); tests swap in pathological ones
POLICYARCHIVE_PROCESSOR = "pipelines.process.process_page"
# document types stored: "privacy" (privacy policies), or "privacy,cookies" to keep cookie-only
# policies too (with document_type "cookie_policy"); the spider argument `documents` wins
POLICYARCHIVE_DOCUMENTS = "privacy"
POLICYARCHIVE_DOC_TIMEOUT = 60.0  # seconds one document may take in a worker
POLICYARCHIVE_MIN_POLICY_SCORE = 0.5
POLICYARCHIVE_ROW_GROUP_ROWS = 500
# Output commits: documents, clauses and fetches rows become visible together, atomically,
# every N documents or T seconds (whichever first), and at the end of the run. A kill loses
# at most the uncommitted batch, which a rerun fetches again.
POLICYARCHIVE_COMMIT_DOCUMENTS = 100  # 500 held ~70 MB more in the crawler (bench)
POLICYARCHIVE_COMMIT_SECONDS = 300.0
POLICYARCHIVE_FAULT_KILL_AT = ""  # tests only: "after_pending:2" SIGKILLs the run mid-commit
POLICYARCHIVE_SAVE_ENDPOINT = "https://web.archive.org/save/"  # Save Page Now (--save-to-archive)
POLICYARCHIVE_SAVE_PER_MINUTE = 12  # the service refuses above about 15 a minute
# progress display (crawler/console.py): "off" for `scrapy crawl`; the console script sets
# "rich" on a terminal, "plain" elsewhere (one line every POLICYARCHIVE_PROGRESS_INTERVAL s)
POLICYARCHIVE_PROGRESS = "off"
POLICYARCHIVE_PROGRESS_INTERVAL = 30.0
POLICYARCHIVE_WARC_OUT = ""  # directory: keep every page response as WARC (--warc-out)
POLICYARCHIVE_WARC_MAX_BYTES = 1_000_000_000  # rotate WARC files before this size
POLICYARCHIVE_RESOLVE = {}  # host pattern → IP, e.g. {"*.example": "127.0.0.1"} (tests, demos)

# One run on many nodes (docs/operations.md): set the Redis URL and a run name shared by every
# node; the add-on then plugs in scrapy-redis's scheduler and duplicate filter.
ADDONS = {"crawler.distributed.node.DistributedAddon": 0}
POLICYARCHIVE_REDIS_URL = ""  # e.g. redis://10.0.0.5:6379/0 (--redis)
POLICYARCHIVE_RUN_NAME = ""  # every node of one run uses the same name (--run)
POLICYARCHIVE_NODE_ID = ""  # default: <hostname>-<pid>
POLICYARCHIVE_NODE_SITES = 16  # sites one node holds at a time
POLICYARCHIVE_LEASE_SECONDS = 120.0  # a node silent this long loses its sites to the others
POLICYARCHIVE_NODE_POLL_SECONDS = 0.5  # how often an idle node looks for sites to take over
# nodes with the same client id share each archive's (and site's) rate limit and pauses:
# give nodes behind different public addresses different ids
POLICYARCHIVE_CLIENT_ID = "default"

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
