"""Stage 0: reports published as files (PDF, DOCX, DOC/WPS, OFD, scans) and files attached to pages.

Runs before ``extract`` and parses the page for both (``item.page``: the one parse of a page).  A report
link that answered with a file arrives with ``item.document``; a report page is searched for attachment
links — ordinary links, TRS ``./YYYYMM/P0….pdf``, Hanweb ``downfile.jsp?…filename=….pdf``, Fujian
``var apps = [{url, name}]`` arrays, ``viewer.html?file=…`` wrappers, ``<iframe>``/``<embed>``/``<object>``
sources — which are downloaded through the Scrapy engine (same politeness, proxy and size limit as pages)
like ``scrapy.pipelines.files`` does.  Every file is kept in the content-addressed file store, its text
extracted in a capped child process (pipelines.text.documents), and recorded on the item; ``extract`` then
uses that text when the page has none of its own or only says "详见附件".  Bad files get a status and an
error for the run, never an exception: the crawl goes on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import scrapy
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, DropItem
from scrapy.http import TextResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import CancelledError
from twisted.internet.threads import deferToThread

from pipelines.components import count, record_error
from pipelines.text.documents import EXTENSIONS, IMAGE_FORMATS, DocumentText, Status, extract_isolated, file_name, sniff
from pipelines.text.fingerprint import fingerprint
from pipelines.text.html.body import container_boxes
from pipelines.text.html.parse import ParsedPage, parse
from pipelines.text.links import anchor_link
from storage import AttachmentRecord
from storage.archive.files import FileStore
from storage.paths import beside_archive

T = TypeVar("T")
_DOC_EXTENSIONS = tuple(f".{e}" for e in EXTENSIONS if e not in IMAGE_FORMATS)
_VIEWER_PARAMS = ("file", "url", "src", "filepath", "path")
_JS_ARRAY = re.compile(r"var\s+apps\d*\s*=\s*(\[.*?\])\s*;", re.S)
_JS_ENTRY = re.compile(r"\{[^{}]*?\burl\s*:\s*[\"']([^\"']+)[\"'][^{}]*?\}", re.S)
_JS_NAME = re.compile(r"\bname\s*:\s*[\"']([^\"']*)[\"']")
# A page whose whole body points at its attachment: "详见附件", "见附件", "请下载附件", "附件：…pdf".
_POINTER = re.compile(r"(详见|见|请(?:查看|下载|点击))附件|^附件\s*[:：]?|点击下载|全文下载"
                      r"|\.(?:pdf|docx?|wps|ofd)\b", re.I)
_POINTER_MAX_CHARS = 120
_IMAGE_PAGE_MAX_CHARS = 50  # a body container with images and less text than this is an image-only report


async def _in_thread(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Blocking work (child-process extraction, file writes) off the reactor thread, so downloads go on."""
    result: T = await maybe_deferred_to_future(deferToThread(func, *args, **kwargs))
    return result


@dataclass(frozen=True, slots=True)
class AttachmentLink:
    url: str
    name: str  # link text or JS ``name``; the file name when there is none


def document_url(url: str) -> bool:
    """True when the URL names a document file (path suffix or a ``filename=`` query value)."""
    parts = urlsplit(url)
    if unquote(parts.path).lower().endswith(_DOC_EXTENSIONS):
        return True
    return any(v.lower().endswith(_DOC_EXTENSIONS) for _, v in parse_qsl(parts.query))


def _unwrap_viewer(url: str) -> str:
    """``/generic2/web/viewer.html?file=/a/b.pdf`` → the PDF itself (resolved against the viewer URL)."""
    parts = urlsplit(url)
    if "viewer" in parts.path.lower() or not document_url(url):
        for key, value in parse_qsl(parts.query):
            if key.lower() in _VIEWER_PARAMS and value:
                return urljoin(url, value)
    return url


def _may_name_document(url: str) -> bool:
    """Whether a link can resolve to a document URL: a document suffix must appear in it (decoded twice, since
    a viewer's ``file=`` value is decoded once more when resolved).  Saves resolving the other links."""
    text = unquote(unquote(url)).lower()
    return any(ext in text for ext in _DOC_EXTENSIONS)


