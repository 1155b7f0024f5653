"""Scrapy settings for nianbao: polite by default, because every portal is someone's public service.

Overrides for the bundled demo portals (which live on loopback) are applied by `nianbao demo`, not
here, so a real crawl can never inherit them by accident.
"""

import os

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Where reports go: any SQLAlchemy URL.
NIANBAO_DB = os.environ.get("NIANBAO_DB") or "sqlite:///nianbao.db"
# Set by `nianbao demo`, or by hand after `nianbao demo --serve-only`, to reach the demo portals.
NIANBAO_DEMO_PROXY = os.environ.get("NIANBAO_DEMO_PROXY", "")
# Hard cap on list pages followed per report column (pagination traps).
NIANBAO_MAX_LIST_PAGES = 50
NIANBAO_CONTACT_URL = os.environ.get("NIANBAO_CONTACT_URL", "https://github.com/nianbao/nianbao")
# A crawl_run row with stats and errors per crawl (crawler/runs.py); off only for throw-away crawls.
NIANBAO_RECORD_RUNS = True

USER_AGENT = f"nianbao/0.1 (government report archive; +{NIANBAO_CONTACT_URL})"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# A response yields one report or a list page's requests; Scrapy starts this many asyncio tasks per response
# (100 by default: about 12 % of a first crawl's CPU at 201 demo portals went to that, benchmarks/throughput.py).
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 45
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
RETRY_TIMES = 2
CLOSESPIDER_TIMEOUT = 3600

TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # it would execute code sent to it; never wanted on a crawl box
FEED_EXPORT_ENCODING = "utf-8"
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"  # non-reports and pages without a body are decisions, not warnings

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.DemoProxyMiddleware": 740,  # before HttpProxyMiddleware (750)
    "crawler.hostile.HostileSiteMiddleware": 610,  # sees raw answers, before redirects (600) and meta refresh (580)
    "crawler.incremental.WithdrawnMiddleware": 615,  # archived report now 404/410/tombstone → withdrawn
    # No internal address (loopback, private, link-local…) unless the portal is registered there; after the
    # proxy middlewares (740, 750) so it knows when a proxy resolves names (crawler/ssrf.py).
    "crawler.ssrf.PrivateAddressMiddleware": 760,
}
# Incremental re-crawls (crawler/incremental.py): list pages revalidated with If-None-Match /
# If-Modified-Since through the HTTP cache (a 304 costs no body); archived report pages skipped
# until their recheck is due.
SPIDER_MIDDLEWARES = {"crawler.incremental.SkipArchivedMiddleware": 950}
NIANBAO_RECHECK_DAYS = 30
# Reports written per archive transaction at most (pipelines/store.py): those that reach the store stage in
# the same turn of the event loop are committed together before any of them is counted.
NIANBAO_STORE_BATCH = 50
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.incremental.RevalidatingPolicy"  # RFC 2616, no-cache = revalidate
HTTPCACHE_STORAGE = "crawler.incremental.ArchiveCacheStorage"  # beside the archive unless NIANBAO_HTTPCACHE_DIR
NIANBAO_HTTPCACHE_DIR = ""
# An entry not downloaded again for 60 days (twice the recheck interval) is not used: that page is fetched
# in full once more and cached afresh. Such entries are dead weight that `nianbao gc` deletes.
HTTPCACHE_EXPIRATION_SECS = 60 * 86400
HTTPCACHE_GZIP = True
# Anti-crawler challenges (瑞数 412, 加速乐 521) and blocks must reach nianbao to be recorded, never be
# retried (they are not in RETRY_HTTP_CODES) and never be parsed (crawler/hostile.py).
HTTPERROR_ALLOWED_CODES = [412, 521]
# A host is left alone for the rest of the run after this many challenges in a row when it served no page;
# one that did serve pages only when the challenges also make up NIANBAO_CHALLENGED_SHARE of its last 10
# answers (a WAF rule on some paths must not close the site; crawler/hostile.py).
NIANBAO_CHALLENGES_PER_HOST = 2
NIANBAO_CHALLENGED_SHARE = 0.8
NIANBAO_CHALLENGED_RUNS_PAUSE = 3  # consecutive challenged runs before a full crawl skips the portal
NIANBAO_DISCOVERY_DEPTH = 2  # hops from a homepage through 政府信息公开/政务公开 pages to the 年报 column
# Paging a column (crawler/paging.py) stops at a list page that adds no link this walk has not seen, and, once
# a column has been walked to its end in a run that finished, after this many pages in a row that add no
# report link unknown to the archive (0: always walk to the end). The first walk of a column, and every walk
# after a killed run, goes to the end.
NIANBAO_STALE_LIST_PAGES = 3
EXTENSIONS = {
    "crawler.locks.PortalLocks": 90,  # before RunRecorder: a portal another process is crawling is left out
    "crawler.runs.RunRecorder": 100,
    "nianbao.notify.Notifier": 200,  # Atom feed file + optional webhook after each run
    "crawler.heap.GcTuning": 300,
}
# Garbage collector during a crawl (crawler/heap.py): the start-up heap frozen out of collections, and the youngest
# generation collected every NIANBAO_GC_YOUNG allocations (Python: 700). About 14 % of a crawl's CPU went to it.
NIANBAO_GC_TUNING = True
NIANBAO_GC_YOUNG = 10_000
# Per-portal crawl locks (crawler/locks.py): a lock whose holder has not renewed it for this many seconds
# is taken over (renewed every quarter of it); a holder that died on this host frees it at once.
NIANBAO_PORTAL_LOCK_TTL = 600.0
# Notifications (nianbao/notify.py): "" turns the feed off; None = beside a SQLite archive.
NIANBAO_FEED = os.environ.get("NIANBAO_FEED")
NIANBAO_WEBHOOK_URL = os.environ.get("NIANBAO_WEBHOOK_URL", "")
NIANBAO_FEED_ENTRIES = 100  # newest events kept in the Atom feed
NIANBAO_WEBHOOK_ATTEMPTS = 5  # network errors, 429 and 5xx are retried with exponential backoff
NIANBAO_WEBHOOK_BACKOFF = 2.0  # seconds before the first retry, doubling
NIANBAO_WEBHOOK_DEADLINE = 10.0  # seconds a crawl spends delivering at most; the rest waits in the archive
# Flow order: fetch → attachments → extract → normalise → hash → store (which also tells unchanged pages apart)
# → statistics.
ITEM_PIPELINES = {
    "pipelines.attachments.AttachmentsPipeline": 50,  # files a report is published as or with
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.normalise.NormalisePipeline": 200,
    "pipelines.hash.HashPipeline": 300,
    "pipelines.store.StorePipeline": 500,
    "pipelines.statistics.StatisticsPipeline": 600,  # tables 二/三/四 of a stored report, checked
}
# Attachments (pipelines/attachments.py): per-file cap (also the download cap for attachment requests; a
# bigger file is recorded as too_large), files fetched per page, extraction time limit per file, and where
# original bytes are kept (env NIANBAO_FILES; default: <sqlite file stem>.files/ beside the database,
# else ./nianbao.files).
NIANBAO_ATTACHMENT_MAXSIZE = DOWNLOAD_MAXSIZE
NIANBAO_ATTACHMENTS_PER_PAGE = 10
NIANBAO_ATTACHMENT_TIMEOUT = 60.0
NIANBAO_FILES_DIR = os.environ.get("NIANBAO_FILES", "")
# Compliance (nianbao compliance, /compliance; docs/compliance.md): publication deadlines as MM-DD of the year after
# the report year. Regulations (2019) Art. 49: departments 31 January, local governments 31 March; 街道/乡镇
# deadlines are set by their county. Report years before NIANBAO_DEADLINE_SINCE (2007 Regulations Art. 31) had
# 31 March for every organ, i.e. the government deadline.
NIANBAO_DEADLINE_DEPARTMENT = "01-31"
NIANBAO_DEADLINE_GOVERNMENT = "03-31"
NIANBAO_DEADLINE_SUBCOUNTY = "03-31"
NIANBAO_DEADLINE_SINCE = 2019
