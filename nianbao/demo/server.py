"""One local HTTP server that plays every demo portal, acting as an HTTP forward proxy.

The crawler is pointed at the server as its ``http`` proxy and requests
``GET http://www.daan.nianbao.test/zwgk/zfxxgknb/ HTTP/1.1``; the server dispatches on the URL's host
(origin-form requests with a ``Host:`` header work too).  Stored URLs therefore name the stable fake
hosts while the port changes per run.  Unknown hosts get 502, as from a real proxy that cannot resolve.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from nianbao.demo import attachments, chrome, conditional, hanweb, trs, trsapi, xxgk
from nianbao.demo.chrome import Response, Route
from nianbao.demo.content import FAULT_CHALLENGE_412, FAULT_COLUMN_404, FAULT_COLUMN_500, DemoPortal

_RENDERERS = {"trs": trs.routes, "hanweb": hanweb.routes, "xxgk": xxgk.routes, "trs_api": trsapi.routes}


def site_routes(portal: DemoPortal) -> dict[str, Route]:
    """All paths of one portal: homepage, robots.txt, the CMS pages, with column faults applied."""
    table = _RENDERERS[portal.cms](portal)
    table.update(attachments.routes(portal))  # files and the pages linking them (attachments portal only)
    table["/"] = lambda _q: chrome.homepage(portal)
    table["/robots.txt"] = lambda _q: chrome.robots()
    column_pages = {p for c in portal.column_paths for p in (c, c + "index.html" if c.endswith("/") else c)}
    for path in column_pages:
        if portal.fault == FAULT_COLUMN_404:
            table.pop(path, None)
        elif portal.fault == FAULT_COLUMN_500:
            table[path] = lambda _q: chrome.error_page(500, "Internal Server Error")
    if portal.fault == FAULT_CHALLENGE_412:  # 瑞数: every page but robots.txt is a challenge
        table = {path: (route if path == "/robots.txt" else lambda _q: chrome.challenge_412())
                 for path, route in table.items()}
    return table


class DemoServer:
    """Serve ``portals`` on 127.0.0.1 (ephemeral port) from a daemon thread; use as a context manager.

    ``requests`` logs ``(host, path_with_query, status)`` for every request, in arrival order.
    Routes are built lazily per host, so a 200-portal benchmark starts instantly.
    """

    def __init__(self, portals: Sequence[DemoPortal], port: int = 0) -> None:
        self.portals = {p.host: p for p in portals}
        self.requests: list[tuple[str, str, int]] = []
        self.overrides: dict[str, Response] = {}  # "host/path" → fixed answer (see set_portals)
        self.proxy_url = ""
        self._port = port
        self._routes: dict[str, dict[str, Route]] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Bind, start serving and return the proxy URL ``http://127.0.0.1:PORT``."""
        handler = type("DemoHandler", (_Handler,), {"demo": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._httpd.daemon_threads = True
        self.proxy_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="nianbao-demo", daemon=True)
        self._thread.start()
        return self.proxy_url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until the server thread ends (Ctrl-C in ``python -m nianbao.demo``)."""
        if self._thread is not None:
            self._thread.join()

    def set_portals(self, portals: Sequence[DemoPortal], overrides: dict[str, Response] | None = None) -> None:
        """Swap what the portals publish while serving (nianbao/demo/changes.py: new, edited, withdrawn reports).

        ``overrides`` maps ``host + path`` to a fixed answer, e.g. the tombstone a CMS leaves where a
        document was deleted.
        """
        with self._lock:
            self.portals = {p.host: p for p in portals}
            self.overrides = dict(overrides or {})
            self._routes.clear()

    def respond(self, host: str, target: str, if_none_match: str | None = None,
                if_modified_since: str | None = None) -> Response:
        """Resolve ``host`` + ``target`` (path with query) to a response; also logs the request.

        With validators from an earlier answer (see :func:`etag`) an unchanged page answers 304.
        """
        portal = self.portals.get(host)
        if f"{host}{target}" in self.overrides:
            response = self.overrides[f"{host}{target}"]
        elif portal is None:
            own = urlsplit(self.proxy_url).netloc
            response = (_index(self.portals.values()) if host in (own, own.split(":")[0], "localhost")
                        else chrome.error_page(502, f"Bad Gateway: unknown host {host}"))
        else:
            with self._lock:
                table = self._routes.get(host) or self._routes.setdefault(host, site_routes(portal))
            path, _, query = target.partition("?")
            route = table.get(path)
            response = route(dict(parse_qsl(query))) if route else chrome.not_found()
            if response.status == 200 and conditional.is_fresh(response, conditional.etag(portal, target),
                                                               if_none_match, if_modified_since):
                response = conditional.not_modified(response)
        with self._lock:
            self.requests.append((host, target, response.status))
        return response

    def etag(self, host: str, target: str) -> str | None:
        """The ETag of a portal page (None for hosts that are not portals, and for fixed overrides)."""
        portal = self.portals.get(host)
        return None if portal is None or f"{host}{target}" in self.overrides else conditional.etag(portal, target)


def _index(portals: Iterable[DemoPortal]) -> Response:
    """Human-facing index of the proxy itself: every portal homepage and column."""
    rows = "\n".join(
        f'<li><a href="{p.homepage}">{escape(p.display_name)}</a> ({p.name}, {p.cms}) — '
        + " ".join(f'<a href="{u}">{escape(u)}</a>' for u in p.column_urls) + "</li>"
        for p in portals)
    html = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>nianbao demo portals</title></head>'
            f"<body><h1>nianbao demo portals</h1><p>Use this server as an HTTP proxy.</p><ul>\n{rows}\n</ul>"
            "</body></html>")
    return Response(200, "text/html; charset=utf-8", html.encode("utf-8"))


class _Handler(BaseHTTPRequestHandler):
    """Request handler; ``demo`` is bound to the owning :class:`DemoServer` by a subclass."""

    demo: DemoServer
    protocol_version = "HTTP/1.1"
    server_version = "nianbao-demo/1.0"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        """Form POSTs (TRS search APIs): the url-encoded body is read as more query parameters."""
        form = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        if form:
            self.path += ("&" if "?" in self.path else "?") + form
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        if self.path.startswith(("http://", "https://")):  # absolute-form: proxy request
            parts = urlsplit(self.path)
            host, target = parts.hostname or "", (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        else:
            host, target = self.headers.get("Host", "").lower(), self.path
            if host.split(":")[0] in self.demo.portals:
                host = host.split(":")[0]
        response = self.demo.respond(host.lower(), target, self.headers.get("If-None-Match"),
                                     self.headers.get("If-Modified-Since"))
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        tag = self.demo.etag(host.lower(), target) if response.status in (200, 304) else None
        if tag:
            self.send_header("ETag", tag)
        if response.last_modified is not None:
            self.send_header("Last-Modified", chrome.last_modified_header(response.last_modified))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        """Silence per-request stderr logging; ``DemoServer.requests`` is the log."""
