"""Helpers for the browser journeys: accessibility checks with axe-core, screenshots of each step, emailed links."""

import functools
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
FAILING_IMPACTS = ("serious", "critical")

# Every test of the suite uses the live server and sees what it writes, and the exam catalogue (loaded by a data
# migration) must survive the flush at the end of each transactional test.
BROWSER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@functools.cache
def _axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def axe_violations(page: Page, *, impacts: tuple[str, ...] = FAILING_IMPACTS) -> list[dict[str, Any]]:
    """Run axe-core on the page and return its violations of these impacts (all impacts when empty)."""
    if not AXE_PATH.exists():
        pytest.fail(f"{AXE_PATH.relative_to(ROOT)} is missing: run `make test-browser` (or `npm ci`) first.")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: a <script> tag with the file's text (add_script_tag) is an
        # inline script, which the portal's Content-Security-Policy refuses.
        page.evaluate(_axe_source())
    results: dict[str, Any] = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    violations: list[dict[str, Any]] = results["violations"]
    return [v for v in violations if not impacts or v.get("impact") in impacts]


def violations_text(violations: list[dict[str, Any]], *, where: str) -> str:
    """Return violations as text a person can act on: rule, impact, elements (CSS selectors) and the fix."""
    lines = [f"{len(violations)} accessibility violation(s) on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"][:10]:
            target = " ".join(" >> ".join(part) if isinstance(part, list) else part for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}" if summary else f"    {target}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more elements")
    return "\n".join(lines)


def axe(page: Page) -> None:
    """Fail the test if the page has serious or critical accessibility violations (axe-core, WCAG 2.x A/AA)."""
    violations = axe_violations(page)
    if violations:
        pytest.fail(violations_text(violations, where=page.url), pytrace=False)


@dataclass
class Journey:
    """The steps of one test: each step saves a screenshot and checks the page with axe.

    Accessibility violations are collected rather than raised at once, so one run shows every page of the
    journey that fails and the rest of the journey is still exercised; the test fails at its end when any were
    found (see ``pytest_runtest_call`` in conftest.py). Behaviour assertions fail at once, as usual.
    """

    folder: Path
    steps: int = 0
    violations: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def __post_init__(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)

    def step(self, page: Page, name: str, *, check: bool = True) -> Path:
        """Save ``NN-name.png`` of the whole page and, unless ``check`` is false, check it with axe."""
        if page not in self.pages:
            self.pages.append(page)
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = self.folder / f"{self.steps:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        if check:
            every = axe_violations(page, impacts=())
            if every:  # all impacts are kept beside the screenshot for whoever reads the report
                path.with_suffix(".axe.json").write_text(json.dumps(every, indent=2, ensure_ascii=False))
            failing = [v for v in every if v.get("impact") in FAILING_IMPACTS]
            if failing:
                self.violations.append(violations_text(failing, where=f"step {path.name} ({page.url})"))
        return path

    def report(self) -> str:
        """Return every collected violation as one message."""
        return "\n\n".join(self.violations)


def emailed_link(live_server_url: str, *, to: str, containing: str) -> str:
    """Return the last link emailed to ``to`` whose path contains ``containing``, on the live server."""
    site = re.escape(settings.SITE_URL)
    for message in reversed(mail.outbox):
        if to in message.to:
            match = re.search(rf"{site}(/\S*{re.escape(containing)}\S*)", str(message.body))
            if match:
                return live_server_url + match.group(1)
    sent = [(m.to, m.subject) for m in mail.outbox]
    raise AssertionError(f"No email to {to} with a link containing {containing!r}; sent: {sent}")


def overflowing_elements(page: Page, *, width: int) -> list[str]:
    """Return a description of the elements whose right edge is past ``width`` CSS pixels (at most 10)."""
    found: list[str] = page.evaluate(
        """(width) => {
            const out = [];
            for (const el of document.querySelectorAll('body *')) {
                const box = el.getBoundingClientRect();
                if (box.right > width + 0.5 && box.width > 0) {
                    const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [];
                    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                        classes.filter(Boolean).map((c) => '.' + c).join('');
                    out.push(`${name} (right edge ${Math.round(box.right)}px)`);
                }
                if (out.length >= 10) break;
            }
            return out;
        }""",
        width,
    )
    return found


def focused(page: Page) -> dict[str, str]:
    """Return the focused element's tag, id, name, type and text."""
    info: dict[str, str] = page.evaluate(
        """() => {
            const el = document.activeElement;
            return {tag: el.tagName.toLowerCase(), id: el.id || '', name: el.getAttribute('name') || '',
                    type: el.getAttribute('type') || '', text: (el.innerText || el.value || '').trim()};
        }"""
    )
    return info


def centre_log_in(page: Page, *, email: str, password: str, device: Any) -> None:
    """Log a centre staff member in on the login page with their password and their authenticator's code."""
    from django_otp.oath import totp

    page.goto("/centre/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Authentication code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Log in").click()


def directory_organisation(*, name: str, kind: str = "university", accepts: str = "B2 or above") -> Any:
    """Return an organisation in the directory candidates send results to: vetted, confirmed and listed.

    It logs in with ``verification.tests.conftest.PASSWORD`` (see ``organisation_log_in``).
    """
    from verification.models import VerifierOrganisation
    from verification.tests.conftest import organisation

    created = organisation(name=name)
    VerifierOrganisation.objects.filter(pk=created.pk).update(listed=True, kind=kind, accepts=accepts)
    created.refresh_from_db()
    return created


def candidate_send_result(
    page: Page, *, search: str, organisation_name: str, exam_name: str, journey: "Journey | None" = None
) -> None:
    """From the logged-in candidate's dashboard, send the result to a directory organisation (minimal disclosure).

    Searches the directory for ``search``, chooses ``organisation_name``, checks the result of ``exam_name`` is
    chosen, confirms, and checks the delivery is listed as not yet opened. Each page is a step of ``journey``.
    """
    from playwright.sync_api import expect

    page.get_by_role("link", name="Send this result to a university or employer").click()
    page.get_by_label("Organisation name").fill(search)
    page.get_by_role("button", name="Search").click()
    if journey is not None:
        journey.step(page, "directory search")
    page.get_by_label(re.compile(re.escape(organisation_name))).check()
    expect(page.get_by_label(re.compile(re.escape(exam_name)))).to_be_checked()
    page.get_by_label(re.compile("Minimal: exam")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check and send")).to_be_visible()
    if journey is not None:
        journey.step(page, "confirm before sending")
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_role("cell", name=organisation_name, exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Not yet")).to_be_visible()
    if journey is not None:
        journey.step(page, "results you have sent")


def organisation_log_in(page: Page, *, email: str) -> None:
    """Log an organisation made by ``directory_organisation`` in, and open the results sent to it."""
    from verification.tests.conftest import PASSWORD

    page.goto("/verify/organisations/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Results sent to you").click()
