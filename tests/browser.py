"""Chromium fixtures for the browser-side verifier (``nodes/explorer/static/js``).

One headless Chromium per test module (Debian's ``/usr/bin/chromium``, or the binary
named by ``PROVLEDGER_CHROMIUM``), driven by Playwright for Python, on a blank page
served with the verifier's static files from a threaded HTTP server on 127.0.0.1 (ES
modules and WebCrypto need http from localhost, not file://). When Playwright or
Chromium is missing, the tests that use these fixtures skip, saying why.

``verifier_page`` fails the test that caused any console error, page error, or request
to anything but the static server (the verifier loads no third-party code).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nodes.explorer import STATIC_DIR

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BLANK_PAGE = "/__test__/blank.html"
_BLANK_HTML = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>verifier tests</title>
<link rel="icon" href="data:,">
<script type="module">
import * as verifier from "/js/index.js";
window.verifier = verifier;
window.verifierReady = true;
</script></head><body></body></html>
"""


def chromium_path() -> str | None:
    """The Chromium binary to drive, if one is installed."""
    candidates = _candidates()
    for candidate in candidates:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    return None


def _candidates() -> list[str]:
    named = os.environ.get("PROVLEDGER_CHROMIUM")
    return [named] if named else ["/usr/bin/chromium", "chromium", "chromium-browser"]


class _StaticHandler(SimpleHTTPRequestHandler):
    """Serves the static folder, plus the blank test page; logs nothing."""

    extensions_map = {  # noqa: RUF012 (the base class declares it as a plain dict)
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".html": "text/html; charset=utf-8",
    }

    def do_GET(self) -> None:
        if self.path == BLANK_PAGE:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(_BLANK_HTML)))
            self.end_headers()
            self.wfile.write(_BLANK_HTML)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def static_server() -> Iterator[str]:
    """Base URL of a threaded HTTP server on 127.0.0.1 serving the explorer's static files."""
    handler = functools.partial(_StaticHandler, directory=str(STATIC_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the module; skips when Playwright or Chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.skip(f"playwright is not importable: {exc}")
    path = chromium_path()
    if path is None:
        looked = ", ".join(_candidates())
        pytest.skip(f"no Chromium found (looked for {looked}; PROVLEDGER_CHROMIUM names one)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class VerifierPage:
    """A page with the verifier loaded as ``window.verifier``, and what went wrong on it."""

    page: Any
    base: str
    problems: list[str] = field(default_factory=list)

    def run(self, script: str, arg: Any = None) -> Any:
        """Evaluate ``script`` (an async function of ``(verifier, arg)``) in the page."""
        return self.page.evaluate(f"async (arg) => ({script})(window.verifier, arg)", arg)


@pytest.fixture(scope="module")
def _module_page(chromium: Any, static_server: str) -> Iterator[VerifierPage]:
    context = chromium.new_context()
    page = context.new_page()
    vpage = VerifierPage(page, static_server)

    def console(message: Any) -> None:
        if message.type == "error":
            vpage.problems.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: vpage.problems.append(f"page error: {e}"))

    def outside(request: Any) -> None:
        if not request.url.startswith(static_server + "/") and not request.url.startswith("data:"):
            vpage.problems.append(f"request outside the static server: {request.url}")

    page.on("request", outside)
    page.on("requestfailed", lambda r: vpage.problems.append(f"request failed: {r.url}"))
    page.goto(static_server + BLANK_PAGE)
    page.wait_for_function("window.verifierReady === true", timeout=60_000)
    try:
        yield vpage
    finally:
        context.close()


@pytest.fixture
def verifier_page(_module_page: VerifierPage) -> Iterator[VerifierPage]:
    """The module's page, failing the test on any console error, page error or stray
    request that happened while it ran."""
    _module_page.problems.clear()
    yield _module_page
    problems = list(_module_page.problems)
    _module_page.problems.clear()
    assert problems == [], problems
