"""A real browser for the console tests: Debian's headless Chromium, driven through the
DevTools protocol over a pipe (--remote-debugging-pipe: JSON messages ending in NUL on file
descriptors 3 and 4), so no websocket library is needed.

    with Browser(profile_dir) as browser:
        tab = browser.open("http://127.0.0.1:PORT/")
        tab.wait_for("document.querySelector('#jobs tbody tr') !== null")
        text = tab.eval("document.body.innerText")
        tab.screenshot("jobs.png")

Browser() raises FileNotFoundError when no chromium is installed (the suite then skips through
suite_skip, which fails under CI).
"""

import base64
import json
import os
import select
import shutil
import subprocess
import time


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError("no chromium on PATH (Debian package: chromium)")


class Tab:
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session

    def call(self, method, **params):
        return self.browser.call(method, session=self.session, **params)

    def eval(self, expression):
        """The value of a JavaScript expression (awaited when it is a promise)."""
        r = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                      returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression!r} threw: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout=30, what=None):
        """Polls until the expression is truthy (an expression that throws counts as false);
        returns its value."""
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            try:
                value = self.eval(expression)
            except RuntimeError:  # e.g. the page is not loaded yet: its elements are missing
                value = None
            if value:
                return value
            time.sleep(0.2)
        raise TimeoutError(f"timed out waiting for {what or expression}; page text:\n"
                           f"{self.eval('document.body.innerText')}")

    def navigate(self, url):
        self.call("Page.navigate", url=url)

    def set_viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path


class Browser:
    def __init__(self, profile_dir, width=1280, height=900):
        self.profile_dir = profile_dir
        self.size = (width, height)
        self.proc = None
        self.next_id = 0
        self.buffer = b""

    def __enter__(self):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        args = [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking",
                "--hide-scrollbars", f"--window-size={self.size[0]},{self.size[1]}",
                f"--user-data-dir={self.profile_dir}", "--remote-debugging-pipe",
                "about:blank"]

        def child_fds():  # Chromium reads commands on fd 3 and writes answers on fd 4
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)  # not 3 or 4 now
            os.dup2(read_end, 3)  # dup2 leaves the copies inheritable
            os.dup2(write_end, 4)

        os.makedirs(self.profile_dir, exist_ok=True)
        self.log = open(os.path.join(self.profile_dir, "chromium.log"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, preexec_fn=child_fds,
                                     close_fds=False,  # or fds 3 and 4 close after child_fds
                                     start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait(timeout=30)
            self.proc = None
            os.close(self.to_chrome)
            os.close(self.from_chrome)
            self.log.close()

    def _read_message(self, timeout):
        deadline = time.time() + timeout
        while b"\0" not in self.buffer:
            if time.time() > deadline:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self.from_chrome], [], [], 1.0)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed its DevTools pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=None, timeout=60, **params):
        self.next_id += 1
        request = {"id": self.next_id, "method": method, "params": params}
        if session:
            request["sessionId"] = session
        os.write(self.to_chrome, json.dumps(request).encode() + b"\0")
        while True:
            message = self._read_message(timeout)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            # events (no id) are dropped: the tests poll the page instead

    def open(self, url):
        """A new tab at `url`; returns once it is attached (the page may still be loading)."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tab = Tab(self, session)
        tab.call("Page.enable")
        tab.call("Runtime.enable")
        tab.set_viewport(*self.size)
        tab.navigate(url)
        return tab
