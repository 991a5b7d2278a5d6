import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from centres.tests.factories import ExamSessionFactory
from exams.admin import boundary_lines_parse
from exams.models import Component, Exam, GradeBoundaryTable
from exams.selectors import boundary_table_current
from exams.services import boundary_table_set

pytestmark = pytest.mark.django_db


def test_a_change_is_a_new_version_and_is_audited() -> None:
    session = ExamSessionFactory()
    officer = UserFactory(is_staff=True)
    first = boundary_table_set(
        session=session,
        kind=GradeBoundaryTable.Kind.AGGREGATE,
        boundaries=[("Grade A", 128), ("Grade B", 112), ("Grade C", 96)],
        actor=officer,
        reason="awarding meeting",
    )
    second = boundary_table_set(
        session=session,
        kind=GradeBoundaryTable.Kind.AGGREGATE,
        boundaries=[("Grade A", 127), ("Grade B", 112), ("Grade C", 96)],
        actor=officer,
        reason="post-awarding review",
    )

    assert (first.version, second.version) == (1, 2)
    assert boundary_table_current(session=session, kind=GradeBoundaryTable.Kind.AGGREGATE) == second
    events = list(AuditEvent.objects.filter(action="boundary.change").order_by("at"))
    assert [e.reason for e in events] == ["awarding meeting", "post-awarding review"]
    assert events[1].detail["before"][0] == ["Grade A", "128"]
    assert events[1].detail["after"][0] == ["Grade A", "127"]
    assert events[1].actor == officer


@pytest.mark.parametrize(
    ("kind", "boundaries", "problem"),
    [
        (GradeBoundaryTable.Kind.AGGREGATE, [("Grade A", 90), ("Grade B", 100)], "Grade"),
        (GradeBoundaryTable.Kind.PROFILE, [("exceptional", 80), ("good", 65)], "missing the borderline boundary"),
        (GradeBoundaryTable.Kind.PROFILE, [("exceptional", 50), ("good", 65), ("borderline", 40)], ""),
    ],
)
def test_invalid_boundaries_are_refused_with_the_reason(kind: str, boundaries: list, problem: str) -> None:
    session = ExamSessionFactory()

    with pytest.raises(ValidationError, match=f"Grade boundaries are not valid: .*{problem}"):
        boundary_table_set(session=session, kind=kind, boundaries=boundaries, actor=None, reason="x")
    assert not GradeBoundaryTable.objects.exists()


def test_unit_raw_boundaries_need_a_unit_of_the_exam_within_its_maximum() -> None:
    exam = Exam.objects.create(code="ANBUS", name="Advanced National in Business", family=Exam.Family.UNITISED)
    unit = Component.objects.create(exam=exam, code="F240", name="Unit F240", kind="examined_unit", max_mark=60)
    session = ExamSessionFactory(exam=exam)
    ok = [("pass", 20), ("merit", 30), ("distinction", 40)]

    table = boundary_table_set(
        session=session, component=unit, kind=GradeBoundaryTable.Kind.UNIT_RAW, boundaries=ok, actor=None, reason="x"
    )
    assert table.boundaries == [["pass", "20"], ["merit", "30"], ["distinction", "40"]]
    with pytest.raises(ValidationError, match="choose the unit"):
        boundary_table_set(
            session=session, kind=GradeBoundaryTable.Kind.UNIT_RAW, boundaries=ok, actor=None, reason=""
        )
    with pytest.raises(ValidationError, match="at most the unit's maximum 60"):
        boundary_table_set(
            session=session,
            component=unit,
            kind=GradeBoundaryTable.Kind.UNIT_RAW,
            boundaries=[("pass", 20), ("merit", 30), ("distinction", 61)],
            actor=None,
            reason="",
        )
    reading = Component.objects.get(exam__code="FCE", code="reading")
    with pytest.raises(ValidationError, match="is not a component of ANBUS"):
        boundary_table_set(
            session=session,
            component=reading,
            kind=GradeBoundaryTable.Kind.AGGREGATE,
            boundaries=ok,
            actor=None,
            reason="",
        )


def test_boundary_lines_name_the_bad_line() -> None:
    assert boundary_lines_parse("Grade A = 128\n\nGrade B=112") == [("Grade A", "128"), ("Grade B", "112")]
    with pytest.raises(ValidationError) as refused:
        boundary_lines_parse("Grade A = 128\nGrade B 112")
    assert refused.value.messages == ["line 2: write 'label = minimum', not 'Grade B 112'"]


def test_admin_adds_a_version_with_the_staff_member_as_author(board_client: Client) -> None:
    session = ExamSessionFactory()
    response = board_client.post(
        "/admin/exams/gradeboundarytable/add/",
        {
            "session": session.pk,
            "kind": GradeBoundaryTable.Kind.PROFILE,
            "lines": "exceptional = 80\ngood = 65\nborderline = 50",
            "source": "awarding meeting minutes",
            "reason": "first table",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    table = GradeBoundaryTable.objects.get()
    assert table.version == 1
    assert table.created_by is not None and table.created_by.is_superuser


def test_admin_without_2fa_is_sent_to_the_login_page(admin_client: Client) -> None:
    response = admin_client.get("/admin/exams/gradeboundarytable/add/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_boundary_list_shows_a_table_and_the_form_names_sessions(board_client: Client) -> None:
    session = ExamSessionFactory()
    boundary_table_set(
        session=session,
        kind=GradeBoundaryTable.Kind.PROFILE,
        boundaries=[("exceptional", 80), ("good", 65), ("borderline", 50)],
        actor=None,
        reason="first",
    )

    listing = board_client.get("/admin/exams/gradeboundarytable/").content.decode()
    form = board_client.get("/admin/exams/gradeboundarytable/add/").content.decode()

    assert "<tr><th scope='row'>exceptional</th><td>80</td></tr>" in listing
    assert f'<option value="{session.pk}">{session}</option>' in form
    assert 'name="session"' in form and "vForeignKeyRawIdAdminField" not in form
