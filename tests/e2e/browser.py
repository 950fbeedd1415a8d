"""Helpers for tests that open the generated report site in a real headless browser.

The browser is the system's chromium (Debian's ``chromium`` package, which ``make test`` installs),
driven by Playwright through ``executable_path``: Playwright never downloads a browser of its own,
so the tests run on machines that reach nothing but the package registries.

Every request that does not go to the loopback interface is aborted and recorded, so a test that
passes proves the site works offline (no CDN scripts, fonts or images), instead of passing only
where the internet happens to be reachable.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Page, Request, Route, WebError, sync_playwright

REPO = Path(__file__).resolve().parents[2]

DESKTOP = (1280, 900)
MOBILE = (390, 844)

# Hosts a page may reach: the test's own server. Everything else is blocked.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in containers, where the setuid/namespace sandbox fails
    "--disable-gpu",  # no display or GPU on CI machines; software rendering is deterministic
    # no update checks, sync, field trials or first-run pages: the browser itself stays off the network
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Belt and braces for the request routing: a request that Playwright's routing cannot see
    # (made by the browser process rather than a page) still cannot resolve a non-loopback host.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

# Short enough that a page waiting on a blocked resource fails the test quickly, long enough for
# a slow CI machine to lay out a large report page.
DEFAULT_TIMEOUT_MS = 15_000


def chromium_path() -> str:
    """The system chromium's path; fails (not skips) the test when it is missing.

    A skip would let CI go green without the browser tests ever running, so a missing browser is
    an error that says how to get it.
    """
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "chromium is not installed: run `make test`, which installs it "
        "(`apt-get install -y --no-install-recommends chromium`); Playwright must not download a browser",
        pytrace=False,
    )


def artifacts_dir(name: str) -> Path:
    """``<repo>/test-artifacts/<name>/`` (created; gitignored), for screenshots kept after a run."""
    path = REPO / "test-artifacts" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without writing an access-log line per request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_directory(path: Path) -> Iterator[str]:
    """Serve ``path`` over HTTP on 127.0.0.1 (a free port) and yield the base URL, ending in ``/``.

    Served over HTTP rather than opened as ``file://`` because that is how a published site is
    read: ``fetch``, ES modules and the search index behave differently from a file URL.
    """
    handler = functools.partial(_QuietHandler, directory=str(path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="serve-directory", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class ConsoleEntry:
    """One ``console.*`` call (or a browser-logged message such as a failed load)."""

    type: str
    text: str
    url: str


@dataclass(frozen=True)
class FailedRequest:
    """A request that did not complete: blocked by the harness, refused, or aborted."""

    url: str
    failure: str


@dataclass(frozen=True)
class DialogEntry:
    """An ``alert``/``confirm``/``prompt``/``beforeunload`` dialog (each one is dismissed)."""

    type: str
    message: str


@dataclass
class BrowserSession:
    """A page plus everything it reported while the test drove it.

    ``failed_requests`` includes the blocked ones; ``blocked_requests`` lists only the URLs the
    harness refused because they left the machine.
    """

    page: Page
    artifacts_dir: Path
    console: list[ConsoleEntry] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[FailedRequest] = field(default_factory=list)
    dialogs: list[DialogEntry] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)

    @property
    def console_errors(self) -> list[ConsoleEntry]:
        """The console messages of type ``error``."""
        return [entry for entry in self.console if entry.type == "error"]

    def screenshot(self, name: str) -> Path:
        """Save a full-page PNG of the current page as ``<artifacts_dir>/<name>.png``."""
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        target = self.artifacts_dir / (name if name.endswith(".png") else f"{name}.png")
        self.page.screenshot(path=str(target), full_page=True)
        return target


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return True  # data:, blob:, about: never touch the network
    return (parts.hostname or "") in LOOPBACK_HOSTS


@contextmanager
def browser_page(artifacts_dir: Path, viewport: tuple[int, int] = DESKTOP) -> Iterator[BrowserSession]:
    """Launch headless chromium with a fresh profile and yield a :class:`BrowserSession`.

    Listeners hang on the context rather than the page, so popups and new tabs are recorded
    too. Dialogs are recorded and dismissed: an unhandled ``alert()`` would block the page, and a
    test should see that one appeared (script injection) rather than hang on it.
    """
    session: BrowserSession | None = None

    def on_console(message: ConsoleMessage) -> None:
        assert session is not None
        session.console.append(ConsoleEntry(message.type, message.text, message.location.get("url", "")))

    def on_web_error(error: WebError) -> None:
        assert session is not None
        session.page_errors.append(str(error.error))

    def on_request_failed(request: Request) -> None:
        assert session is not None
        session.failed_requests.append(FailedRequest(request.url, request.failure or "unknown"))

    def on_dialog(dialog: Dialog) -> None:
        assert session is not None
        session.dialogs.append(DialogEntry(dialog.type, dialog.message))
        dialog.dismiss()

    def route(route: Route) -> None:
        assert session is not None
        url = route.request.url
        if _is_loopback(url):
            route.continue_()
        else:
            session.blocked_requests.append(url)
            # Fails at once with net::ERR_BLOCKED_BY_CLIENT, instead of hanging on a dead network.
            route.abort("blockedbyclient")

    width, height = viewport
    with tempfile.TemporaryDirectory(prefix="assay-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=profile,
            executable_path=chromium_path(),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
            # Requests made by a service worker bypass context routing; blocking workers keeps
            # every request visible to the offline check.
            service_workers="block",
        )
        try:
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            context.on("console", on_console)
            context.on("weberror", on_web_error)
            context.on("requestfailed", on_request_failed)
            context.on("dialog", on_dialog)
            context.route("**/*", route)
            page = context.pages[0] if context.pages else context.new_page()
            session = BrowserSession(page=page, artifacts_dir=artifacts_dir)
            yield session
        finally:
            context.close()
