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

USER_AGENT = f"nianbao/0.1 (government report archive; +{NIANBAO_CONTACT_URL})"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
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
}
EXTENSIONS = {
    "crawler.runs.RunRecorder": 100,
}
# Flow order: fetch → extract → normalise → hash → dedupe → store.
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.normalise.NormalisePipeline": 200,
    "pipelines.hash.HashPipeline": 300,
    "pipelines.dedupe.DedupePipeline": 400,
    "pipelines.store.StorePipeline": 500,
}
