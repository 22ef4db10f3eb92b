"""The HTML report opened in a real browser (headless Chromium): nothing fetched, no console error, it paints."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading

from PIL import Image

from failback.runner.writers import writer_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class ConnectionRecorder:
    """A proxy that never proxies: it records every connection the browser tries, which must be none."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(2)
            try:
                self.requests.append(connection.recv(4096).split(b"\r\n")[0].decode("latin-1"))
            except OSError:
                self.requests.append("(connection without a request)")
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.listener.close()


# Chromium's own services still call home in headless mode whatever the flags; they are the browser's, not the page's.
BROWSER_SERVICE_HOSTS = ("update.googleapis.com", "accounts.google.com", "clients2.google.com", "optimizationguide-pa.googleapis.com")


def _is_browser_service(request_line: str) -> bool:
    target = request_line.split(" ")[1] if " " in request_line else ""
    host = target.split("://")[-1].split("/")[0].split(":")[0]
    return host in BROWSER_SERVICE_HOSTS


def test_html_report_renders_offline_without_errors(fixed_report, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(writer_for("html")(fixed_report, "0" * 64))
    screenshot = tmp_path / "report.png"
    recorder = ConnectionRecorder()
    try:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             # the browser's own services (network time, updates, sign-in) would otherwise show up as traffic
             "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,AutofillServerCommunication",
             "--disable-default-apps", "--disable-domain-reliability", "--no-pings", "--disable-breakpad",
             "--disable-client-side-phishing-detection", "--disable-component-extensions-with-background-pages",
             f"--user-data-dir={tmp_path / 'profile'}", f"--proxy-server=http://127.0.0.1:{recorder.port}",
             "--proxy-bypass-list=<-loopback>", "--enable-logging=stderr", "--v=0", "--window-size=1200,1600",
             f"--screenshot={screenshot}", page.as_uri()],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        recorder.close()
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Refused to" in line or "Uncaught" in line]
    assert console == [], console
    from_page = [request for request in recorder.requests if not _is_browser_service(request)]
    assert from_page == [], "the report must not fetch anything"

    image = Image.open(screenshot).convert("RGB")
    assert image.size == (1200, 1600)
    # The NO-GO badge and the failing bars paint in the fail colour; a blank or unstyled page has none of it.
    fail_red = (0xC6, 0x28, 0x28)
    red_pixels = dict((colour, count) for count, colour in image.getcolors(image.width * image.height)).get(fail_red, 0)
    assert red_pixels > 2000, red_pixels
