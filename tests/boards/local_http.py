"""A small HTTP server on loopback for status pings: paths name the status they answer."""

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    hits: list[str] = []
    STATUSES = {"/ok": 200, "/login": 401, "/broken": 503, "/redirect": 302}

    def do_HEAD(self):
        Handler.hits.append(self.path)
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        status = self.STATUSES.get(self.path, 404)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def http_server():
    """`with http_server() as url:` the server's base address, stopped afterwards."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.hits = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
