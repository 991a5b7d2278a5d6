"""The Content-Security-Policy, and the pages it lets run: no inline script or style in any page template.

The policy is strict (``results_portal/settings/base.py``): scripts and styles from the portal's own origin only,
no ``'unsafe-inline'`` and no nonces. So every page template must keep its scripts and styles in static files;
a ``<script>`` without ``src``, a ``<style>``, a ``style=""`` or an ``onclick=""`` would be refused by the
browser (the browser journeys fail on any refusal). PDFs and emails are not pages: they keep their styles inline.
"""

import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client

from centres.pdf import CONFIRMATION_TEMPLATE
from results.centre_reports import CUMULATIVE_TEMPLATE

ROOT = Path(__file__).resolve().parents[1]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
# Templates rendered into PDFs (WeasyPrint) or emails, never served as a page.
NOT_PAGES = {CONFIRMATION_TEMPLATE, CUMULATIVE_TEMPLATE}
INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "a <style> element"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE), 'a style="" attribute'),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE), 'an event handler attribute (onclick="" …)'),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
]


def _policy(header: str) -> dict[str, str]:
    directives = [part.strip().split(" ", 1) for part in header.split(";") if part.strip()]
    return {name: value for name, value in directives}


def _page_templates() -> list[tuple[str, Path]]:
    """Return (template name, path) of every page template of ours: templates/ and each app's templates/."""
    found = []
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        for path in folder.rglob("*.html"):
            name = path.relative_to(folder).as_posix()
            if name in NOT_PAGES or {"email", "pdf"} & set(Path(name).parts[:-1]):
                continue
            found.append((name, path))
    return found


def test_the_scan_sees_the_page_templates() -> None:
    names = {name for name, _path in _page_templates()}

    assert {"base.html", "500.html", "centres/unitised/slip.html", "admin/results/release_progress.html"} <= names
    assert "certificates/pdf/statement.html" not in names and "results/email/released.html" not in names


@pytest.mark.parametrize(("name", "path"), [pytest.param(name, path, id=name) for name, path in _page_templates()])
def test_no_page_template_has_inline_script_or_style(name: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [what for pattern, what in INLINE if pattern.search(text)]

    assert not found, f"{name} has {', '.join(found)}: move it to a file under static/ (the CSP refuses it)"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/results/login/", "/centre/login/", "/verify/", "/admin/login/"])
def test_every_page_sends_the_strict_policy(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 200
    assert _policy(response["Content-Security-Policy"]) == POLICY
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_language_cookie_is_http_only_and_same_site_lax(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})

    cookie = response.cookies["django_language"]
    assert cookie.value == "es"
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_the_500_page_styles_come_from_a_stylesheet_that_is_served(client: Client) -> None:
    html = render_to_string("500.html")
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)

    assert hrefs
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, href
        assert b"font-family" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
