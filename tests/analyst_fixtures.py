"""Helpers for the analyst-facing tests: a headless Debian Chromium driven over the
DevTools protocol, and a static file server on a free localhost port.

Chromium is started by the test itself (`/usr/bin/chromium`), talks DevTools over
a pair of pipes (`--remote-debugging-pipe`: fd 3 in, fd 4 out, one JSON message
per NUL-terminated chunk), so no browser download, websocket client or open
debugging port is needed.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
]


def require_chromium() -> str:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


class CdpError(RuntimeError):
    pass


class Chromium:
    """One headless browser and one page, driven through DevTools over pipes."""

    def __init__(self, user_data_dir: Path, *, width: int = 1280, height: int = 900):
        require_chromium()
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_pipes() -> None:  # in the child: chromium expects fd 3 (commands) and fd 4 (replies)
            a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={user_data_dir}",
                "--remote-debugging-pipe",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # fds 3/4 are made in preexec_fn; Python's own fds are close-on-exec anyway
            preexec_fn=wire_pipes,
            close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "DOM", "CSS"):
            self.send(f"{domain}.enable", session=True)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    # -- protocol ---------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise CdpError("timed out waiting for Chromium")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise CdpError(f"Chromium closed the DevTools pipe (exit code {self.proc.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, *, session: bool = False, timeout: float = 30.0, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    # -- conveniences -----------------------------------------------------------------------
    def evaluate(self, expression: str, timeout: float = 30.0):
        result = self.send(
            "Runtime.evaluate",
            session=True,
            timeout=timeout,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise CdpError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str, timeout: float = 30.0) -> None:
        self.send("Page.navigate", session=True, url=url)
        self.wait_for("document.readyState === 'complete'", timeout=timeout)

    def wait_for(self, condition: str, timeout: float = 30.0, interval: float = 0.1):
        """Poll a JS expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(f"(() => {{ try {{ return ({condition}); }} catch (e) {{ return null; }} }})()")
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpError(f"timed out waiting for: {condition}")
            time.sleep(interval)

    def fonts_used(self, selector: str) -> dict[str, int]:
        """Font family -> glyph count actually used to paint the first element matching selector."""
        root = self.send("DOM.getDocument", session=True, depth=0)["root"]["nodeId"]
        node = self.send("DOM.querySelector", session=True, nodeId=root, selector=selector)["nodeId"]
        if not node:
            raise CdpError(f"no element matches {selector!r}")
        fonts = self.send("CSS.getPlatformFontsForNode", session=True, nodeId=node)["fonts"]
        return {f["familyName"]: f["glyphCount"] for f in fonts}

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        import base64

        data = self.send("Page.captureScreenshot", session=True, timeout=60, **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def element_box(self, selector: str, *, scroll: bool = True) -> dict:
        """The element's box in page coordinates (scrolled into view first, so it can be clicked)."""
        return self.evaluate(f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return null;
            if ({"true" if scroll else "false"}) el.scrollIntoView({{block: 'center'}});
            const r = el.getBoundingClientRect();
            return {{x: r.x, y: r.y, width: r.width, height: r.height, scrollY: window.scrollY}};
        }})()""") or _raise(CdpError(f"no element matches {selector!r}"))

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) at the middle of the element, as a user makes it."""
        box = self.element_box(selector)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                session=True,
                type=kind,
                x=x,
                y=y,
                button="left",
                clickCount=0 if kind == "mouseMoved" else 1,
            )

    def type_text(self, selector: str, text: str) -> None:
        """Focus the element and type text one character at a time (each fires an `input` event, the way
        a keyboard or a Korean input method does)."""
        self.click(selector)
        # typing continues the text already there, wherever the click put the caret
        self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); "
            "if (el.setSelectionRange) el.setSelectionRange(el.value.length, el.value.length); })()"
        )
        for ch in text:
            self.send("Input.insertText", session=True, text=ch)

    def screenshot_element(self, selector: str, path: Path, *, max_height: float | None = None) -> Path:
        """A PNG of one element of the page, cut at max_height px."""
        import base64

        box = self.element_box(selector, scroll=False)
        top = box["y"] + box["scrollY"]
        height = min(box["height"], max_height) if max_height else box["height"]
        data = self.send(
            "Page.captureScreenshot",
            session=True,
            timeout=60,
            format="png",
            captureBeyondViewport=True,
            clip={"x": box["x"], "y": top, "width": box["width"], "height": height, "scale": 1},
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (CdpError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass


@contextmanager
def chromium(user_data_dir: Path, **kwargs) -> Iterator[Chromium]:
    browser = Chromium(user_data_dir, **kwargs)
    try:
        yield browser
    finally:
        browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep pytest output clean
        pass


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 on a free port, in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _raise(error: Exception):
    raise error
