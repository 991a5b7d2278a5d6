"""Browser journeys: Playwright (sync API) driving Debian's Chromium against the live test server.

Run with ``make test-browser`` (``make test`` runs it after the main suite). Chromium is Debian's
(``apt-get install chromium``, done by ``make system-deps``); Playwright never downloads a browser, and without
Chromium the run stops with an error, never a skip. axe-core comes from ``node_modules`` (``npm ci``).
Screenshots go to ``test-artifacts/screenshots/<test name>/NN-step.png``. Every test fails if the browser refused
anything under the portal's Content-Security-Policy (``CspRefusals``): an inline script or style, a handler
attribute, a resource from elsewhere.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from pytest_django.live_server_helper import LiveServer

from .helpers import AXE_PATH, ROOT, SCREENSHOTS, Journey

# Playwright's sync API runs an event loop in the test thread, so Django would refuse the test's own ORM calls
# (factories, checks) as "async unsafe". They are plain synchronous calls: allow them, in this suite only.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# No network here but the registries: without these flags Chromium keeps calling Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 360, "height": 740}
TIMEOUT_MS = 10_000


def _chromium_missing() -> str:
    """Return why the browser journeys cannot run without Chromium, or "" when it is installed."""
    if CHROMIUM.exists():
        return ""
    return (
        f"{CHROMIUM} is missing: the browser journeys need Debian's Chromium. Install it with `make system-deps` "
        "(or `apt-get install chromium`), or point CHROMIUM at another build."
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to start the browser journeys without Chromium: a run without them must not pass."""
    if missing := _chromium_missing():
        raise pytest.UsageError(missing)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Start Debian's Chromium once for the whole suite (fail, never skip, when it is not installed)."""
    if missing := _chromium_missing():
        pytest.fail(missing, pytrace=False)
    if not AXE_PATH.exists():
        pytest.fail(f"{AXE_PATH.relative_to(ROOT)} is missing: run `make test-browser` (or `npm ci`) first.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# Reports each refusal of the Content-Security-Policy to the test (the page's own event, from every document).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspRefused(`${event.effectiveDirective} refused ${event.blockedURI || "an inline script or style"}` +
        ` on ${event.documentURI} (${event.sourceFile || "the page"}:${event.lineNumber})`);
});
"""


@dataclass
class CspRefusals:
    """What the browser refused under the portal's Content-Security-Policy during one test.

    Each test fails if anything was refused (``pytest_runtest_call``): a page that relies on an inline script
    or style works only where no policy is sent, so it is a bug however the page looks.
    """

    refused: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.expose_binding("__cspRefused", lambda _source, text: self.refused.append(str(text)))
        context.add_init_script(CSP_LISTENER)
        context.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.refused.append(f"console: {message.text}")

    def report(self) -> str:
        return "The Content-Security-Policy refused:\n" + "\n".join(
            f"- {line}" for line in dict.fromkeys(self.refused)
        )


@pytest.fixture
def csp_refusals() -> CspRefusals:
    """Return the test's record of CSP refusals (every context of the page fixtures is watched)."""
    return CspRefusals()


def _context(browser: Browser, live_server: LiveServer, csp: CspRefusals, **options: object) -> BrowserContext:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", accept_downloads=True, **options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    csp.watch(context)
    return context


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, csp_refusals: CspRefusals) -> Iterator[Page]:
    """Return a desktop page (1280×900) whose relative URLs go to the live server."""
    context = _context(browser, live_server, csp_refusals, viewport=DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def mobile_page(browser: Browser, live_server: LiveServer, csp_refusals: CspRefusals) -> Iterator[Page]:
    """Return a phone-sized page (360×740, touch, mobile viewport rules) on the live server."""
    context = _context(browser, live_server, csp_refusals, viewport=MOBILE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def journey(request: pytest.FixtureRequest) -> Iterator[Journey]:
    """Return the test's journey: screenshots in test-artifacts/screenshots/<test name>/, axe on every step."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    journey = Journey(folder=SCREENSHOTS / name)
    yield journey
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for page in journey.pages:
            if not page.is_closed():
                try:
                    journey.step(page, "failed-here", check=False)
                except PlaywrightError:  # the page may be mid-navigation; the report matters more
                    pass


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test, so the journey can screenshot the page a test failed on."""
    report = yield
    setattr(item, f"rep_{report.when}", report)  # type: ignore[attr-defined]
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a journey that met serious or critical accessibility violations on any step, or any CSP refusal.

    A journey that failed for another reason gets the violations and refusals added to its report.
    """
    funcargs = getattr(item, "funcargs", {})
    journey = funcargs.get("journey")
    csp = funcargs.get("csp_refusals")
    try:
        result = yield
    except BaseException as error:
        if isinstance(journey, Journey) and journey.violations:
            error.add_note("\nAccessibility violations met on the way:\n" + journey.report())
        if isinstance(csp, CspRefusals) and csp.refused:
            error.add_note("\n" + csp.report())
        raise
    problems = []
    if isinstance(journey, Journey) and journey.violations:
        problems.append(journey.report())
    if isinstance(csp, CspRefusals) and csp.refused:
        problems.append(csp.report())
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
    return result
