"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (messages are JSON, each
ended by a NUL byte; the browser reads fd 3 and writes fd 4): enough to load the report from disk, run
script in it, and see every console message, exception and network request. No port, no download."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

TIMEOUT = 60.0


class DevToolsError(RuntimeError):
    pass


class Page:
    """One tab, attached with a flat session: ``call`` a method, ``evaluate`` an expression."""

    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.process = process
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._next = 0
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []

    def _send(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode("utf-8") + b"\0")
        return self._next

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise DevToolsError("no answer from the browser in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise DevToolsError("the browser closed the pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(raw))

    def call(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False) -> Any:
        wanted = self._send(method, params, None if browser else self.session)
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for index, message in enumerate(self.events):
                if message["method"] == event:
                    return self.events.pop(index)
            message = self._receive(deadline)
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression`` in the page (an exception in it fails the test)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def seen(self, *methods: str) -> list[dict[str, Any]]:
        """The events so far of these methods (after draining what the browser already sent)."""
        self.evaluate("1")  # a round trip: every event sent before it has arrived
        return [event for event in self.events if event["method"] in methods]


@contextmanager
def browser(chromium: str, flags: tuple[str, ...], profile: Path) -> Iterator[Page]:
    """A headless Chromium with one blank tab whose Page, Runtime, Log and Network domains are on."""
    to_browser_read, to_browser = os.pipe()
    from_browser, from_browser_write = os.pipe()

    def pipes() -> None:  # in the child: the browser's ends at the descriptors it expects, inheritable
        # copies first, so that neither end is overwritten by the other before it is placed
        reading, writing = os.dup(to_browser_read), os.dup(from_browser_write)
        os.dup2(reading, 3)
        os.dup2(writing, 4)
        os.set_inheritable(3, True)
        os.set_inheritable(4, True)

    process = subprocess.Popen(
        [chromium, *flags, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
        preexec_fn=pipes,
        close_fds=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_browser_read)
    os.close(from_browser_write)
    page = Page(process, to_browser, from_browser)
    try:
        target = page.call("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
        page.session = page.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}, browser=True
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        yield page
    finally:
        with suppress(DevToolsError, OSError):  # already gone: nothing to close
            page.call("Browser.close", browser=True)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(to_browser)
        os.close(from_browser)
