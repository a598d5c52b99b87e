"""A small Chrome DevTools Protocol client for the browser tests, over Chromium's own pipe.

`--remote-debugging-pipe` makes Chromium read commands from fd 3 and write replies and events to
fd 4, as NUL-separated JSON: no port to open, no websocket library, no driver to download.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
# The host name the browser uses for the app: mapped to 127.0.0.1 by the browser's own resolver,
# so pages are seen as a deployed site would be seen (Swagger UI treats "127.0.0.1" specially).
APP_HOST = "journey.test"
TIMEOUT = 30.0


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, died, or kept us waiting too long."""


class BrowserTimeout(BrowserError):
    """Nothing (or not the awaited message) arrived in time."""


def flags(user_data_dir: Path) -> list[str]:
    """Headless Chromium that can reach nothing but loopback."""
    return [
        "--headless",
        "--no-sandbox",  # tests run as root in CI containers, where the sandbox cannot start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-breakpad",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--metrics-recording-only",
        "--password-store=basic",
        "--mute-audio",
        "--hide-scrollbars",
        # Belt and braces: every host name but ours fails to resolve, and anything addressed by
        # IP goes to a proxy on the discard port, where nothing listens. Loopback bypasses it.
        f"--host-resolver-rules=MAP {APP_HOST} 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        f"--proxy-bypass-list=127.0.0.1;{APP_HOST}",
        f"--user-data-dir={user_data_dir}",
        "--window-size=1280,900",
        "--remote-debugging-pipe",
        "about:blank",
    ]


