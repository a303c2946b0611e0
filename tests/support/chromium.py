"""Headless Chromium driven over the DevTools protocol, for tests of the HTML report.

The browser is Debian's ``/usr/bin/chromium``, started by the test with its own
profile directory, no network features and a DevTools port chosen by the browser
(read back from ``DevToolsActivePort``). ``Browser.open(url)`` loads a page and
returns what a test checks: console errors, uncaught exceptions, dialogs opened,
and a way to evaluate expressions and take a screenshot.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.request import urlopen

import websocket

__all__ = ["CHROMIUM", "Browser", "Page"]

CHROMIUM = Path("/usr/bin/chromium")
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
    "--window-size=1200,1600",
]
_TIMEOUT_S = 30.0
_LISTENING = re.compile(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/")


@dataclass
class Page:
    """One loaded page: what happened while loading, and the connection to ask more."""

    ws: websocket.WebSocket
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    _next_id: int = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a DevTools command and return its result, recording events met meanwhile."""
        self._next_id += 1
        self.ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self._event(message)

    def wait_for(self, event: str) -> None:
        """Read events until ``event`` arrives."""
        while True:
            message = json.loads(self.ws.recv())
            self._event(message)
            if message.get("method") == event:
                return

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console_errors.append(" ".join(str(a.get("value")) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.console_errors.append(params["entry"]["text"])
        elif method == "Runtime.exceptionThrown":
            self.exceptions.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message", ""))
            self.call("Page.handleJavaScriptDialog", accept=True)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (DevTools is not bound by CSP)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        """Save a PNG of the whole page."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))


class Browser:
    """A headless Chromium for the duration of a ``with`` block."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._page: Page | None = None
        self._drain: threading.Thread | None = None

    def __enter__(self) -> Self:
        self._process = subprocess.Popen(
            [str(CHROMIUM), *_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._process.stderr is not None
        # Chromium announces its DevTools endpoint on stderr; read (blocking) until it does.
        for line in self._process.stderr:
            match = _LISTENING.search(line)
            if match:
                self._port = int(match[1])
                break
        else:
            raise RuntimeError("chromium exited before opening its DevTools port")
        # Keep draining stderr so the browser never blocks on a full pipe.
        self._drain = threading.Thread(target=self._process.stderr.read, daemon=True)
        self._drain.start()
        return self

    def open(self, url: str) -> Page:
        """Load ``url`` in the browser's tab and return the page once it has loaded."""
        with urlopen(f"http://127.0.0.1:{self._port}/json/list", timeout=_TIMEOUT_S) as answer:
            targets = json.load(answer)
        tab = next(t for t in targets if t.get("type") == "page")
        if self._page is not None:
            self._page.ws.close()
        self._page = page = Page(
            websocket.create_connection(tab["webSocketDebuggerUrl"], timeout=_TIMEOUT_S)
        )
        for domain in ("Page", "Runtime", "Log"):
            page.call(f"{domain}.enable")
        page.call("Page.navigate", url=url)
        page.wait_for("Page.loadEventFired")
        return page

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._page is not None:
            self._page.ws.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._drain is not None:
                self._drain.join(timeout=_TIMEOUT_S)
            if self._process.stderr is not None:
                self._process.stderr.close()
