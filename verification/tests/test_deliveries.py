"""Send my result: deliveries, what an organisation sees of them, and how they follow the result's events."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from results.events import result_event_dispatch, result_event_record
from results.models import Result, ResultEvent
from results.services import result_hold, result_unhold
from results.tests.factories import account_for
from verification import deliveries
from verification.models import Delivery, DeliveryEvent, Verification
from verification.tests.conftest import organisation, released_entry, unreleased_entry

pytestmark = pytest.mark.django_db

Kind = DeliveryEvent.Kind
OnCommit = Callable[..., Any]


def listed(name: str = "University of Testing", country: str = "Spain", **kwargs: Any) -> Any:
    org = organisation(name=name, **kwargs)
    org.country, org.listed, org.kind = country, True, "university"
    org.save()
    return org


def _send(account: Any, entry: Any, org: Any, disclosure: str = "minimal") -> Delivery:
    (delivery,) = deliveries.deliveries_send(
        account=account, entry_ids=[entry.public_id], organisation_ids=[org.public_id], disclosure=disclosure
    )
    return delivery


def _amend(result: Result, *, grade: str = "Grade A", overall: int = 182) -> None:
    Result.objects.filter(pk=result.pk).update(
        version=result.version + 1, amended_at=timezone.now(), grade=grade, overall_score=overall
    )
    result_event_record(kind=ResultEvent.Kind.AMENDED, result_ids=[result.pk])


def _shown(delivery: Delivery) -> deliveries.DeliveredResult:
    return deliveries.deliveries_shown(deliveries=[deliveries.delivery_queryset().get(pk=delivery.pk)])[0]


def test_the_directory_lists_vetted_listed_organisations_searched_by_name_and_country() -> None:
    madrid = listed("Universidad de Madrid", "Spain")
    listed("Lyon Institute", "France")
    organisation(name="Unlisted College")  # vetted, not listed
    hidden = listed("Unvetted School", "Spain")
    hidden.verified_at = None
    hidden.save()

    assert list(deliveries.directory_search(name="madrid")) == [madrid]
    assert list(deliveries.directory_search(country="spain")) == [madrid]
    assert [o.name for o in deliveries.directory_search()] == ["Lyon Institute", "Universidad de Madrid"]
    assert deliveries.directory_countries() == ["France", "Spain"]


def test_a_minimal_delivery_shows_exam_date_result_and_cefr_only(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    entry = released_entry(person__first_name="Lucía", person__last_name="Vega")
    account = account_for(entry)
    org = listed()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _send(account, entry, org)

    body = deliveries.delivery_json(_shown(delivery))
    assert body["status"] == "current" and body["disclosure"] == "minimal"
    assert body["candidate"] == {"name": "Lucía Vega"}
    assert body["result"] == {
        "exam_code": "FCE",
        "exam_name": entry.session.exam.name,
        "session_date": entry.session.date.isoformat(),
        "result": "Grade B",
        "cefr_level": "B2",
        "amended_at": None,
    }
    assert AuditEvent.objects.filter(action="delivery.sent", subject=entry.candidate_id).count() == 1
    assert [e.kind for e in DeliveryEvent.objects.all()] == [Kind.CREATED]
    assert [m.to for m in mail.outbox] == [[org.email]]
    assert "Grade B" not in mail.outbox[0].body and "Vega" not in mail.outbox[0].body


def test_a_full_delivery_adds_scores_candidate_id_and_date_of_birth() -> None:
    entry = released_entry()
    org = listed()
    delivery = _send(account_for(entry), entry, org, disclosure="full")

    body = deliveries.delivery_json(_shown(delivery))
    assert body["candidate"]["candidate_id"] == entry.candidate_id
    assert body["candidate"]["date_of_birth"] == entry.person.date_of_birth.isoformat()
    assert body["result"]["overall_score"] == 176
    assert set(body["result"]["components"]) == {"reading", "use_of_english", "writing", "listening", "speaking"}


def test_only_own_visible_results_go_only_to_directory_organisations() -> None:
    entry = released_entry()
    account = account_for(entry)
    stranger = released_entry()
    embargoed = unreleased_entry()
    account_for(embargoed)
    org = listed()
    unlisted = organisation(name="Unlisted College")

    for entry_id in (stranger.public_id, embargoed.public_id):
        with pytest.raises(ValidationError, match="released results"):
            deliveries.deliveries_send(
                account=account, entry_ids=[entry_id], organisation_ids=[org.public_id], disclosure="full"
            )
    with pytest.raises(ValidationError, match="directory"):
        deliveries.deliveries_send(
            account=account, entry_ids=[entry.public_id], organisation_ids=[unlisted.public_id], disclosure="full"
        )
    assert not Delivery.objects.exists()


def test_sending_again_to_the_same_organisation_does_not_duplicate() -> None:
    entry = released_entry()
    account = account_for(entry)
    org = listed()
    _send(account, entry, org)
    again = deliveries.deliveries_send(
        account=account, entry_ids=[entry.public_id], organisation_ids=[org.public_id], disclosure="minimal"
    )
    assert again == [] and Delivery.objects.count() == 1


def test_amendment_hold_and_release_again_reach_the_organisation_once_each(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    entry = released_entry()
    org = listed()
    delivery = _send(account_for(entry), entry, org)
    result = Result.objects.get(entry=entry)
    opened = deliveries.delivery_open(organisation=org, public_id=delivery.public_id)
    assert opened is not None and not _shown(delivery).is_new

    with django_capture_on_commit_callbacks(execute=True):
        _amend(result)
    shown = _shown(delivery)
    assert (shown.status, shown.is_new) == ("amended", True)
    assert deliveries.delivery_json(shown)["result"]["result"] == "Grade A"

    with django_capture_on_commit_callbacks(execute=True):
        result_hold(result=result, actor=None, reason="malpractice review")
    held = deliveries.delivery_json(_shown(delivery))
    assert held["status"] == "held" and held["result"]["result"] is None and held["result"]["cefr_level"] is None

    with django_capture_on_commit_callbacks(execute=True):
        result_unhold(result=result, actor=None, reason="cleared")
    assert _shown(delivery).status == "amended"

    # A result event dispatched again (the beat job's redispatch) tells nobody twice.
    for event in ResultEvent.objects.all():
        ResultEvent.objects.filter(pk=event.pk).update(handled_at=None)
        result_event_dispatch(event_id=event.pk)
    assert [e.kind for e in DeliveryEvent.objects.order_by("pk")] == [
        Kind.CREATED,
        Kind.AMENDED,
        Kind.HELD,
        Kind.RELEASED_AGAIN,
    ]


def test_a_withdrawn_delivery_keeps_the_record_but_not_the_result(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    entry = released_entry()
    account = account_for(entry)
    org = listed()
    delivery = _send(account, entry, org)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries.delivery_withdraw(account=account, public_id=delivery.public_id)
    assert not deliveries.delivery_withdraw(account=account, public_id=delivery.public_id)

    body = deliveries.delivery_json(_shown(delivery))
    assert body["status"] == "withdrawn" and "result" not in body and "candidate" not in body
    assert DeliveryEvent.objects.filter(kind=Kind.WITHDRAWN).count() == 1
    # Amending a withdrawn delivery's result tells the organisation nothing.
    with django_capture_on_commit_callbacks(execute=True):
        _amend(Result.objects.get(entry=entry))
    assert not DeliveryEvent.objects.filter(kind=Kind.AMENDED).exists()


def test_another_candidate_cannot_withdraw_a_delivery() -> None:
    entry = released_entry()
    delivery = _send(account_for(entry), entry, listed())
    other = account_for(released_entry())
    assert not deliveries.delivery_withdraw(account=other, public_id=delivery.public_id)


def test_opening_a_delivery_is_seen_by_the_candidate() -> None:
    entry = released_entry()
    org = listed()
    delivery = _send(account_for(entry), entry, org)
    deliveries.delivery_open(organisation=org, public_id=delivery.public_id)
    deliveries.delivery_open(organisation=org, public_id=delivery.public_id)
    other = listed("Other University")
    assert deliveries.delivery_open(organisation=other, public_id=delivery.public_id) is None
    rows = list(Verification.objects.filter(entry=entry))
    assert [(r.channel, r.organisation_name) for r in rows] == [("sent", org.name)]


def test_inbox_filters_by_state_and_status() -> None:
    org = listed()
    entries = [released_entry(person__last_name=name) for name in ("Abbott", "Brennan", "Castillo")]
    sent = [_send(account_for(e), e, org) for e in entries]
    deliveries.delivery_open(organisation=org, public_id=sent[0].public_id)
    result_hold(result=Result.objects.get(entry=entries[1]), actor=None, reason="review")

    def ids(**filters: str) -> set[Any]:
        return {d.pk for d in deliveries.organisation_inbox(organisation=org, **filters)}

    assert ids(state="opened") == {sent[0].pk}
    assert ids(state="new") == {sent[1].pk, sent[2].pk}
    assert ids(status="held") == {sent[1].pk}
    assert ids(status="current") == {sent[0].pk, sent[2].pk}
    assert ids(name="castillo") == {sent[2].pk}


def test_showing_the_inbox_costs_the_same_queries_for_few_and_many() -> None:
    org = listed()

    def count(n: int) -> int:
        for _ in range(n):
            entry = released_entry()
            _send(account_for(entry), entry, org)
        with CaptureQueriesContext(connection) as queries:
            rows = list(deliveries.organisation_inbox(organisation=org))
            deliveries.deliveries_shown(deliveries=rows)
        return len(queries)

    assert count(2) == count(20)


def test_invitations_are_limited_and_never_sent_to_a_registered_address(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    account = account_for(released_entry())
    org = listed()
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.organisation_invite(account=account, email="Admissions@New.example", organisation_name="New U")
        deliveries.organisation_invite(account=account, email="admissions@new.example", organisation_name="New U")
        deliveries.organisation_invite(account=account, email=org.email, organisation_name=org.name)
    assert [m.to for m in mail.outbox] == [["admissions@new.example"]]
    for n in range(deliveries.INVITES_PER_DAY - 3):
        deliveries.organisation_invite(account=account, email=f"x{n}@example.org", organisation_name="X")
    with pytest.raises(ValidationError, match="today"):
        deliveries.organisation_invite(account=account, email="late@example.org", organisation_name="Late")


def test_a_delivery_event_moves_to_the_top_of_the_feed() -> None:
    org = listed()
    entry = released_entry()
    delivery = _send(account_for(entry), entry, org)
    assert delivery.changed_at <= timezone.now() + dt.timedelta(seconds=1)