def _high_fd(fd: int) -> int:
    # Move a pipe end above 4, so mapping it onto 3 or 4 in the child cannot clobber the other.
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Browser:
    """One Chromium process, driven synchronously: send a command, read until its reply."""

    def __init__(self, user_data_dir: Path, log_path: Path) -> None:
        to_chrome_r, self._to_chrome = (_high_fd(fd) for fd in os.pipe())
        self._from_chrome, from_chrome_w = (_high_fd(fd) for fd in os.pipe())
        self._log = open(log_path, "wb")  # closed in close()
        # No preexec_fn (unsafe with the server thread running): bash maps the fds (dash cannot
        # redirect fds above 9).
        script = f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-'
        self.proc = subprocess.Popen(  # noqa: S603  (a fixed binary and our own flags)
            ["/bin/bash", "-c", script, CHROMIUM, *flags(user_data_dir)],
            pass_fds=(to_chrome_r, from_chrome_w), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    # --- the wire -------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserTimeout("timed out waiting for Chromium")
            ready, _, _ = select.select([self._from_chrome], [], [], remaining)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium exited (status {self.proc.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: str | None = None, timeout: float = TIMEOUT,
             **params: Any) -> dict[str, Any]:
        """Send a command and return its result; events read meanwhile are kept in order."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = memoryview(json.dumps(message).encode() + b"\0")
        while data:
            data = data[os.write(self._to_chrome, data):]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, session: str | None = None, *, after: int = 0,
                   timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first event `method` (for `session`) at or after index `after` of self.events."""
        deadline = time.monotonic() + timeout
        index = after
        while True:
            while index < len(self.events):
                event = self.events[index]
                index += 1
                if event["method"] == method and (session is None or event.get("sessionId") == session):
                    return event
            message = self._read_message(deadline)
            if "method" in message:
                self.events.append(message)

    def pump(self, seconds: float) -> None:
        """Read whatever Chromium sends for a while, keeping the events."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                message = self._read_message(deadline)
            except BrowserTimeout:
                return
            if "method" in message:
                self.events.append(message)

    def new_page(self, width: int = 1280, height: int = 900, *, mobile: bool = False) -> Page:
        """A tab in its own browser context: no cookies shared with other pages."""
        context = self.call("Target.createBrowserContext")["browserContextId"]
        target = self.call("Target.createTarget", url="about:blank",
                           browserContextId=context)["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session, context)
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable", session)
        self.call("Page.bringToFront", session)  # a tab in the background gets no focus
        # The viewport exactly, whatever the headless window's own frame takes.
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)
        return page

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", timeout=5)
                except BrowserError:
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        finally:
            os.close(self._to_chrome)
            os.close(self._from_chrome)
            self._log.close()


class Page:
    """One tab: navigate, read the DOM through JavaScript, type, click, take screenshots."""

    def __init__(self, browser: Browser, session: str, context: str) -> None:
        self.browser = browser
        self.session = session
        self.context = context

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.call(method, self.session, **params)

    def mark(self) -> int:
        """A point in the event log; later waits look only at events after it."""
        return len(self.browser.events)

    def wait_for_load(self, after: int) -> None:
        self.browser.wait_event("Page.loadEventFired", self.session, after=after)

    def goto(self, url: str) -> None:
        mark = self.mark()
        result = self._call("Page.navigate", url=url)
        if result.get("errorText"):
            raise BrowserError(f"navigating to {url}: {result['errorText']}")
        self.wait_for_load(mark)

    def js(self, expression: str) -> Any:
        """Evaluate an expression in the page and return its value (JSON-serialisable)."""
        result = self._call("Runtime.evaluate", expression=expression, returnByValue=True,
                            awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = TIMEOUT) -> Any:
        """Poll until the expression is truthy, and return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"still false after {timeout}s: {expression}")
            time.sleep(0.1)

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type into it as a keyboard would (input events, no value poking)."""
        assert self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                       f" if (!e) return false; e.focus(); e.select && e.select(); return true; }})()"), \
            f"no element {selector}"
        self._call("Input.insertText", text=text)

    def click(self, selector: str) -> None:
        """Click the middle of an element with the mouse."""
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                      f" if (!e) return null; e.scrollIntoView({{block: 'center'}});"
                      f" const r = e.getBoundingClientRect();"
                      f" return [r.left + r.width / 2, r.top + r.height / 2]; }})()")
        assert box, f"no element {selector}"
        for kind in ("mousePressed", "mouseReleased"):
            self._call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
                       clickCount=1)

    def submit(self, selector: str) -> None:
        """Click a button or link and wait for the page it leads to."""
        mark = self.mark()
        self.click(selector)
        self.wait_for_load(mark)

    def set_value(self, selector: str, value: str) -> None:
        """Set a select's or a date field's value (typing a date depends on the browser's locale)."""
        assert self.js(f"(() => {{ const s = document.querySelector({json.dumps(selector)});"
                       f" s.value = {json.dumps(value)}; return s.value; }})()") == value

    def text(self, selector: str) -> str:
        """An element's text, whitespace collapsed ('' when there is none)."""
        return self.js(f"document.querySelector({json.dumps(selector)})?.textContent"
                       f".replace(/\\s+/g, ' ').trim() ?? ''")

    def exists(self, selector: str) -> bool:
        return self.js(f"document.querySelector({json.dumps(selector)}) !== null")

    # Keys as the keyboard sends them (Input.dispatchKeyEvent): key, code, Windows key code, text.
    KEYS = {"Tab": ("Tab", "Tab", 9, ""), "Enter": ("Enter", "Enter", 13, "\r"),
            "Space": (" ", "Space", 32, " "), "Escape": ("Escape", "Escape", 27, "")}

    def press(self, name: str, *, shift: bool = False) -> None:
        """Press and release a key (Tab, Enter, Space, Escape), as a keyboard-only user does."""
        key, code, vk, text = self.KEYS[name]
        modifiers = 8 if shift else 0
        self._call("Input.dispatchKeyEvent", type="keyDown" if text else "rawKeyDown", key=key,
                   code=code, windowsVirtualKeyCode=vk, text=text, modifiers=modifiers)
        self._call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code,
                   windowsVirtualKeyCode=vk, modifiers=modifiers)

    def focused(self) -> str:
        """What has the keyboard focus: its id, else its tag and text (for assertions)."""
        return self.js("(() => { const e = document.activeElement; if (!e) return '';"
                       " return e.id || (e.tagName.toLowerCase() + ':' + e.textContent.trim()); })()")

    def tab_to(self, predicate_js: str, limit: int = 80) -> None:
        """Press Tab until the focused element satisfies `predicate_js` (an expression over
        `e`, the focused element); fail if it is not reached within `limit` presses."""
        for _ in range(limit):
            self.press("Tab")
            if self.js(f"(() => {{ const e = document.activeElement;"
                       f" return !!(e && ({predicate_js})); }})()"):
                return
        raise BrowserError(f"Tab never reached an element where {predicate_js}")

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self._call("Page.captureScreenshot", format="png",
                                           captureBeyondViewport=False)["data"])
        path.write_bytes(data)
        return data

    def wait_network_idle(self, after: int, quiet: float = 0.75, timeout: float = TIMEOUT) -> None:
        """Wait until every request since `after` has finished and none started for `quiet` s."""
        deadline = time.monotonic() + timeout
        while True:
            pending: set[str] = set()
            for e in self.browser.events[after:]:
                if e.get("sessionId") != self.session:
                    continue
                if e["method"] == "Network.requestWillBeSent":
                    pending.add(e["params"]["requestId"])
                elif e["method"] in ("Network.loadingFinished", "Network.loadingFailed"):
                    pending.discard(e["params"]["requestId"])
            seen = len(self.browser.events)
            self.browser.pump(quiet)
            if not pending and len(self.browser.events) == seen:
                return
            if time.monotonic() > deadline:
                raise BrowserError(f"requests still running after {timeout}s")

    def requested_urls(self, after: int = 0) -> list[str]:
        """Every URL this tab asked for since `after` (from the DevTools network log)."""
        return [e["params"]["request"]["url"] for e in self.browser.events[after:]
                if e["method"] == "Network.requestWillBeSent" and e.get("sessionId") == self.session]

    def close(self) -> None:
        self.browser.call("Target.disposeBrowserContext", browserContextId=self.context)


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) and os.access("/bin/bash", os.X_OK)
