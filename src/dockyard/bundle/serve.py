"""`dockyard bundle serve FILE`: the presenter's machine hands the bundle to the room over HTTP.

Loopback unless the presenter names another address (`--host 0.0.0.0` for the room). A bundle
holds only what anyone may download (public images, kind), so it needs no password; nothing else
is served: any path answers with the one file.
"""
from __future__ import annotations

import shutil
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEFAULT_PORT = 8765


class BundleHandler(BaseHTTPRequestHandler):
    def __init__(self, *args, bundle: Path, served: list, **kwargs):
        self.bundle, self.served = bundle, served
        super().__init__(*args, **kwargs)

    def do_HEAD(self):
        self._headers()

    def do_GET(self):
        self._headers()
        with open(self.bundle, "rb") as f:
            try:
                shutil.copyfileobj(f, self.wfile, 1 << 20)
                self.served.append(self.client_address[0])
            except (BrokenPipeError, ConnectionResetError):
                pass   # the learner stopped the download; nothing to do here

    def _headers(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(self.bundle.stat().st_size))
        self.send_header("Content-Disposition", f'attachment; filename="{self.bundle.name}"')
        self.end_headers()

    def log_message(self, fmt, *args):   # one line per learner, below, instead of every request
        pass


class BundleServer:
    """`with BundleServer(path, host, port) as server:` serves until the block ends."""

    def __init__(self, bundle: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT):
        self.bundle = Path(bundle)
        if not self.bundle.is_file():
            from dockyard.errors import DockyardError
            raise DockyardError(f"there is no bundle file {bundle}", "run `dockyard bundle save FILE` first")
        self.served: list[str] = []
        handler = partial(BundleHandler, bundle=self.bundle, served=self.served)
        from dockyard.host.ports import require_free
        require_free(host, port)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.host, self.port = host, self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def urls(self) -> list[str]:
        from dockyard.lessons.room import audience_urls, lan_addresses
        return audience_urls(self.host, self.port, lan_addresses(), f"/{self.bundle.name}")

    def __enter__(self) -> "BundleServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
