"""The watch page's server (layer 5): the standard library's ThreadingHTTPServer, read-only.

It answers GET (and HEAD) for a fixed set of paths and nothing else:

    /                      the page (static/index.html)
    /static/watch.js       its script and style sheet, shipped in the package
    /static/watch.css
    /api/state             the run's or sweep's state (nnctl.watch.state), as JSON
    /api/frame?epoch=N     a finished run's model at checkpoint N (the replay)
    /files/NAME            a run directory's own file, NAME one of the run inventory
                           (runs.RUN_FILES: summary.json, metrics.csv, loss.png, ...), a regular
                           file (never a link) directly in the folder

Every other path is 404, whatever its spelling (`..`, an absolute path, %2e%2e, a link in the
run directory pointing out of it): a path is looked up in this table as it arrives, never joined
to a folder. No directory listing, no writes (other methods: 405). Bound to 127.0.0.1 by
default, it also answers only requests whose Host header names the loopback (a page of another
site cannot reach it through a DNS name rebound to 127.0.0.1).
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import stat
import threading
import time
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from nnctl.console import in_words
from nnctl.errors import NnctlError
from nnctl.files import os_reason
from nnctl.runs import RUN_FILES
from nnctl.sweeps.results import SWEEP_YAML
from nnctl.watch.state import Publisher, RunSource, check_own_files, sweep_state

STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/static/watch.js": ("watch.js", "text/javascript; charset=utf-8"),
          "/static/watch.css": ("watch.css", "text/css; charset=utf-8")}
FILE_TYPES = {".json": "application/json", ".csv": "text/csv; charset=utf-8", ".yaml": "text/plain; charset=utf-8",
              ".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif", ".pdf": "application/pdf",
              ".npz": "application/octet-stream"}
LOOPBACK = ("127.0.0.1", "localhost", "::1")
POLL_SECONDS = 1.0  # how often the page asks for the state while the run is alive
MAX_FILE_BYTES = 200_000_000


def static_file(name: str) -> bytes:
    """A file of the page, from the package (an installed wheel holds them as package data)."""
    return resources.files("nnctl.watch").joinpath("static", name).read_bytes()


class WatchServer(http.server.ThreadingHTTPServer):
    """Serves one run directory or sweep folder, once `follow` names it (until then the page
    says it waits), until `shutdown`."""

    daemon_threads = True  # a page left open does not keep the process alive

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, poll: float = POLL_SECONDS):
        if not host.strip():
            raise NnctlError("--host: empty; give 127.0.0.1 (this machine alone, the default) or an address of "
                             "this machine to serve the page on a network")
        self.folder: Path | None = None
        self.sweep, self.source, self.poll = False, None, poll
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET  # --host ::1
        try:
            super().__init__((host, port), Handler)
        except OSError as e:
            raise NnctlError(f"--host {host} --port {port}: cannot listen there ({os_reason(e)})") from None
        except (OverflowError, ValueError):
            raise NnctlError(f"--port {port}: must be between 0 (any free port) and 65535") from None
        self.loopback = host in LOOPBACK
        # said beside the address: who else can read the run
        self.exposure = None if self.loopback else (
            f"note: --host {host}: any machine that can reach this one on port {self.server_address[1]} can read "
            "the run (read-only)")

    def follow(self, folder: Path) -> WatchServer:
        """Serve `folder`: a run directory (live or finished) or a sweep folder (its sweep.yaml)."""
        self.folder = Path(folder)
        self.sweep = (self.folder / SWEEP_YAML).is_file()
        self.source = None if self.sweep else RunSource(self.folder)
        return self

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def start(self, poll_interval: float = 0.5) -> threading.Thread:
        """Serve in a background thread (`nnctl train --watch`, tests); `shutdown` ends it within
        `poll_interval` seconds (each wake-up takes the interpreter from training a moment)."""
        thread = threading.Thread(target=self.serve_forever, args=(poll_interval,), name="nnctl-watch", daemon=True)
        thread.start()
        return thread

    def state(self) -> bytes:
        if self.folder is None:
            body = json.dumps({"mode": "run", "status": "waiting", "live": True}).encode()
        else:
            check_own_files(self.folder, sweep=self.sweep)  # a link in it could show what is outside
            body = sweep_state(self.folder) if self.sweep else self.source.state()
        return body[:-1] + f', "poll": {self.poll}}}'.encode()


def open_folder(folder: Path | str, host: str = "127.0.0.1", port: int = 0) -> WatchServer:
    """`nnctl watch FOLDER`: a server of the run directory or sweep folder, listening (not yet
    serving: `serve_forever` or `start`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NnctlError(f"{folder}: not a run directory or sweep folder (no such folder)")
    if not (folder / "config.yaml").is_file() and not (folder / SWEEP_YAML).is_file():
        raise NnctlError(f"{folder}: not a run directory or sweep folder (no config.yaml or {SWEEP_YAML}); "
                         "give the folder `nnctl train` or `nnctl sweep` wrote")
    return WatchServer(host, port).follow(folder)


class LiveWatch:
    """`nnctl train --watch`: the server, listening before training starts (a busy port is
    refused before any folder is made), then following the run directory with a `Publisher`
    as training's on_epoch (`workflow.train_and_draw`'s `watch`)."""

    def __init__(self, host: str, port: int, say):
        self.server, self.say = WatchServer(host, port), say
        self.publisher: Publisher | None = None

    def __call__(self, loop, run_dir: Path) -> Publisher:
        self.publisher = Publisher(loop, run_dir)
        self.server.follow(run_dir).start()
        self.say(f"watch the run at {self.server.url}")
        if self.server.exposure:
            self.say(self.server.exposure)
        return self.publisher

    def serve_until_interrupted(self, status: str) -> None:
        if self.publisher is not None and self.publisher.error is not None:
            self.say(f"warning: the page was not updated after a point ({self.publisher.error})")
        self.say(f"training {in_words(status)}; still serving the run at {self.server.url} (Ctrl-C to stop)")
        serve_until_interrupted(self.server, started=True)


def serve_until_interrupted(server: WatchServer, *, started: bool = False) -> None:
    """Serve (or, started, wait while the server's thread serves) until Ctrl-C or SIGTERM; then close."""
    try:
        while started:  # the server's own thread serves; Ctrl-C lands here, in the main thread
            time.sleep(1.0)
        if not started:
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if started:
            server.shutdown()
        server.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    server: WatchServer
    server_version = "nnctl-watch"
    sys_version = ""

    def do_GET(self) -> None:
        self.answer(body=True)

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def answer(self, *, body: bool) -> None:
        if self.server.loopback and urlsplit("//" + self.headers.get("Host", "")).hostname not in LOOPBACK:
            return self.send(404, b"not found\n", "text/plain; charset=utf-8", body)
        url = urlsplit(self.path)
        try:
            found = self.route(url.path, url.query)
        except NnctlError as e:  # a damaged file in the run: the page shows the line
            return self.send(500, json.dumps({"error": str(e)}).encode(), "application/json", body)
        if found is None:
            return self.send(404, b"not found\n", "text/plain; charset=utf-8", body)
        self.send(200, *found, body)

    def route(self, path: str, query: str) -> tuple[bytes, str] | None:
        if path in STATIC:
            name, kind = STATIC[path]
            return static_file(name), kind
        if path == "/api/state":
            return self.server.state(), "application/json"
        if path == "/api/frame" and self.server.source is not None:
            epoch = parse_qs(query).get("epoch", [""])[0]
            check_own_files(self.server.folder, sweep=False)
            frame = self.server.source.frame(int(epoch)) if epoch.isdecimal() and len(epoch) < 10 else None
            return None if frame is None else (frame, "application/json")
        if path.startswith("/files/") and not self.server.sweep:
            return self.run_file(path[len("/files/"):])
        return None

    def run_file(self, name: str) -> tuple[bytes, str] | None:
        """A file of the run's inventory, as named (no decoding, no joining of a path)."""
        if name not in RUN_FILES:
            return None
        path = self.server.folder / name
        try:
            info = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        return path.read_bytes(), FILE_TYPES.get(Path(name).suffix, "application/octet-stream")

    def send(self, code: int, content: bytes, kind: str, body: bool) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        # the page loads nothing from elsewhere: no CDN, no network
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
        self.end_headers()
        if body:
            self.wfile.write(content)

    def do_POST(self) -> None:
        self.send(405, b"read-only\n", "text/plain; charset=utf-8", True)

    do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, format: str, *args) -> None:  # noqa: A002  the request log would drown the progress
        pass
