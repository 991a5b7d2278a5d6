"""The centre area: 2FA on every URL, one centre never sees another's data, reissue, import with progress."""

import csv
import datetime as dt
import io
import re
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.guard import GuardFailure, GuardRefusal, guard_check
from accounts.models import AuditEvent
from centres.imports import IssuedEntry
from centres.models import EntryImport, StaffMember
from centres.selectors import entry_matching_secret
from centres.services import secret_number_matches, staff_invite
from centres.tasks import entry_imports_purge, issued_seal
from centres.tests.factories import DEFAULT_SECRET, CentreFactory, EntryFactory, StaffMemberFactory
from conftest import CommittingClient, otp_login
from exams.models import Exam, ExamSession
from results_portal.tests.formula_cells import BOM_BYTES, FORMULA_CELLS
from results_portal.tests.same_answer import same_but_tokens

pytestmark = pytest.mark.django_db

STAFF_PASSWORD = "a-long-test-password-77"


def _staff_client(centre: object | None = None) -> tuple[Client, object]:
    member = StaffMemberFactory(centre=centre or CentreFactory())
    return otp_login(CommittingClient(), member.user), member


def _code(user: object) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key):06d}"


def _centre_urls(entry: object, job: object) -> list[str]:
    e, j = entry.public_id, job.public_id
    return [
        "/centre/",
        f"/centre/entries/{e}/",
        f"/centre/entries/{e}/confirmation.pdf",
        f"/centre/entries/{e}/results/",
        "/centre/imports/",
        f"/centre/imports/{j}/",
        f"/centre/imports/{j}/status",
        f"/centre/imports/{j}/issued.csv",
        f"/centre/imports/{j}/confirmations.pdf",
    ]


def _job(centre: object, user: object) -> EntryImport:
    return EntryImport.objects.create(centre=centre, uploaded_by=user, filename="x.csv", source="")


def test_every_centre_url_needs_a_login_with_2fa() -> None:
    member = StaffMemberFactory()
    entry = EntryFactory(person__centre=member.centre)
    job = _job(member.centre, member.user)
    password_only = Client()
    password_only.force_login(member.user)  # logged in, but no TOTP step in this session

    for url in _centre_urls(entry, job) + [f"/centre/entries/{entry.public_id}/reissue/"]:
        for client in (Client(), password_only):
            response = client.get(url) if not url.endswith("reissue/") else client.post(url, {"reason": "x"})
            assert response.status_code == 302, url
            assert response["Location"].startswith("/centre/login/"), url


def test_staff_of_one_centre_get_404_for_another_centres_objects() -> None:
    client, member = _staff_client()
    other = StaffMemberFactory()
    theirs = EntryFactory(person__centre=other.centre)
    their_job = _job(other.centre, other.user)

    for url in _centre_urls(theirs, their_job)[1:]:
        if url == "/centre/imports/":
            continue
        assert client.get(url).status_code == 404, url
    assert client.post(f"/centre/entries/{theirs.public_id}/reissue/", {"reason": "x"}).status_code == 404
    listing = client.get("/centre/", {"q": theirs.candidate_id}).content.decode()
    assert "No entries found." in listing
    assert f">{theirs.candidate_id}</a>" not in listing


def test_login_needs_password_and_current_totp_code() -> None:
    member = StaffMemberFactory()
    device = TOTPDevice.objects.create(user=member.user, name="phone", confirmed=True)
    email = member.user.email

    without_code, with_wrong_password = Client(), Client()
    no_code = without_code.post("/centre/login/", {"email": email, "password": STAFF_PASSWORD, "otp_token": "000000"})
    wrong_pw = with_wrong_password.post(
        "/centre/login/", {"email": email, "password": "nope-nope-1", "otp_token": _code(member.user)}
    )
    assert no_code.status_code == wrong_pw.status_code == 200
    assert "do not match a centre account" in no_code.content.decode()
    for refused in (without_code, with_wrong_password):
        assert "_auth_user_id" not in refused.session
        assert refused.get("/centre/")["Location"].startswith("/centre/login/")
    device.throttle_reset()  # django-otp slows a device down after a wrong code; the test need not wait

    client = Client()
    ok = client.post("/centre/login/", {"email": email, "password": STAFF_PASSWORD, "otp_token": _code(member.user)})
    assert ok.status_code == 302 and ok["Location"] == "/centre/"
    assert client.session["_auth_user_id"] == str(member.user.pk)
    assert client.get("/centre/").status_code == 200


