"""Every page of the portal, in English, Spanish and Chinese, checked with axe-core: no violations of any impact.

The pages are reached as their people reach them — a candidate, an exams officer, an organisation, anyone —
on the demo data set (``results/demo.py``), which has every kind of result a page shows. ``PAGES`` names each
route that answers a person with a page; ``NOT_PAGES`` says why every other route is not one (a download, a
form's POST, a JSON document). ``test_every_route_is_a_page_here_or_said_not_to_be`` keeps the two lists
complete, so a new page cannot be left out of this pass. Screenshots of every page in every language go to
``test-artifacts/screenshots/<test>/``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from django_otp.oath import totp
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD
from centres.models import Entry, EntryImport, StaffMember
from certificates.models import Document
from certificates.tokens import document_token
from exams.models import ExamSession
from results.demo import DEMO_OFFICER_PASSWORD, DEMO_OFFICER_USERNAME, DEMO_TOTP_KEY_HEX, demo_load
from results.tests.factories import account_for
from verification.deliveries import deliveries_send
from verification.models import BulkVerification, Delivery, VerifierOrganisation
from verification.services import share_link_create
from verification.tests.conftest import PASSWORD as ORGANISATION_PASSWORD
from verification.tests.conftest import organisation

from .helpers import BROWSER_DB, Journey, axe_violations, violations_text

LANGUAGES = ["en", "es", "zh-hans"]


@dataclass
class Demo:
    """What the pages are shown with: the demo data set plus an account of each kind."""

    candidate_entry: Entry
    officer_entry: Entry
    unitised_entry: Entry
    series: ExamSession
    entry_import: EntryImport
    bulk: BulkVerification
    share_token: str
    document_token: str
    staff: StaffMember
    organisation_email: str
    delivery: Delivery


# route name → (who sees it, its URL arguments from the demo). Audiences: "anyone" (logged out), "candidate",
# "centre" (the demo exams officer), "organisation".
Kwargs = Callable[[Demo], dict[str, Any]]
NONE: Kwargs = lambda demo: {}  # noqa: E731
PAGES: dict[str, tuple[str, Kwargs]] = {
    "home": ("anyone", NONE),
    "help": ("anyone", NONE),
    "privacy": ("anyone", NONE),
    "accessibility": ("anyone", NONE),
    "exams:score_converter": ("anyone", NONE),
    "statistics:index": ("anyone", NONE),
    "candidates:register": ("anyone", NONE),
    "candidates:login": ("anyone", NONE),
    "candidates:password_reset": ("anyone", NONE),
    "candidates:password_reset_confirm": ("anyone", lambda d: {"uidb64": "MQ", "token": "expired-token"}),
    "centres:login": ("anyone", NONE),
    "centres:password_reset": ("anyone", NONE),
    "centres:password_reset_confirm": ("anyone", lambda d: {"uidb64": "MQ", "token": "expired-token"}),
    "centres:staff_setup": ("anyone", lambda d: {"uidb64": "MQ", "token": "expired-token"}),
    "verification:verify": ("anyone", NONE),
    "verification:credential_check": ("anyone", NONE),
    "verification:share_view": ("anyone", lambda d: {"token": d.share_token}),
    "certificates:verify": ("anyone", lambda d: {"token": d.document_token}),
    "verification:organisation_register": ("anyone", NONE),
    "verification:organisation_login": ("anyone", NONE),
    "verification:organisation_password_reset": ("anyone", NONE),
    "verification:organisation_password_reset_confirm": (
        "anyone",
        lambda d: {"uidb64": "MQ", "token": "expired-token"},
    ),
    "candidates:dashboard": ("candidate", NONE),
    "results:statement": ("candidate", lambda d: {"public_id": d.candidate_entry.public_id}),
    "verification_share:manage": ("candidate", lambda d: {"public_id": d.candidate_entry.public_id}),
    "candidates:enquiries": ("candidate", lambda d: {"public_id": d.candidate_entry.public_id}),
    "candidates:certifying_statement": ("candidate", lambda d: {"public_id": d.candidate_entry.public_id}),
    "candidates:link_entry": ("candidate", NONE),
    "candidates:email_change": ("candidate", NONE),
    "candidates:security": ("candidate", NONE),
    "candidates:security_totp": ("candidate", NONE),
    "candidates:security_passkey": ("candidate", NONE),
    "centres:home": ("centre", NONE),
    "centres:results": ("centre", NONE),
    "centres:entry_detail": ("centre", lambda d: {"public_id": d.officer_entry.public_id}),
    "centres:entry_results_print": ("centre", lambda d: {"public_id": d.officer_entry.public_id}),
    "centres:import_new": ("centre", NONE),
    "centres:import_detail": ("centre", lambda d: {"public_id": d.entry_import.public_id}),
    "centres:staff": ("centre", NONE),
    "centres:unitised_home": ("centre", NONE),
    "centres:unitised_entries": ("centre", lambda d: {"series_id": d.series.public_id}),
    "centres:unitised_results": ("centre", lambda d: {"series_id": d.series.public_id}),
    "centres:unitised_boundaries": ("centre", lambda d: {"series_id": d.series.public_id}),
    "centres:unitised_results_files": ("centre", lambda d: {"series_id": d.series.public_id}),
    "centres:unitised_slip": ("centre", lambda d: {"public_id": d.unitised_entry.public_id}),
    "centres:unitised_mir_new": ("centre", lambda d: {"public_id": d.unitised_entry.public_id}),
    "centres:unitised_mir_list": ("centre", NONE),
    "centres:enquiry_list": ("centre", NONE),
    "centres:enquiry_entry": ("centre", lambda d: {"public_id": d.officer_entry.public_id}),
    "certificates:centre_list": ("centre", NONE),
    "certificates:centre_entry": ("centre", lambda d: {"public_id": d.unitised_entry.public_id}),
    "verification:organisation_home": ("organisation", NONE),
    "verification:organisation_history": ("organisation", NONE),
    "verification:organisation_security": ("organisation", NONE),
    "verification:organisation_security_totp": ("organisation", NONE),
    "verification:organisation_security_passkey": ("organisation", NONE),
    "verification:api_keys": ("organisation", NONE),
    "verification:bulk_new": ("organisation", NONE),
    "verification:bulk_detail": ("organisation", lambda d: {"job_id": d.bulk.public_id}),
    "verification:inbox": ("organisation", NONE),
    "verification:delivery_detail": ("organisation", lambda d: {"delivery_id": d.delivery.public_id}),
    "verification:webhooks": ("organisation", NONE),
    "verification:directory_profile": ("organisation", NONE),
    "candidates:send_result": ("candidate", NONE),
    "candidates:organisation_invite": ("candidate", NONE),
    "candidates:deliveries": ("candidate", NONE),
    "api_docs:page": ("anyone", NONE),
}

NOT_PAGES: dict[str, str] = {
    "healthz": "health check for the load balancer (text)",
    "livez": "liveness check (text)",
    "did_document": "JSON document (the board's DID)",
    "did_document_path": "JSON document (the board's DID, for a did:web with a path)",
    "set_language": "POST of the language switcher; tests/browser/test_language.py",
    "verification_api:verifications": "JSON API",
    "verification_api:schema": "OpenAPI document (JSON)",
    "verification_api:deliveries": "JSON API (the deliveries feed)",
    "verification:inbox_csv": "CSV download",
    "verification:webhook_rotate": "POST (the form is on the webhooks page)",
    "verification:webhook_remove": "POST (the form is on the webhooks page)",
    "candidates:delivery_withdraw": "POST (the form is on the deliveries page)",
    "credential_status:status_list": "JSON credential status list",
    "statistics:csv": "CSV download",
    "certificates:statement_pdf": "PDF download",
    "candidates:confirm_email": "link from an email: confirms, then redirects",
    "candidates:email_change_confirm": "link from an email: confirms, then redirects",
    "verification:organisation_confirm": "link from an email: confirms, then redirects",
    "candidates:login_second_step": "reached only in the middle of a login; tests/browser/test_passkeys.py",
    "verification:organisation_login_second_step": "reached only in the middle of a login",
    "candidates:logout": "POST",
    "centres:logout": "POST",
    "verification:organisation_logout": "POST",
    "candidates:unlink_entry": "POST (the confirmation is on the dashboard)",
    "candidates:security_remove": "POST",
    "candidates:security_off": "POST",
    "candidates:security_codes": "POST; shows the codes once, as the answer to that POST",
    "verification:organisation_security_remove": "POST",
    "verification:organisation_security_off": "POST",
    "verification:organisation_security_codes": "POST; shows the codes once, as the answer to that POST",
    "verification_share:revoke": "POST",
    "verification_share:credential": "Open Badges JSON download",
    "centres:entry_reissue": "POST (the form is on the entry page)",
    "centres:entry_lock_lift": "POST (the form is on the entry page)",
    "centres:entry_confirmation_pdf": "PDF download",
    "centres:results_csv": "CSV download",
    "centres:staff_role": "POST (the form is on the staff page)",
    "centres:staff_deactivate": "POST (the form is on the staff page)",
    "centres:staff_reactivate": "POST (the form is on the staff page)",
    "centres:staff_setup_link": "POST (the form is on the staff page)",
    "centres:unitised_special_consideration_csv": "CSV download",
    "centres:unitised_results_file_download": "CSV download",
    "centres:unitised_units_set": "POST (the form is on the unitised entries page)",
    "centres:unitised_cash_in": "POST (the form is on the unitised entries page)",
    "centres:unitised_cumulative_pdf": "PDF download",
    "centres:import_status": "JSON progress of an import",
    "centres:import_issued_csv": "CSV download",
    "centres:import_confirmations_pdf": "PDF download",
    "verification:board_key": "JSON key document",
    "verification:did_document": "JSON document (the board's DID)",
    "verification:achievement": "JSON-LD achievement document",
    "verification:api_key_revoke": "POST",
    "verification:bulk_status": "JSON progress of a bulk check",
    "verification:bulk_download": "CSV download",
    "certificates:centre_document_pdf": "PDF download",
    "certificates:centre_amendment_returned": "POST",
    "certificates:centre_amendment_issue": "POST",
    "certificates:centre_duplicate_request": "POST (the form is on the certificate entry page)",
    "certificates:centre_amendment_request": "POST (the form is on the certificate entry page)",
    "centres:enquiry_csv": "CSV download",
    "centres:enquiry_consent": "POST (the form is on the enquiry entry page)",
    "centres:enquiry_raise": "POST (the form is on the enquiry entry page)",
    "candidates:certifying_statement_pdf": "PDF download",
}


def _route_names(patterns: list[Any], namespace: str = "") -> list[str]:
    names: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.app_name != "admin":  # Django's own admin, for the board's staff: tested in its apps
                names += _route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def test_every_route_is_a_page_here_or_said_not_to_be() -> None:
    routes = set(_route_names(get_resolver().url_patterns))

    assert sorted(routes - PAGES.keys() - NOT_PAGES.keys()) == [], "routes neither checked nor explained"
    assert sorted((PAGES.keys() | NOT_PAGES.keys()) - routes) == [], "listed routes that no longer exist"
    assert PAGES.keys() & NOT_PAGES.keys() == set()


def _demo() -> Demo:
    demo_load()
    officer = StaffMember.objects.select_related("centre", "user").get(user__email=DEMO_OFFICER_USERNAME)
    released = Entry.objects.filter(centre=officer.centre, result__status="released", session__exam__family="scale")
    candidate_entry = released.order_by("candidate_id").first()
    unitised_entry = Entry.objects.filter(centre=officer.centre, session__exam__code="ANBUS").order_by("candidate_id")
    assert candidate_entry is not None and unitised_entry.exists(), "the demo data set changed"
    account = account_for(candidate_entry)
    _, share_token = share_link_create(account=account, entry=candidate_entry, days=30, organisation_name="Uni")
    document = Document.objects.filter(result__entry=candidate_entry).first() or Document.objects.first()
    assert document is not None, "the demo release renders the statements' documents"
    org = organisation(name="Universidad de Ejemplo")
    VerifierOrganisation.objects.filter(pk=org.pk).update(listed=True, kind="university", accepts="B2 and above")
    (delivery,) = deliveries_send(
        account=account, entry_ids=[candidate_entry.public_id], organisation_ids=[org.public_id], disclosure="full"
    )
    entry_import = EntryImport.objects.create(
        centre=officer.centre, uploaded_by=officer.user, filename="entries.csv", status=EntryImport.Status.DONE
    )
    bulk = BulkVerification.objects.create(
        organisation=org, filename="applicants.csv", status=BulkVerification.Status.DONE
    )
    return Demo(
        candidate_entry=candidate_entry,
        officer_entry=candidate_entry,
        unitised_entry=unitised_entry.first(),  # type: ignore[arg-type]
        series=unitised_entry.first().session,  # type: ignore[union-attr]
        entry_import=entry_import,
        bulk=bulk,
        share_token=share_token,
        document_token=document_token(document_uuid=document.uuid),
        staff=officer,
        organisation_email=org.email,
        delivery=delivery,
    )


def _prefix(language: str) -> str:
    return "" if language == "en" else f"/{language}"


def _log_in(page: Page, audience: str, demo: Demo, language: str) -> None:
    prefix = _prefix(language)
    with translation.override(language):
        if audience == "candidate":
            page.goto(f"{prefix}/results/login/")
            page.locator("input[name=candidate_id]").fill(demo.candidate_entry.candidate_id)
            page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
            page.locator("input[name=password]").press("Enter")
            expect(page).to_have_url(f"{page.url.split('/results/')[0]}/results/")
        elif audience == "centre":
            page.goto(f"{prefix}/centre/login/")
            page.locator("input[name=username], input[name=email]").first.fill(DEMO_OFFICER_USERNAME)
            page.locator("input[name=password]").fill(DEMO_OFFICER_PASSWORD)
            page.locator("input[name=otp_token], input[name=code], input[name=token]").first.fill(
                f"{totp(bytes.fromhex(DEMO_TOTP_KEY_HEX)):06d}"
            )
            page.locator("input[name=password]").press("Enter")
            expect(page).to_have_url(f"{page.url.split('/centre/')[0]}/centre/")
        elif audience == "organisation":
            page.goto(f"{prefix}/verify/organisations/login/")
            page.locator("input[name=email]").fill(demo.organisation_email)
            page.locator("input[name=password]").fill(ORGANISATION_PASSWORD)
            page.locator("input[name=password]").press("Enter")
            expect(page).to_have_url(f"{page.url.split('/verify/')[0]}/verify/organisations/")


@BROWSER_DB
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_in_every_language_has_no_accessibility_violation(
    page: Page, journey: Journey, live_server: LiveServer, language: str
) -> None:
    demo = _demo()
    found: list[str] = []
    problems: list[str] = []
    for audience in ("anyone", "candidate", "centre", "organisation"):
        page.context.clear_cookies()
        _log_in(page, audience, demo, language)
        for name, (who, kwargs) in PAGES.items():
            if who != audience:
                continue
            with translation.override("en"):
                path = reverse(name, kwargs=kwargs(demo))
            url = _prefix(language) + path
            try:
                response = page.goto(url)
            except PlaywrightError as error:
                problems.append(f"{name} ({url}) did not load: {error.message.splitlines()[0]}")
                continue
            status = response.status if response else 0
            if status != 200 and not (name.endswith("password_reset_confirm") or name == "centres:staff_setup"):
                problems.append(f"{name} ({url}) answered {status}")
            if page.locator("html").get_attribute("lang") != language:
                problems.append(f"{name} ({url}) is not marked as {language}")
            journey.step(page, f"{audience} {name.replace(':', ' ')}", check=False)
            violations = axe_violations(page, impacts=())
            if violations:
                found.append(violations_text(violations, where=f"{name} ({url})"))
    assert problems == [], "\n".join(problems)
    assert found == [], "\n\n".join(found)
