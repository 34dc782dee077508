"""A headless chromium driven through the DevTools protocol over a pipe (--remote-debugging-pipe:
the browser reads commands on its fd 3 and writes answers and events on its fd 4, each message a
JSON object ended by a NUL byte): the standard library alone, no port opened, no download.

    with Browser(profile) as browser:
        page = browser.open("http://127.0.0.1:PORT/")
        page.evaluate("document.title")

Tests skip with a printed reason where Debian's chromium is not installed (`CHROMIUM`).
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = "chromium not installed (apt-get install chromium)"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
         "--remote-debugging-pipe"]


class Browser:
    """One chromium process; `call` sends a command and waits for its answer (events are dropped)."""

    def __init__(self, profile: Path, *, size: tuple[int, int] = (1200, 1000)):
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()
        # above 10, so that dup2 onto 3 and 4 in the child cannot overwrite one with the other
        high_in, high_out = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser))

        def pipes_on_3_and_4() -> None:
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=pipes_on_3_and_4, pass_fds=(3, 4))
        for fd in (to_browser, from_browser, high_in, high_out):
            os.close(fd)
        self._answers: dict[int, queue.Queue] = {}
        self._next = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self._read, 65536)
            if not chunk:
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                waiting = self._answers.get(message.get("id"))
                if waiting is not None:
                    waiting.put(message)

    def call(self, method: str, session: str | None = None, timeout: float = 30.0, **params: Any) -> dict:
        with self._lock:
            self._next += 1
            number = self._next
            self._answers[number] = queue.Queue()
        message = {"id": number, "method": method, "params": params, **({"sessionId": session} if session else {})}
        os.write(self._write, json.dumps(message).encode() + b"\0")
        try:
            answer = self._answers[number].get(timeout=timeout)
        finally:
            del self._answers[number]
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def open(self, url: str) -> Page:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        page.navigate(url)
        return page

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, OSError, queue.Empty):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str):
        self.browser, self.session = browser, session

    def navigate(self, url: str) -> None:
        self.browser.call("Page.navigate", self.session, url=url)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (a promise is awaited)."""
        result = self.browser.call("Runtime.evaluate", self.session, expression=expression, returnByValue=True,
                                   awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0, every: float = 0.05) -> Any:
        """Evaluate `expression` until it is truthy; its value, or AssertionError after `timeout`.
        An expression that throws counts as false (the page may still be loading: no body yet)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value, problem = self.evaluate(expression), None
            except RuntimeError as e:
                value, problem = None, e
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout} s: {expression} ({problem or value!r})")
            time.sleep(every)
