"""A local web server for crawler tests and the crawl benchmark (127.0.0.1 only).

Serves one or more fixture folders as one site, like a real server would:
- ``{{BASE}}`` in a body becomes the server's base URL (fixtures link to themselves);
- a file ``<path>__<query>`` answers ``<path>?<query>`` (query pairs sorted), else ``<path>``
  (when no ``<path>__*`` file exists at all);
- every 200 carries an ETag and Last-Modified, and a matching If-None-Match gets a 304;
- a sidecar ``<file>.headers`` sets headers (``Content-Type: ...``) or the status (``Status: 429``);
- ``routes`` maps a path to a function(handler) for traps (slow, huge, rate-limited answers).
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

TYPES = {".xml": "application/xml", ".rss": "application/rss+xml", ".json": "application/json",
         ".txt": "text/plain", ".pdf": "application/pdf", ".html": "text/html; charset=utf-8"}
LAST_MODIFIED = "Wed, 15 Jan 2025 12:00:00 GMT"


class Site:
    def __init__(self, *roots: Path, routes: dict | None = None):
        self.roots = [Path(r) for r in roots]
        self.routes = dict(routes or {})
        self.requests: list[str] = []       # path?query of every request, in order
        self.headers: list[dict] = []        # their headers
        self.times: list[float] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                import time

                site.requests.append(self.path)
                site.headers.append(dict(self.headers))
                site.times.append(time.monotonic())
                path = urlsplit(self.path).path
                if path in site.routes:
                    site.routes[path](self)
                    return
                found = site.find(self.path)
                if found is None:
                    self.reply(404, b"not found", {"Content-Type": "text/plain"})
                    return
                status, headers, body = found
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    self.reply(304, b"", {"ETag": etag})
                    return
                if status == 200:
                    headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, **headers}
                self.reply(status, body, headers)

            def reply(self, status, body, headers):
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll interval: shutdown() waits up to one interval, and tests start many sites.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def find(self, raw_path: str):
        parts = urlsplit(raw_path)
        relative = parts.path.lstrip("/") or "index.html"
        query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
        for root in self.roots:
            # The plain file answers any query, unless the path has query-specific files: then an
            # unknown query is a 404 (a listing's page past the end), as on a real site.
            specific = any(root.glob(relative + "__*")) if relative else False
            names = [f"{relative}__{query}"] if query else []
            if not (query and specific):
                names.append(relative)
            for name in names:
                target = (root / name).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if root.resolve() not in target.parents or not target.is_file():
                    continue
                body = target.read_bytes().replace(b"{{BASE}}", self.base.encode())
                headers = {"Content-Type": TYPES.get(target.suffix, "text/html; charset=utf-8")}
                status = 200
                sidecar = target.with_name(target.name + ".headers")
                if sidecar.is_file():
                    for line in sidecar.read_text().splitlines():
                        key, _, value = line.partition(":")
                        if key.strip().lower() == "status":
                            status = int(value)
                        elif key.strip():
                            headers[key.strip()] = value.strip()
                return status, headers, body
        return None

    def paths(self, prefix: str = "") -> list[str]:
        return [p for p in self.requests if p.startswith(prefix)]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A minimal one-page PDF with real text (Helvetica), written by hand: pypdf reads it back."""
    def esc(text):
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({esc(l)}) Tj T*" for l in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({esc(title)}) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)