def test_candidate_list_search_and_query_count(django_assert_max_num_queries: Any) -> None:
    client, member = _staff_client()
    entries: list[Any] = [EntryFactory(person__centre=member.centre, person__last_name=f"Name{i}") for i in range(12)]

    with django_assert_max_num_queries(9):  # 8, and the centre's sessions for the list's filters
        page = client.get("/centre/")
    assert page.status_code == 200
    assert all(e.candidate_id in page.content.decode() for e in entries)

    found = client.get("/centre/", {"q": "name3"}).content.decode()
    assert entries[3].candidate_id in found and entries[4].candidate_id not in found
    by_id = client.get("/centre/", {"q": entries[5].candidate_id.lower()}).content.decode()
    assert entries[5].candidate_id in by_id


@pytest.mark.parametrize(
    ("prefix", "short", "long"),
    [
        ("", "06/10/2026", "6 October 2026"),
        ("/es", "06/10/2026", "6 de octubre de 2026"),
        ("/zh-hans", "2026年10月6日", "2026年10月6日"),
    ],
)
def test_centre_pages_write_dates_the_one_way_of_each_language(prefix: str, short: str, long: str) -> None:
    client, member = _staff_client()
    session = ExamSession.objects.create(exam=Exam.objects.get(code="FCE"), date=dt.date(2026, 10, 6))
    entry = EntryFactory(person__centre=member.centre, session=session, person__date_of_birth=dt.date(2008, 10, 6))

    home = client.get(f"{prefix}/centre/").content.decode()
    detail = client.get(f"{prefix}/centre/entries/{entry.public_id}/").content.decode()

    assert f"<td>{short}</td>" in home
    assert long in detail
    assert long.replace("2026", "2008") in detail  # the date of birth


