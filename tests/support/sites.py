"""A small static-site server for tests: any host name, fixed answers, acting as an HTTP forward proxy.

Crawls reach it either as the demo proxy (``NIANBAO_DEMO_PROXY``, for ``*.nianbao.test`` hosts) or as
the ordinary ``http_proxy`` (for real host names such as ``hdzfxxgk.hd.gov.cn``), so saved real pages
are served at their real URLs over loopback and nothing ever leaves the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


Handler = Answer | Callable[[str], Answer]  # a fixed answer, or one computed from the path with query


class StaticSites:
    """``routes[(host, path)]`` answers ``GET http://host/path…``; a route keyed ``(host, "*")`` catches the
    rest of that host; everything else is 404. ``requests`` logs ``(method, url)`` in arrival order."""

    def __init__(self, routes: dict[tuple[str, str], Handler]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str]] = []
        self.url = ""
        self._httpd: ThreadingHTTPServer | None = None

    def answer(self, method: str, url: str) -> Answer:
        self.requests.append((method, url))
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path or "/"
        handler = self.routes.get((host, path)) or self.routes.get((host, "*"))
        if handler is None:
            return Answer(404, b"<html><body>404</body></html>")
        return handler(path + (f"?{parts.query}" if parts.query else "")) if callable(handler) else handler

    def __enter__(self) -> StaticSites:
        sites = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode() if length else ""
                url = self.path if self.path.startswith("http") else f"http://{self.headers.get('Host')}{self.path}"
                if form:
                    url += ("&" if "?" in url else "?") + form
                answer = sites.answer(self.command, url)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if not any(name.lower() == "content-length" for name, _ in answer.headers):  # else: a cut-off body
                    self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: ``StaticSites.requests`` is the log."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
