"""factory_boy factories for centres, candidates and entries."""

import datetime as dt

import factory
from django.utils import timezone

from centres.models import Candidate, Centre, Entry, StaffMember
from centres.services import secret_number_hash
from exams.models import Exam, ExamSession

DEFAULT_SECRET = "4821"


class CentreFactory(factory.django.DjangoModelFactory[Centre]):
    class Meta:
        model = Centre
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"GB{100 + n}")
    name = factory.Sequence(lambda n: f"Test Centre {n}")
    country = "United Kingdom"
    email = factory.LazyAttribute(lambda c: f"exams@{c.number.lower()}.example")


class ExamSessionFactory(factory.django.DjangoModelFactory[ExamSession]):
    class Meta:
        model = ExamSession
        django_get_or_create = ("exam", "date", "mode")

    exam = factory.LazyFunction(lambda: Exam.objects.get(code="FCE"))
    date = factory.Sequence(lambda n: timezone.localdate() + dt.timedelta(days=30 + n))
    mode = ExamSession.Mode.PAPER


class CandidateFactory(factory.django.DjangoModelFactory[Candidate]):
    class Meta:
        model = Candidate

    centre = factory.SubFactory(CentreFactory)
    first_name = factory.Sequence(lambda n: f"Ana{n}")
    last_name = "López"
    date_of_birth = dt.date(2006, 5, 17)
    email = ""


class EntryFactory(factory.django.DjangoModelFactory[Entry]):
    """An entry whose secret number is ``secret`` (default ``DEFAULT_SECRET``)."""

    class Meta:
        model = Entry
        exclude = ("secret",)

    secret = DEFAULT_SECRET
    person = factory.SubFactory(CandidateFactory)
    centre = factory.SelfAttribute("person.centre")
    session = factory.SubFactory(ExamSessionFactory)
    candidate_id = factory.Sequence(lambda n: f"TST{n:06d}")
    secret_hash = factory.LazyAttribute(lambda e: secret_number_hash(secret_number=e.secret))
    secret_issued_at = factory.LazyFunction(timezone.now)


class StaffMemberFactory(factory.django.DjangoModelFactory[StaffMember]):
    class Meta:
        model = StaffMember

    centre = factory.SubFactory(CentreFactory)
    role = StaffMember.Role.EXAMS_OFFICER
    user = factory.SubFactory(
        "accounts.tests.factories.UserFactory",
        username=factory.Sequence(lambda n: f"officer{n}@centre.example"),
        email=factory.SelfAttribute("username"),
    )


class EntryRowFactory(factory.DictFactory):
    """One row of an ``entries.csv`` file (all values are text, as in the file)."""

    centre_number = "GB900"
    candidate_id = ""
    first_name = factory.Sequence(lambda n: f"Ana{n}")
    last_name = "López"
    date_of_birth = "2008-03-14"
    email = factory.Sequence(lambda n: f"ana{n}@example.org")
    exam_code = "FCE"
    session_date = "2027-06-12"
    mode = "paper"


def csv_text(rows: list[dict[str, str]], *, columns: list[str] | None = None) -> str:
    """Return a CSV file's text with a header line (``columns``, default the first row's keys) and ``rows``."""
    import csv
    import io

    header = columns if columns is not None else list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return buffer.getvalue()


def entry_row(**overrides: str) -> dict[str, str]:
    """Return one ``entries.csv`` row: ``EntryRowFactory`` values with ``overrides``."""
    row: dict[str, str] = EntryRowFactory.build(**overrides)
    return row