def find_attachments(page: ParsedPage, base_url: str) -> list[AttachmentLink]:
    """Document links on a page, in page order, each once."""
    found: dict[str, AttachmentLink] = {}
    base_may = _may_name_document(base_url)  # a link without a path keeps the page's own

    def add(raw: str | None, name: Callable[[], str]) -> None:
        raw = (raw or "").strip()
        if not raw or raw.startswith(("javascript:", "#", "mailto:", "data:")):
            return
        if not base_may and not _may_name_document(raw):
            return
        url = _unwrap_viewer(urljoin(base_url, raw))
        if document_url(url) and url not in found:
            found[url] = AttachmentLink(url, " ".join(name().split()) or file_name(url))

    if page.doc is not None:
        for el in page.doc.iter("a", "iframe", "embed", "object", "frame"):
            if el.tag == "a":
                add(el.get("href"), lambda el=el: el.get("title") or el.text_content())
            else:
                add(el.get("src") or el.get("data"), str)
    for array in _JS_ARRAY.finditer(page.html):  # Fujian TRS: var apps = [{url:"…", name:"…"}]
        for entry in _JS_ENTRY.finditer(array.group(1)):
            name = _JS_NAME.search(entry.group(0))
            add(entry.group(1), lambda name=name: name.group(1) if name else "")
    return list(found.values())


def page_images(page: ParsedPage, base_url: str) -> list[AttachmentLink]:
    """Images that are the report (图片版): those inside a body container holding next to no text."""
    found: dict[str, AttachmentLink] = {}
    for box in container_boxes(page.doc) if page.doc is not None else ():
        if len("".join(box.text_content().split())) >= _IMAGE_PAGE_MAX_CHARS:
            continue
        for img in box.iter("img"):
            url = urljoin(base_url, (img.get("src") or "").strip())
            if img.get("src") and url not in found:
                found[url] = AttachmentLink(url, img.get("alt") or file_name(url))
    return list(found.values())


def document_links(response: TextResponse, known: Iterable[Any]) -> list[Any]:
    """List entries that link straight to a document (``./202301/P0….pdf``) and the list protocol skipped.

    Reads the tree the list protocol already parsed, and builds a list entry (title, date beside the link) only
    for the links that name a document.
    """
    seen = {link.url for link in known}
    links = []
    base_may = _may_name_document(response.url)  # as in find_attachments: most links are not resolved at all
    for a in response.selector.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if (not base_may and not _may_name_document(href)) or not document_url(urljoin(response.url, href)):
            continue
        link = anchor_link(a, response.url)  # its URL is the one just tested
        if link and link.url not in seen:
            seen.add(link.url)
            links.append(link)
    return links


def points_to_attachment(text: str) -> bool:
    """A short body that only sends the reader to the attachment ("详见附件")."""
    return len(text) <= _POINTER_MAX_CHARS and bool(_POINTER.search(text))


WAITING = (Status.NEEDS_OCR.value, Status.NEEDS_CONVERTER.value)  # no text until a tool is installed


def body_or_attachments(page_text: str, item: Any) -> tuple[str, str]:
    """The text to archive and where it came from: ``page``, ``attachment``, or a WAITING status (no text yet)."""
    adapter = ItemAdapter(item)
    if page_text and not points_to_attachment(page_text):
        return page_text, "page"
    if adapter["attachment_text"]:
        return adapter["attachment_text"], "attachment"
    waiting = next((a.status for a in adapter["attachments"] if a.status in WAITING), None)
    return ("", waiting) if waiting else (page_text, "page")


def text_hash(text: str) -> str | None:
    """The content hash the report would have with this text (None without text): equal hashes, same report."""
    return fingerprint(text) if text else None


