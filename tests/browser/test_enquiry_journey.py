"""An enquiry about results from consent to a changed grade, in Chromium: the candidate sends the result to a
university and consents in their account, the centre raises a review of marking, the board records "grade changed",
and the candidate, the centre, the university the result was sent to and whoever holds the old Statement of Results
(its QR page) see the amendment and the new statement."""

import datetime as dt
import re

from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from centres.tests.factories import EntryFactory, ExamSessionFactory, StaffMemberFactory
from certificates.models import Document
from certificates.services import documents_render_for_results
from certificates.tokens import document_token
from exams.models import Exam, ServiceFee
from results.models import Result, ResultEnquiry
from results.tests.factories import account_for, result_for

from .helpers import (
    BROWSER_DB,
    Journey,
    candidate_send_result,
    centre_log_in,
    directory_organisation,
    organisation_log_in,
)

pytestmark = [BROWSER_DB]


def _new_page(browser: Browser, live_server: LiveServer) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


def test_consent_enquiry_grade_changed_seen_by_candidate_centre_organisation_and_verifier(
    page: Page, browser: Browser, journey: Journey, live_server: LiveServer
) -> None:
    today = timezone.localdate()
    session = ExamSessionFactory(
        exam=Exam.objects.get(code="FCE"),
        date=today - dt.timedelta(days=60),
        enquiry_deadline=today + dt.timedelta(days=10),
    )
    entry = EntryFactory(session=session, person__first_name="Amelia", person__last_name="Hughes")
    result = result_for(entry, released_at=timezone.now() - dt.timedelta(days=1))  # Grade B, writing 169
    documents_render_for_results(result_ids=[result.pk])  # as the release would have
    account_for(entry)
    ServiceFee.objects.create(service="review_of_marking", year=today.year, amount="48.00")
    staff = StaffMemberFactory(centre=entry.centre)
    staff_device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    board = UserFactory(username="enquiries@board.example", is_staff=True, is_superuser=True)
    board_device = TOTPDevice.objects.create(user=board, name="phone", confirmed=True)
    org = directory_organisation(name="Universidad de Salamanca")

    # 0. The candidate sends the result to a university (minimal disclosure), which sees Grade B in its inbox.
    page.goto("/results/login/")
    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    candidate_send_result(
        page, search="salamanca", organisation_name="Universidad de Salamanca", exam_name=session.exam.name
    )
    university = _new_page(browser, live_server)
    organisation_log_in(university, email=org.email)
    row = university.get_by_role("row", name=re.compile("Amelia Hughes"))
    expect(row).to_contain_text("Grade B")
    expect(row).to_contain_text("Current")
    journey.step(university, "university: the result sent to it")
    university.get_by_role("link", name="Amelia Hughes").click()  # opened: no longer new in the inbox
    expect(university.get_by_role("main")).to_contain_text("Grade B")

    # 1. The candidate reads that grades can go down as well as up, then consents.
    page.goto(f"/results/{entry.public_id}/")
    page.get_by_role("link", name=re.compile("Enquiries about this result")).click()
    expect(page.get_by_role("main")).to_contain_text("Your marks and grade can go down as well as up.")
    journey.step(page, "candidate: before consent")
    page.get_by_label(re.compile("I understand that after an enquiry")).check()
    page.get_by_role("button", name="Give my consent").click()
    expect(page.get_by_role("main")).to_contain_text("You gave your consent on")
    journey.step(page, "candidate: consent given")
    old_statement = Document.objects.get(result=result, kind=Document.Kind.STATEMENT, status="current")

    # 2. The centre raises a review of marking of Writing.
    centre = _new_page(browser, live_server)
    centre_log_in(centre, email=staff.user.email, password=DEFAULT_PASSWORD, device=staff_device)
    centre.goto(f"/centre/entries/{entry.public_id}/")
    centre.get_by_role("link", name=re.compile("Enquiries about results")).click()
    expect(centre.get_by_role("main")).to_contain_text("Given by the candidate in their results account")
    centre.get_by_label("Component").select_option(label="Writing")
    centre.get_by_label("Service").select_option(label="Review of marking")
    centre.get_by_role("button", name="Raise the enquiry").click()
    expect(centre.get_by_role("main")).to_contain_text("Enquiry received: Review of marking of Writing, fee £48.00.")
    journey.step(centre, "centre: enquiry raised")

    # 3. The board starts it and records the new mark: the grade changes.
    admin = _new_page(browser, live_server)
    admin.goto("/admin/login/")
    admin.get_by_label("Username").fill(board.username)
    admin.get_by_label("Password").fill(DEFAULT_PASSWORD)
    admin.get_by_label("Authentication code").fill(f"{totp(board_device.bin_key):06d}")
    admin.get_by_role("button", name="Log in").click()
    admin.goto("/admin/results/resultenquiry/")
    admin.get_by_role("checkbox", name="Select this object for an action").first.check()
    admin.locator("select[name=action]").select_option("start")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("1 enquiry(ies) in progress.")
    enquiry = ResultEnquiry.objects.get()
    admin.goto(f"/admin/results/resultenquiry/{enquiry.pk}/change/")
    admin.locator("select[name=outcome]").select_option(label="Grade changed")
    admin.locator("input[name=new_score]").fill("190")
    admin.locator("input[name=outcome_note]").fill("Writing re-marked by a senior examiner.")
    journey.step(admin, "board: recording the outcome", check=False)  # Django's own admin page
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_be_visible()

    enquiry.refresh_from_db()
    result.refresh_from_db()
    assert (enquiry.status, enquiry.outcome, enquiry.fee_waived) == ("completed", "grade_changed", True)
    assert (result.grade, result.version) == ("Grade A", 2)
    assert Result.objects.get(pk=result.pk).amendments.count() == 1

    # 4. The candidate sees the outcome and the amended Statement of Results.
    page.goto(f"/results/{entry.public_id}/enquiries/")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Completed")
    expect(main).to_contain_text("Grade changed")
    expect(main).to_contain_text("Grade B → Grade A")
    journey.step(page, "candidate: outcome")
    page.goto(f"/results/{entry.public_id}/")
    expect(page.get_by_role("main")).to_contain_text("Grade A")
    status = page.request.get(f"/results/{entry.public_id}/statement.pdf").status
    assert status == 200, f"the amended statement PDF answers {status}"
    new_statement = Document.objects.get(result=result, kind=Document.Kind.STATEMENT, status="current")
    assert new_statement.result_version == 2 and new_statement.pk != old_statement.pk

    # 5. The centre sees it in its list (fee waived) and the new documents at the certificate desk.
    centre.goto("/centre/enquiries/")
    row = centre.get_by_role("row", name=re.compile(str(entry.candidate_id)))
    expect(row).to_contain_text("Grade changed")
    expect(row).to_contain_text("waived")
    journey.step(centre, "centre: enquiries list")
    centre.goto(f"/centre/certificates/entries/{entry.public_id}/")
    expect(centre.get_by_role("main")).to_contain_text("Replaced by an amended version")
    expect(centre.get_by_role("main")).to_contain_text("Grade A")
    journey.step(centre, "centre: certificate desk")

    # 6. The university the result was sent to sees it amended, and only the new grade.
    university.goto("/verify/organisations/inbox/")
    row = university.get_by_role("row", name=re.compile("Amelia Hughes"))
    expect(row).to_contain_text("Amended since it was sent")
    expect(row).to_contain_text("Grade A")
    expect(row).not_to_contain_text("Grade B")
    expect(row).to_contain_text("New")  # new again: the amendment was recorded on the delivery
    journey.step(university, "university: the amendment in its inbox")
    university.get_by_role("link", name="Amelia Hughes").click()
    main = university.get_by_role("main")
    expect(main).to_contain_text("Amended since it was sent")
    expect(main).to_contain_text("Grade A")
    expect(main).not_to_contain_text("Grade B")
    expect(main).to_contain_text("Result amended")  # the amendment event reached the delivery
    journey.step(university, "university: the amended result")

    # 7. Whoever holds the old statement scans its QR code: replaced, and the facts that hold now.
    verifier = _new_page(browser, live_server)
    verifier.goto(f"/verify/v/{document_token(document_uuid=old_statement.uuid)}")
    expect(verifier.get_by_role("main")).to_contain_text("replaced")
    expect(verifier.get_by_role("main")).to_contain_text("Grade A")
    journey.step(verifier, "verifier: the old statement's QR page")
    for other in (centre, admin, university, verifier):
        other.context.close()
