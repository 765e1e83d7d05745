"""A real HTTP server on a thread of its own, serving what a test puts in it: an MMS's media
links for tests/services/test_media.py, tests/ui/test_thread_media.py and the app's tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage


@dataclass
class Route:
    body: bytes
    content_type: str = "image/png"
    status: int = 200
    delay: float = 0.0  # seconds before answering (a slow server)
    length: bool = True  # send Content-Length (else the body is sent until the close)


class MediaServer:
    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []  # paths, in order
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                server.requests.append(self.path)
                route = server.routes.get(self.path)
                if route is None:
                    route = Route(b"not found", "text/plain", 404)
                if route.delay and server._stop.wait(route.delay):
                    return
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    if route.length:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                except OSError:  # the client gave up (a time limit): nothing to answer
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def hits(self, path: str) -> int:
        return self.requests.count(path)

    def start(self) -> MediaServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


def png(width: int, height: int, color: str = "#d02020") -> bytes:
    """A PNG of one colour (Qt draws it: only the test side uses Qt here)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())