class AttachmentsPipeline:
    """Fetch, keep and read the files a report is published as or with."""

    def __init__(self, crawler: Crawler, store: FileStore) -> None:
        self.crawler = crawler
        self.store = store
        settings = crawler.settings
        self.max_bytes = settings.getint("NIANBAO_ATTACHMENT_MAXSIZE")
        self.per_page = settings.getint("NIANBAO_ATTACHMENTS_PER_PAGE")
        self.timeout = settings.getfloat("NIANBAO_ATTACHMENT_TIMEOUT")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        root = crawler.settings.get("NIANBAO_FILES_DIR") or beside_archive(crawler.settings["NIANBAO_DB"], ".files")
        return cls(crawler, FileStore(root))

    async def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        url, portal = adapter["url"], adapter["portal"]
        records: list[AttachmentRecord] = []
        texts: list[str] = []
        # The one parse of the page (a report file has none: an empty page); the extract stage reads it too.
        page = adapter["page"] = parse(adapter["html"])
        adapter["html"] = ""
        if adapter["document"]:
            data, mime = adapter["document"], adapter["content_type"]
            adapter["document"] = b""
            await self._read(url, file_name(url), data, mime, portal, records, texts)
            if not texts and not any(r.status in WAITING for r in records):
                raise DropItem(f"report file unreadable: {url}")  # its status is already an error of the run
        else:
            links = find_attachments(page, url) or page_images(page, url)
            if len(links) > self.per_page:
                count(self._stats, portal, "attachments/over_page_limit", len(links) - self.per_page)
            for link in links[: self.per_page]:
                fetched = await self._fetch(link, portal)
                if fetched is not None:
                    await self._read(link.url, file_name(link.url) or link.name, *fetched, portal, records, texts)
        adapter["attachments"] = records
        adapter["attachment_text"] = "\n".join(texts)
        return item

    @property
    def _stats(self) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats

    async def _fetch(self, link: AttachmentLink, portal: str | None) -> tuple[bytes, str] | None:
        """Download through the engine (middlewares, proxy, size cap); None, with an error recorded, on failure."""
        assert self.crawler.engine is not None
        request = scrapy.Request(link.url, meta={"download_maxsize": self.max_bytes, "download_warnsize": 0,
                                                 "stage": "attachment"})
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # the download layer raises many types; each is one failed attachment
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, DownloadCancelledError | CancelledError) or "max size" in reason:
                count(self._stats, portal, f"attachments/{Status.TOO_LARGE}")
                reason = f"{Status.TOO_LARGE}: larger than {self.max_bytes} bytes"
            record_error(self._stats, portal, link.url, f"attachment not downloaded: {reason}"[:300], "attachment")
            return None
        if response.status != 200:
            record_error(self._stats, portal, link.url, f"attachment: HTTP {response.status}", "attachment")
            return None
        return response.body, response.headers.get("Content-Type", b"").decode("latin-1")

    async def _read(self, url: str, name: str, data: bytes, mime: str, portal: str | None,
                    records: list[AttachmentRecord], texts: list[str]) -> None:
        fmt = sniff(data, name, mime)
        if fmt == "html":  # a link to ".pdf" that answers with an HTML page (error page, login wall)
            record_error(self._stats, portal, url, f"attachment is an HTML page, not a document (served as {mime!r})",
                         "attachment")
            count(self._stats, portal, "attachments/not_a_document")
            return
        result: DocumentText = await _in_thread(extract_isolated, data, name=name, mime=mime,
                                               max_bytes=self.max_bytes, timeout=self.timeout,
                                               ocr_cache=self.store.ocr_cache)
        sha = await _in_thread(self.store.put, data) if data else hashlib.sha256(data).hexdigest()
        count(self._stats, portal, f"attachments/{result.status}")
        if result.status not in (Status.OK, Status.NEEDS_OCR, Status.NEEDS_CONVERTER):
            record_error(self._stats, portal, url, f"attachment {result.status}: {result.detail}"[:300], "attachment")
        records.append(AttachmentRecord(
            url=url, file_name=name[:500], format=result.format, size=len(data), sha256=sha,
            status=result.status.value, extractor=result.extractor, mime=mime or None, pages=result.pages,
            ocr=result.ocr, detail=result.detail, content_sha256=text_hash(result.text)))
        if result.ok and result.text:
            texts.append(result.text)
