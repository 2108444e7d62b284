"""A stand-in for the Hugging Face hub on 127.0.0.1 (port 0): the API and resolve endpoints
that ``livekr.hub_api`` uses, serving files given as bytes, with the faults a test asks for
and a log of every request.

Large (LFS) files are served the way the hub serves them: the resolve URL redirects to a
"CDN" path on the same server. Faults apply once each, to the named file:
``drop_after`` sends that many bytes of the body, then closes the connection; ``stall_after``
sends that many bytes, sets ``stalled``, waits for ``release`` (set at the latest when the server
stops), then sends the rest; ``damage`` flips a byte in the middle;
``ignore_range`` makes every answer the whole file with status 200.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".onnx")
PACED_CHUNK_BYTES = 64 * 1024
POLL_S = 0.02
"""How often the server loop looks for ``shutdown`` (the default half second slows every test)."""


@dataclass
class Revision:
    sha: str
    files: dict[str, bytes]


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    path: str
    """Unquoted, without the query."""
    range: str | None
    """The Range header, e.g. "bytes=100-"."""


@dataclass
class Faults:
    drop_after: dict[str, int] = field(default_factory=dict)
    stall_after: dict[str, int] = field(default_factory=dict)
    damage: set[str] = field(default_factory=set)
    ignore_range: bool = False
    status: dict[str, int] = field(default_factory=dict)
    """Path (unquoted, no query) → HTTP status answered instead."""
    rate_bytes_per_s: float = 0.0
    """Send file bodies at about this rate (0: as fast as possible), like a real connection."""


class StandInHub:
    """Use as a context manager; ``endpoint`` is its base URL."""

    def __init__(self) -> None:
        self.repos: dict[str, dict[str, Revision]] = {}
        self.prs: dict[str, list[dict]] = {}
        self.requests: list[Seen] = []
        self.faults = Faults()
        self.release = threading.Event()
        self.stalled = threading.Event()
        self._commits = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.hub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(POLL_S,), name="stand-in-hub",
                                        daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StandInHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def add_repo(self, ref: str, files: dict[str, bytes], revision: str = "main") -> str:
        """Serve ``files`` as ``revision`` of ``ref``; returns its commit sha."""
        self._commits += 1
        sha = hashlib.sha1(f"{ref}@{revision}#{self._commits}".encode()).hexdigest()
        self.repos.setdefault(ref, {})[revision] = Revision(sha, dict(files))
        return sha

    def add_conversion_pr(self, ref: str, num: int, files: dict[str, bytes], status: str = "open") -> str:
        """A pull request of the safetensors conversion bot whose revision holds ``files``."""
        self.prs.setdefault(ref, []).append({"num": num, "isPullRequest": True, "status": status,
                                             "author": {"name": "SFconvertbot"}})
        return self.add_repo(ref, files, f"refs/pr/{num}")

    def fetched(self) -> list[str]:
        """Names of the files whose bytes were asked for, in order."""
        return [s.path.rsplit("/", 1)[1] for s in self.requests if "/resolve/" in s.path or "/cdn/" in s.path]

    def ranges(self, name: str) -> list[str | None]:
        """The Range headers of the requests for the bytes of ``name``."""
        return [s.range for s in self.requests if s.path.startswith("/cdn/") and s.path.endswith("/" + name)]

    def take_fault(self, faults: dict[str, int] | set[str], name: str) -> bool | int | None:
        with self.lock:
            if isinstance(faults, set):
                if name in faults:
                    faults.discard(name)
                    return True
                return None
            return faults.pop(name, None)


def folder_files(folder: Path) -> dict[str, bytes]:
    """The files of a checkpoint folder, by name."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def hub(self) -> StandInHub:
        return self.server.hub  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        with self.hub.lock:
            self.hub.requests.append(Seen(path, self.headers.get("Range")))
        with contextlib.suppress(OSError):  # the client went away (a cancel, a timeout)
            self._route(path, url.query)

    def _route(self, path: str, query: str) -> None:
        status = self.hub.faults.status.get(path)
        if status is not None:
            return self._send(status, b'{"error": "stand-in"}', "application/json")
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 5:
            ref = "/".join(parts[2:4])
            if parts[4] == "revision":
                return self._revision(ref, "/".join(parts[5:]))
            if parts[4] == "discussions":
                return self._json({"discussions": self.hub.prs.get(ref, [])})
        if len(parts) >= 5 and parts[2] == "resolve":
            return self._resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]))
        if parts[0] == "cdn" and len(parts) >= 5:
            return self._serve_file(parts[-1], self._find("/".join(parts[1:3]), parts[3], parts[-1]))
        return self._send(404, b"{}", "application/json")

    def _revision(self, ref: str, revision: str) -> None:
        rev = self.hub.repos.get(ref, {}).get(revision)
        if rev is None:
            return self._send(401 if ref not in self.hub.repos else 404, b"{}", "application/json")
        siblings = []
        for name, data in rev.files.items():
            entry: dict = {"rfilename": name, "size": len(data)}
            if name.endswith(LFS_SUFFIXES):
                entry["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            siblings.append(entry)
        self._json({"id": ref, "sha": rev.sha, "siblings": siblings})

    def _find(self, ref: str, sha: str, name: str) -> bytes | None:
        for rev in self.hub.repos.get(ref, {}).values():
            if rev.sha == sha:
                return rev.files.get(name)
        return None

    def _resolve(self, ref: str, sha: str, name: str) -> None:
        data = self._find(ref, sha, name)
        if data is not None and name.endswith(LFS_SUFFIXES):
            self.send_response(302)
            self.send_header("Location", f"/cdn/{ref}/{sha}/{name}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._serve_file(name, data)

    def _serve_file(self, name: str, data: bytes | None) -> None:
        if data is None:
            return self._send(404, b"Entry not found", "text/plain")
        if self.hub.take_fault(self.hub.faults.damage, name):
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
        start = 0
        asked = self.headers.get("Range")
        if asked and not self.hub.faults.ignore_range:
            start = int(asked.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._write_body(name, body)

    def _write_body(self, name: str, body: bytes) -> None:
        drop = self.hub.take_fault(self.hub.faults.drop_after, name)
        stall = self.hub.take_fault(self.hub.faults.stall_after, name)
        cut = drop if drop is not None else stall
        self._paced(body if cut is None else body[:cut])
        if stall is not None:
            self.hub.stalled.set()
            self.hub.release.wait()
            self._paced(body[stall:])
        elif drop is not None:
            self.close_connection = True

    def _paced(self, data: bytes) -> None:
        """Write ``data``, at ``faults.rate_bytes_per_s`` when it is set."""
        rate = self.hub.faults.rate_bytes_per_s
        step = PACED_CHUNK_BYTES if rate else max(1, len(data))
        start = time.monotonic()
        for sent in range(0, len(data), step):
            self.wfile.write(data[sent:sent + step])
            if rate:
                time.sleep(max(0.0, start + (sent + step) / rate - time.monotonic()))
        self.wfile.flush()

    def _json(self, data: object) -> None:
        self._send(200, json.dumps(data).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
