"""Walk the portal as ``make run`` serves it (SQLite, tasks in-process, local-memory cache, console mail).

Run by tests/embedded/test_make_run.py in a process of its own with ``results_portal.settings.local`` and no
DATABASE_URL or REDIS_URL, after ``migrate`` and ``load_demo``. Prints one line per step; exits non-zero (an
AssertionError) at the first page that does not answer as a visitor would expect.
"""

import django

django.setup()

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import User  # noqa: E402
from candidates.models import CandidateAccount  # noqa: E402
from centres.models import Entry, StaffMember  # noqa: E402
from results.demo import demo_load  # noqa: E402
from results.models import Result  # noqa: E402
from results.services import results_release_due  # noqa: E402


def _step(name: str, ok: bool, detail: object = "") -> None:
    print(f"{'ok' if ok else 'FAILED'}  {name} {detail}")
    assert ok, name


def main() -> None:
    _, entries = demo_load()
    visible = {
        r.entry.candidate_id
        for r in Result.objects.filter(released_at__lte=timezone.now(), status=Result.Status.RELEASED).select_related(
            "entry"
        )
    }
    demo = next(e for e in entries if e.candidate_id in visible)
    entry = Entry.objects.get(candidate_id=demo.candidate_id)
    client = Client(HTTP_HOST="127.0.0.1")  # as runserver is asked

    _step("home page", client.get("/").status_code == 200)
    _step("statistics", client.get("/statistics/").status_code == 200)
    _step("score converter", client.get("/tools/score-converter/").status_code == 200)
    answer = client.post(
        "/api/v1/verifications",
        {"candidate_id": demo.candidate_id, "secret_number": demo.secret_number},
        content_type="application/json",
    )
    _step("verification API", answer.status_code == 200, answer.status_code)

    user = User.objects.create_user(username="walk@example.org", email="walk@example.org", password="walk-the-portal")
    account = CandidateAccount.objects.create(user=user, email_confirmed_at=timezone.now())
    account.links.create(entry=entry)
    login = client.post("/results/login/", {"candidate_id": demo.candidate_id, "password": "walk-the-portal"})
    _step("candidate login", login.status_code == 302, login.status_code)
    _step("dashboard", client.get("/results/").status_code == 200)
    for visit in ("first", "second"):
        page = client.get(f"/results/{entry.public_id}/")
        _step(f"statement ({visit} visit)", page.status_code == 200 and entry.candidate_id in page.content.decode())
    _step("release job", isinstance(results_release_due(), int))

    # The centre's candidate search on SQLite: a full name backwards, without its accents, with filters and a sort.
    person = entry.person
    member = StaffMember.objects.filter(centre=entry.centre).select_related("user").first()
    _step("demo centre staff", member is not None)
    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(member.user)  # type: ignore[union-attr]
    session = staff.session
    device = TOTPDevice.objects.filter(user=member.user).first()  # type: ignore[union-attr]
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # type: ignore[union-attr]
    session.save()
    query = f"{person.last_name} {person.first_name}".upper()
    found = staff.get("/centre/", {"q": query, "result": "released", "registered": "yes", "sort": "exam"})
    _step("centre search by full name", found.status_code == 200 and entry.candidate_id in found.content.decode())


if __name__ == "__main__":
    main()
