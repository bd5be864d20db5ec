"""A minimal headless-Chromium driver for tests: the DevTools protocol over a pipe, standard library only.

Chromium started with ``--remote-debugging-pipe`` reads protocol commands on file descriptor 3 and
writes replies and events on 4, each message a JSON object followed by a NUL byte. That needs no
driver binary, no Python package and no network port, which is why the review page test uses it
rather than Selenium with chromedriver.

    with Browser() as b:
        b.open("file:///tmp/page.html")
        b.eval("document.title")
        b.click_element("mark.r")
        b.screenshot("page.png")

``python tests/browser.py PAGE.html OUT.png [WIDTH HEIGHT]`` saves a screenshot of a page.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars")


def chromium_path() -> Optional[str]:
    """The Chromium binary (``MEDINS_CHROMIUM`` or Debian's ``chromium``), or None when there is none."""
    for name in (os.environ.get("MEDINS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class BrowserError(RuntimeError):
    """Chromium failed to start, answered with an error, or did not answer in time."""


class Browser:
    """One headless Chromium process with one page (a DevTools session on one target)."""

    def __init__(self, width: int = 1400, height: int = 900, timeout: float = 60.0):
        exe = chromium_path()
        if exe is None:
            raise BrowserError("no Chromium binary found (apt-get install chromium)")
        self.timeout = timeout
        self.events: list[dict] = []
        self._next = 0
        self._buf = b""
        self._profile = tempfile.mkdtemp(prefix="medins-chromium-")
        cmd_r, cmd_w = os.pipe()     # we write commands, Chromium reads them on fd 3
        out_r, out_w = os.pipe()     # Chromium writes on fd 4, we read
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(out_w, fcntl.F_DUPFD, 10)

        def child_fds() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [exe, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self._profile}",
                f"--window-size={width},{height}", "about:blank"]
        self._log = open(Path(self._profile) / "chromium.log", "wb")   # a file: a full pipe would block Chromium
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     preexec_fn=child_fds, close_fds=False)
        for fd in (cmd_r, out_w, hi_r, hi_w):
            os.close(fd)
        self._w, self._r = cmd_w, out_r
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                      mobile=False, session=True)
            for domain in ("Page", "Runtime", "Network"):
                self.call(f"{domain}.enable", session=True)
        except Exception:
            self.close()
            raise

    # ------------------------------------------------------------ protocol
    def call(self, method: str, session: bool = False, **params: Any) -> dict:
        """Send one command and wait for its reply (events that arrive meanwhile go to ``self.events``)."""
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def _read(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise BrowserError(f"Chromium did not answer within {self.timeout:.0f}s")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                err = (Path(self._profile) / "chromium.log").read_bytes().decode(errors="replace")[-2000:]
                raise BrowserError(f"Chromium closed the pipe (exit {self.proc.poll()}): {err}")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def wait_event(self, method: str) -> dict:
        """The first event named ``method`` (one already received counts), consumed."""
        while True:
            for k, ev in enumerate(self.events):
                if ev["method"] == method:
                    return self.events.pop(k)
            ev = self._read()
            if "method" in ev:
                self.events.append(ev)

    # ------------------------------------------------------------ page
    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.events.clear()
        nav = self.call("Page.navigate", url=url, session=True)
        if nav.get("errorText"):
            raise BrowserError(f"cannot open {url}: {nav['errorText']}")
        self.wait_event("Page.loadEventFired")

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises are awaited); a thrown error raises."""
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True,
                        session=True)
        if "exceptionDetails" in res:
            raise BrowserError(f"JavaScript error: {res['exceptionDetails']}")
        return res["result"].get("value")

    def click_element(self, selector: str) -> None:
        """Scroll the first element matching ``selector`` into view and click its centre with the mouse."""
        # measured after fonts and two frames, and again until the point hits the element: on a loaded
        # machine the layout can still move after the load event, and a click would land on a neighbour
        box = self.eval(f"""(async () => {{ const e = document.querySelector({json.dumps(selector)});
            if (!e) return null;
            await document.fonts.ready;
            let x = 0, y = 0;
            for (let k = 0; k < 10; k++) {{
              e.scrollIntoView({{block: "center"}});
              await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
              const r = e.getClientRects()[0]; x = r.left + r.width / 2; y = r.top + r.height / 2;
              const hit = document.elementFromPoint(x, y);
              if (hit && (hit === e || e.contains(hit))) break;
            }}
            return [x, y]; }})()""")
        if box is None:
            raise BrowserError(f"nothing matches {selector!r}")
        self.click(*box)

    def click(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y, session=True)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1, session=True)

    def screenshot(self, path: "str | os.PathLike[str]") -> Path:
        data = self.call("Page.captureScreenshot", format="png", session=True)["data"]
        out = Path(path)
        out.write_bytes(base64.b64decode(data))
        return out

    def requests(self) -> list[str]:
        """URLs of every request the page made since it was opened."""
        return [ev["params"]["request"]["url"] for ev in self.events if ev["method"] == "Network.requestWillBeSent"]

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        try:
            os.write(self._w, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


if __name__ == "__main__":
    page, png = Path(sys.argv[1]).resolve(), sys.argv[2]
    w, h = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1400, 900)
    with Browser(w, h) as b:
        b.open(page.as_uri())
        b.screenshot(png)
    print(png)
