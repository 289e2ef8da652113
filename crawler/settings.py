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
# 10 a second; we stay below both and let AutoThrottle slow us further when it is slow.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
DOWNLOAD_SLOTS = {
    "web.archive.org": {"concurrency": 2, "delay": 2.0, "randomize_delay": True},
}
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_TIMEOUT = 60

# Size caps, checked by Scrapy after decompression too.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

COOKIES_ENABLED = False  # nothing to log into; never carry cookies across hosts
TELNETCONSOLE_ENABLED = False  # no listening server the user did not ask for
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
TWISTED_DNS_RESOLVER = "crawler.resolver.OverrideResolver"
REDIRECT_MAX_TIMES = 10
METAREFRESH_ENABLED = True

ITEM_PIPELINES = {
    # 100: skip documents already stored by an earlier run (state in SQLite)
    "pipelines.dedupe_step.DedupePipeline": 100,
    # 200: extract → detect → clauses → attributes, in worker processes
    "pipelines.process_step.ProcessPipeline": 200,
    # 900: buffered, atomic Parquet writer + run manifest; records every drop in `fetches`
    "pipelines.parquet_step.ParquetPipeline": 900,
}

# policyarchive's own settings
OUTPUT_DIR = "output"
POLICYARCHIVE_WORKERS = None  # worker processes for extraction; None = one per core, 0 = inline
POLICYARCHIVE_DOC_TIMEOUT = 60.0  # seconds one document may take in a worker
POLICYARCHIVE_MIN_POLICY_SCORE = 0.5
POLICYARCHIVE_ROW_GROUP_ROWS = 500
POLICYARCHIVE_SAVE_ENDPOINT = "https://web.archive.org/save/"  # Save Page Now (--save-to-archive)
POLICYARCHIVE_SAVE_PER_MINUTE = 12  # the service refuses above about 15 a minute
POLICYARCHIVE_RESOLVE = {}  # host pattern → IP, e.g. {"*.example": "127.0.0.1"} (tests, demos)

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