def test_reissue_kills_the_old_secret_at_once_and_is_audited() -> None:
    client, member = _staff_client()
    entry = EntryFactory(person__centre=member.centre)
    assert entry_matching_secret(candidate_id=entry.candidate_id, secret_number=DEFAULT_SECRET) == entry

    missing_reason = client.post(f"/centre/entries/{entry.public_id}/reissue/", {"reason": ""})
    assert missing_reason.status_code == 400
    response = client.post(f"/centre/entries/{entry.public_id}/reissue/", {"reason": "lost the letter"}, follow=True)

    html = response.content.decode()
    new_secret = re.search(r'class="credential">(\d{4})<', html).group(1)
    entry.refresh_from_db()
    assert secret_number_matches(secret_number=new_secret, secret_hash=entry.secret_hash)
    if new_secret != DEFAULT_SECRET:
        assert entry_matching_secret(candidate_id=entry.candidate_id, secret_number=DEFAULT_SECRET) is None
    event = AuditEvent.objects.get(action="entry.reissue")
    assert (event.subject, event.reason, event.actor) == (entry.candidate_id, "lost the letter", member.user)

    pdf = client.get(f"/centre/entries/{entry.public_id}/confirmation.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"


def test_reissue_lifts_a_lockout_of_the_secret_number() -> None:
    client, member = _staff_client()
    entry = EntryFactory(person__centre=member.centre)
    failures = []
    for _ in range(5):
        with pytest.raises(GuardFailure) as failed:
            guard_check(
                kind="secret", identifier=entry.candidate_id, ip="203.0.113.9", purpose="verify", verify=lambda _: None
            )
        failures.append(failed.value.retry_after)
    assert failures == [0, 0, 0, 0, 15 * 60]  # the fifth wrong try locks the Candidate ID for 15 minutes
    with pytest.raises(GuardRefusal) as locked:
        guard_check(
            kind="secret",
            identifier=entry.candidate_id,
            ip="203.0.113.9",
            purpose="verify",
            verify=lambda cid: entry_matching_secret(candidate_id=cid, secret_number=DEFAULT_SECRET),
        )
    assert locked.value.reason == "locked"  # even the right secret number is refused now

    client.post(f"/centre/entries/{entry.public_id}/reissue/", {"reason": "locked out"})
    page = client.get(f"/centre/entries/{entry.public_id}/").content.decode()
    secret = re.search(r'class="credential">(\d{4})<', page).group(1)

    found = guard_check(
        kind="secret",
        identifier=entry.candidate_id,
        ip="203.0.113.9",
        purpose="register",
        verify=lambda cid: entry_matching_secret(candidate_id=cid, secret_number=secret),
    )
    assert found == entry


def test_the_reissued_secret_is_not_shown_in_another_session() -> None:
    client, member = _staff_client()
    entry = EntryFactory(person__centre=member.centre)
    client.post(f"/centre/entries/{entry.public_id}/reissue/", {"reason": "lost"})
    colleague = otp_login(Client(), StaffMemberFactory(centre=member.centre).user)

    assert colleague.get(f"/centre/entries/{entry.public_id}/confirmation.pdf").status_code == 404
    assert 'class="credential"' not in colleague.get(f"/centre/entries/{entry.public_id}/").content.decode()


def _entries_csv(centre_number: str, session: ExamSession, names: list[str]) -> bytes:
    lines = ["centre_number,candidate_id,first_name,last_name,date_of_birth,email,exam_code,session_date,mode"]
    for name in names:
        lines.append(f"{centre_number},,{name},Smith,2006-01-02,,{session.exam.code},{session.date},{session.mode}")
    return ("\n".join(lines) + "\n").encode()


def test_import_page_imports_and_offers_the_downloads() -> None:
    client, member = _staff_client()
    session = ExamSession.objects.create(exam=Exam.objects.get(code="PET"), date=dt.date(2027, 3, 13), mode="paper")
    upload = io.BytesIO(_entries_csv(member.centre.number, session, ["Ana", "Ben", "Cleo"]))
    upload.name = "march.csv"

    response = client.post("/centre/imports/", {"file": upload})

    job = EntryImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/centre/imports/{job.public_id}/"
    assert job.status == EntryImport.Status.DONE and job.issued_count == 3
    assert job.source == ""
    status = client.get(f"/centre/imports/{job.public_id}/status").json()
    assert status["finished"] is True and status["percent"] == 100
    page = client.get(f"/centre/imports/{job.public_id}/").content.decode()
    assert "3 entries imported" in page and "<progress" in page
    csv_text = client.get(f"/centre/imports/{job.public_id}/issued.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("candidate_id,secret_number,")
    assert len(csv_text.splitlines()) == 4
    pdf = client.get(f"/centre/imports/{job.public_id}/confirmations.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_import_page_lists_every_bad_line_and_writes_nothing() -> None:
    client, member = _staff_client()
    session = ExamSession.objects.create(exam=Exam.objects.get(code="PET"), date=dt.date(2027, 3, 13), mode="paper")
    text = (
        _entries_csv("XX999", session, ["Ana"])
        + _entries_csv(member.centre.number, session, ["Ben"]).split(b"\n", 1)[1]
    )
    upload = io.BytesIO(text.replace(b"2006-01-02,,PET", b"2006-13-02,,PET", 1))
    upload.name = "bad.csv"

    client.post("/centre/imports/", {"file": upload})

    job = EntryImport.objects.get()
    assert job.status == EntryImport.Status.REJECTED
    page = client.get(f"/centre/imports/{job.public_id}/").content.decode()
    assert "line 2, column centre_number" in page
    assert "line 2, column date_of_birth" in page
    assert "nothing was imported" in page
    assert client.get(f"/centre/imports/{job.public_id}/issued.csv").status_code == 404
    # Every line was read and none imported: no "100 %", no full bar.
    status = client.get(f"/centre/imports/{job.public_id}/status").json()
    assert status["finished"] is True and status["succeeded"] is False and status["percent"] < 100
    assert "<progress" not in page
    assert page.count("Rejected: nothing was imported") == 1


def _import_answer(client: Client, centre_number: str, session: ExamSession, candidate_id: str) -> bytes:
    """Upload a one-line entries file giving ``candidate_id``; return the import's page without its own address."""
    text = _entries_csv(centre_number, session, ["Ana"]).replace(b",,Ana,", f",{candidate_id},Ana,".encode())
    upload = io.BytesIO(text)
    upload.name = "given.csv"
    client.post("/centre/imports/", {"file": upload})
    job = EntryImport.objects.latest("created_at")
    assert job.status == EntryImport.Status.REJECTED
    page = client.get(f"/centre/imports/{job.public_id}/").content
    return same_but_tokens(page.replace(str(job.public_id).encode(), b"<import>"))


def test_import_page_answers_a_given_candidate_id_the_same_whether_it_exists_or_not() -> None:
    client, member = _staff_client()
    session = ExamSession.objects.create(exam=Exam.objects.get(code="PET"), date=dt.date(2027, 3, 13), mode="paper")
    EntryFactory(candidate_id="SIR094701")  # another centre's candidate
    EntryFactory(candidate_id="OWN234567", person__centre=member.centre)  # this centre's own

    answers = {
        given: _import_answer(client, member.centre.number, session, given)
        for given in ["SIR094701", "OWN234567", "NEW234567"]
    }

    assert answers["SIR094701"] == answers["NEW234567"] == answers["OWN234567"]
    page = answers["NEW234567"].decode()
    assert "line 2, column candidate_id: leave the Candidate ID empty: the portal issues a new one" in page
    assert "in use" not in page and "SIR094701" not in page


@pytest.mark.parametrize(("surname", "cell"), FORMULA_CELLS)
def test_issued_csv_neutralises_a_name_that_is_a_formula(surname: str, cell: str) -> None:
    client, member = _staff_client()
    job = _job(member.centre, member.user)
    issued = IssuedEntry(
        candidate_id="SIR094701",
        secret_number="0042",
        first_name="Ana",
        last_name=surname,
        exam_code="PET",
        session_date=dt.date(2027, 3, 13),
        mode="paper",
        centre_number=member.centre.number,
        results_by=dt.date(2027, 4, 30),
        exam_name="B1 Preliminary",
        mode_label="Paper-based",
        centre_name="A centre",
        public_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
    )
    EntryImport.objects.filter(pk=job.pk).update(status=EntryImport.Status.DONE, issued_sealed=issued_seal([issued]))

    response = client.get(f"/centre/imports/{job.public_id}/issued.csv")

    assert response.content.startswith(BOM_BYTES)
    assert response["Content-Disposition"] == 'attachment; filename="x.issued.csv"'
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[1] == [
        "SIR094701",
        "0042",
        "Ana",
        cell,
        "PET",
        "2027-03-13",
        "paper",
        member.centre.number,
        "2027-04-30",
    ]


def test_issued_secret_numbers_are_sealed_at_rest_and_purged_after_a_day() -> None:
    client, member = _staff_client()
    # A2 Key is no longer offered paper-based after June 2026 (docs/domain.md §16.2).
    session = ExamSession.objects.create(exam=Exam.objects.get(code="KET"), date=dt.date(2027, 3, 13), mode="computer")
    upload = io.BytesIO(_entries_csv(member.centre.number, session, ["Ana"]))
    upload.name = "one.csv"
    client.post("/centre/imports/", {"file": upload})
    job = EntryImport.objects.get()
    secret = (
        client.get(f"/centre/imports/{job.public_id}/issued.csv")
        .content.decode("utf-8-sig")
        .splitlines()[1]
        .split(",")[1]
    )

    assert secret not in job.issued_sealed and "Ana" not in job.issued_sealed
    EntryImport.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(hours=25))
    assert entry_imports_purge() == 1
    job.refresh_from_db()
    assert job.issued_sealed == "" and job.issued_purged_at is not None
    assert client.get(f"/centre/imports/{job.public_id}/issued.csv").status_code == 404
    assert "have been deleted" in client.get(f"/centre/imports/{job.public_id}/").content.decode()


def test_import_progress_is_read_from_the_cache_while_running() -> None:
    client, member = _staff_client()
    job = _job(member.centre, member.user)
    EntryImport.objects.filter(pk=job.pk).update(status=EntryImport.Status.RUNNING)
    from centres.tasks import progress_key

    cache.set(progress_key(job.pk), (250, 1000))

    status = client.get(f"/centre/imports/{job.public_id}/status").json()

    assert (status["done"], status["total"], status["percent"], status["finished"]) == (250, 1000, 25, False)


def test_staff_setup_pairs_an_authenticator_and_the_link_works_once() -> None:
    centre = CentreFactory()
    member, path = staff_invite(
        centre=centre, role=StaffMember.Role.EXAMS_OFFICER, email="Officer@School.example", actor=None
    )
    client = Client()

    page = client.get(path)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=member.user, confirmed=False)
    wrong = client.post(
        path, {"password": "harbour-lights-42", "confirm_password": "harbour-lights-42", "otp_token": "000000"}
    )
    assert "That code is not right" in wrong.content.decode()
    device.throttle_reset()  # django-otp slows a device down after a wrong code; the test need not wait
    done = client.post(
        path,
        {
            "password": "harbour-lights-42",
            "confirm_password": "harbour-lights-42",
            "otp_token": f"{totp(device.bin_key):06d}",
        },
    )

    assert done.status_code == 302 and done["Location"] == reverse("centres:home")
    assert client.get("/centre/").status_code == 200
    assert Client().get(path).status_code == 400
    member.user.refresh_from_db()
    assert member.user.username == "officer@school.example"
