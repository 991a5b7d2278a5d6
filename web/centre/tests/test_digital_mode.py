"""The digital mode is named "Digital" wherever the centre area names a mode, through the one list of modes
(docs/domain.md §16.3)."""

import datetime as dt

import pytest

from centres.tests.factories import CentreFactory, EntryFactory, ExamSessionFactory, StaffMemberFactory
from conftest import CommittingClient, otp_login
from exams.models import Exam

pytestmark = pytest.mark.django_db


def test_the_centre_sees_a_digital_entry_as_digital() -> None:
    member = StaffMemberFactory(centre=CentreFactory())
    client = otp_login(CommittingClient(), member.user)
    session = ExamSessionFactory(exam=Exam.objects.get(code="KET"), date=dt.date(2031, 6, 14), mode="digital")
    entry = EntryFactory(person__centre=member.centre, session=session)

    listing = client.get("/centre/").content.decode()
    page = client.get(f"/centre/entries/{entry.public_id}/").content.decode()

    assert "<td>Digital</td>" in listing
    assert "(Digital)" in page
    assert "14 June 2031" in page
