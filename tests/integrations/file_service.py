"""A small web service on loopback that answers files and JSON, for the kinds whose protocol
is one plain GET (calendars, any JSON API): that is their real protocol, served for real.

`FileService` answers `routes` (path with its query -> (status, content type, body)), asks
for HTTP Basic credentials or an API-key header when told to, counts requests, and can be
stopped and started again on the same port (a service that went down and came back).
"""

from __future__ import annotations

import base64
import threading
from http.server import ThreadingHTTPServer
from typing import Self

from tests.outbound_servers import QuietHandler


class FileService:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.basic: tuple[str, str] | None = None
        self.key_header: tuple[str, str] | None = None  # (header name, value)
        self.requests: list[str] = []
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _handler(self) -> type[QuietHandler]:
        service = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                service.requests.append(self.path)
                if service.basic is not None:
                    user, password = service.basic
                    token = base64.b64encode(f"{user}:{password}".encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {token}":
                        self.answer(401, b"login", {"WWW-Authenticate": 'Basic realm="x"'})
                        return
                if service.key_header is not None:
                    name, value = service.key_header
                    if self.headers.get(name) != value:
                        self.answer(
                            403, b'{"error": "bad key"}', {"Content-Type": "application/json"}
                        )
                        return
                status, content_type, body = service.routes.get(
                    self.path, (404, "text/plain", b"not found")
                )
                self.answer(status, body, {"Content-Type": content_type})

        return Handler

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join()
            self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
