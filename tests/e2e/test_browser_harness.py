"""The browser harness itself works: Debian's chromium under Playwright, on a hand-made site.

Kept apart from the report's own browser tests so that a failure here says "the harness (or the
browser install) is broken" rather than "the report is broken".
"""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.browser import artifacts_dir, browser_page, serve_directory

pytestmark = pytest.mark.e2e

# Text that would run as script if a page forgot to escape it; the site writes it escaped.
PAYLOAD = "<script>window.pwned=1</script>"
ESCAPED_PAYLOAD = "&lt;script&gt;window.pwned=1&lt;/script&gt;"


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG, built by hand so the test needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))  # filter byte + pixels
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def write_site(root: Path) -> Path:
    root.mkdir()
    (root / "dot.png").write_bytes(tiny_png())
    (root / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>home</title></head><body>"
        "<h1>Home</h1><img id='dot' src='dot.png' alt='dot'>"
        "<a id='next' href='page2.html'>next</a>"
        "<script>window.ok = 1;</script></body></html>",
        encoding="utf-8",
    )
    (root / "page2.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>page 2</title></head><body>"
        f"<p id='payload'>{ESCAPED_PAYLOAD}</p></body></html>",
        encoding="utf-8",
    )
    return root


def broken_images(page: Page) -> list[str]:
    """The ``src`` of every image that did not decode (``naturalWidth`` 0) on the current page."""
    result: list[str] = page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    return result


def test_navigates_a_static_site_and_keeps_escaped_text_inert(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    with serve_directory(site) as base, browser_page(artifacts_dir("browser-harness")) as browser:
        page = browser.page
        page.goto(base)
        assert page.title() == "home"
        assert page.evaluate("window.ok") == 1
        assert page.eval_on_selector_all("img", "imgs => imgs.length") == 1
        assert broken_images(page) == []

        page.click("#next")
        page.wait_for_url(f"{base}page2.html")
        assert page.text_content("#payload") == PAYLOAD  # shown as text...
        assert page.evaluate("typeof window.pwned") == "undefined"  # ...never run
        shot = browser.screenshot("page2")

        assert shot.is_file() and shot.stat().st_size > 0
        assert browser.dialogs == []
        assert browser.page_errors == []
        assert browser.failed_requests == []
        assert browser.blocked_requests == []
        assert browser.console_errors == []


def test_external_requests_are_blocked_and_recorded_without_hanging(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        "<!doctype html><html><body><img id='remote' src='https://example.com/x.png'>"
        "<script>alert('injected')</script></body></html>",
        encoding="utf-8",
    )
    with serve_directory(site) as base, browser_page(artifacts_dir("browser-harness")) as browser:
        started = time.monotonic()
        browser.page.goto(base, wait_until="load")  # "load" waits for the image to end
        assert time.monotonic() - started < 5, "a blocked request must fail fast, not time out"

        assert browser.blocked_requests == ["https://example.com/x.png"]
        # Chromium words it "net::ERR_BLOCKED_BY_CLIENT.Inspector" (blocked through DevTools).
        assert [f.url for f in browser.failed_requests] == ["https://example.com/x.png"]
        assert browser.failed_requests[0].failure.startswith("net::ERR_BLOCKED_BY_CLIENT")
        assert broken_images(browser.page) == ["https://example.com/x.png"]
        # The alert was recorded and dismissed, so the page did not block on it.
        assert [(d.type, d.message) for d in browser.dialogs] == [("alert", "injected")]
