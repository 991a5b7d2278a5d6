"""Results delivered to organisations at the candidate's direction (docs/domain.md §11.7).

A candidate sends released results to organisations of the directory, choosing what to disclose (full or
minimal); the organisation sees them in its inbox, in the feed (``/api/v1/deliveries``) and by webhook. Every
change an organisation hears of is a ``DeliveryEvent``: sent, withdrawn, and the result events that follow a
delivered result (amended, held, released again, from ``results.events`` through ``verification.receivers``).
``delivery_events_record`` is the one place that writes them and their reactions: the inbox's "new" state, the
webhook outbox rows (``verification.webhooks``) and the email to the organisation's contact (a row of the
portal's email outbox, ``results.emails``).

What an organisation sees of a delivered result is what any verifier who holds the entry sees
(``selectors.entries_verified``, through the one presentation of a result), cut down to what was disclosed.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from candidates.models import CandidateAccount
from results.emails import EmailText, outgoing_emails_dispatch, outgoing_emails_write
from results.models import OutgoingEmail, Result
from results.selectors import Audience, results_visible

from . import tasks
from .models import Delivery, DeliveryEvent, OrganisationInvite, Verification, VerifierOrganisation
from .selectors import EntryFacts, ResultFacts, VerifiedEntry, entries_verified

Kind = DeliveryEvent.Kind
Disclosure = Delivery.Disclosure

# --- Live status of a delivery, as the inbox, the feed and the webhooks name it -------------------------
CURRENT, AMENDED, HELD, WITHDRAWN = "current", "amended", "held", "withdrawn"
STATUS_LABELS = {
    CURRENT: _("Current"),
    AMENDED: _("Amended since it was sent"),
    HELD: _("Held for review: not available now"),
    WITHDRAWN: _("Withdrawn by the candidate"),
}

NOTHING_CHOSEN_RESULTS = _("Choose at least one of your released results.")
NOTHING_CHOSEN_ORGANISATIONS = _("Choose at least one organisation from the directory.")
NOT_IN_DIRECTORY = _("This organisation is not in the directory any more. Search again.")
INVITES_PER_DAY = 10
INVITE_TOO_MANY = _("You have invited %(count)s organisations today. Try again tomorrow.")


@dataclass(frozen=True)
class DeliveredResult:
    """One delivery as its organisation sees it now: the live status, and the result as disclosed.

    ``verified`` is None for a withdrawn delivery (the organisation keeps the record, not the result);
    ``date_of_birth`` is set for a full disclosure only.
    """

    delivery: Delivery
    status: str
    verified: VerifiedEntry | None
    date_of_birth: dt.date | None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_new(self) -> bool:
        return delivery_is_new(self.delivery)

    @property
    def facts(self) -> ResultFacts | None:
        return self.verified.results[0] if self.verified is not None and self.verified.results else None


def delivery_is_new(delivery: Delivery) -> bool:
    """Return whether the organisation has not opened the delivery since it was sent or last changed."""
    return delivery.opened_at is None or delivery.opened_at < delivery.changed_at


def _disclosed(verified: VerifiedEntry, disclosure: str) -> VerifiedEntry:
    """Cut what a verifier sees down to a minimal disclosure: exam, date, result and CEFR level (and the name)."""
    if disclosure == Disclosure.FULL:
        return verified
    results = tuple(replace(f, overall_score=None, overall_display="", components=()) for f in verified.results)
    return replace(verified, candidate_id="", results=results)


def deliveries_shown(*, deliveries: Sequence[Delivery], now: dt.datetime | None = None) -> list[DeliveredResult]:
    """Return what the organisation sees of each of these deliveries now, in one query for all their results.

    The deliveries are loaded with ``delivery_queryset`` (entry, person, session, exam, centre, result).
    """
    moment = now or timezone.now()
    live = [d for d in deliveries if d.withdrawn_at is None]
    verified = entries_verified(entries=[EntryFacts.of(d.entry) for d in live], now=moment) if live else {}
    shown = []
    for delivery in deliveries:
        if delivery.withdrawn_at is not None:
            shown.append(DeliveredResult(delivery=delivery, status=WITHDRAWN, verified=None, date_of_birth=None))
            continue
        entry_verified = verified[delivery.entry_id]
        if not entry_verified.has_released:
            status = HELD
        elif delivery.result.version > delivery.result_version:
            status = AMENDED
        else:
            status = CURRENT
        full = delivery.disclosure == Disclosure.FULL
        shown.append(
            DeliveredResult(
                delivery=delivery,
                status=status,
                verified=_disclosed(entry_verified, delivery.disclosure),
                date_of_birth=delivery.entry.person.date_of_birth if full else None,
            )
        )
    return shown


def delivery_queryset() -> QuerySet[Delivery]:
    """Return deliveries with what showing them needs, in one query."""
    return Delivery.objects.select_related(
        "entry__person", "entry__session__exam", "entry__centre", "result", "organisation"
    )


def delivery_json(shown: DeliveredResult) -> dict[str, Any]:
    """Return a delivery as the feed and the webhooks carry it: only what the candidate disclosed."""
    delivery = shown.delivery
    body: dict[str, Any] = {
        "id": str(delivery.public_id),
        "sent_at": delivery.created_at.isoformat(),
        "disclosure": delivery.disclosure,
        "status": shown.status,
        "withdrawn_at": delivery.withdrawn_at.isoformat() if delivery.withdrawn_at else None,
    }
    if shown.verified is None:
        return body
    candidate: dict[str, Any] = {"name": shown.verified.candidate_name}
    if delivery.disclosure == Disclosure.FULL:
        candidate["candidate_id"] = shown.verified.candidate_id
        candidate["date_of_birth"] = shown.date_of_birth.isoformat() if shown.date_of_birth else None
    body["candidate"] = candidate
    facts = shown.facts
    if facts is not None:
        released = facts.is_released
        result: dict[str, Any] = {
            "exam_code": facts.exam_code,
            "exam_name": facts.exam_name,
            "session_date": facts.session_date.isoformat(),
            "result": facts.result if released else None,
            "cefr_level": facts.cefr_level if released else None,
            "amended_at": facts.amended_at.isoformat() if released and facts.amended_at else None,
        }
        if delivery.disclosure == Disclosure.FULL:
            result["overall_score"] = facts.overall_score if released else None
            result["components"] = {c.code: c.score for c in facts.components} if released else None
        body["result"] = result
    return body


# --- The directory -----------------------------------------------------------------------------------
def directory_organisations() -> QuerySet[VerifierOrganisation]:
    """Return the organisations candidates may send results to: listed, vetted by the board, confirmed, active."""
    return VerifierOrganisation.objects.filter(
        listed=True, verified_at__isnull=False, email_confirmed_at__isnull=False, user__is_active=True
    ).order_by("name", "pk")


def directory_search(*, name: str = "", country: str = "") -> QuerySet[VerifierOrganisation]:
    """Return the directory's organisations whose name and country contain these words (case ignored)."""
    found = directory_organisations()
    for word in name.split():
        found = found.filter(name__icontains=word)
    if country.strip():
        found = found.filter(country__icontains=country.strip())
    return found


def directory_countries() -> list[str]:
    """Return the countries of the directory's organisations, for the search form's suggestions."""
    return sorted(set(directory_organisations().values_list("country", flat=True)))


# --- Recording events and their reactions ------------------------------------------------------------------
# The transaction-level advisory lock every writer of delivery events holds from just before its INSERT until it
# commits (docs/decisions/0017-delivery-events-in-id-order.md).
DELIVERY_EVENTS_LOCK = int.from_bytes(
    hashlib.blake2b(b"verification:delivery-events", digest_size=8).digest(), "big", signed=True
)


def _delivery_events_take_turn() -> None:
    """Wait until no other transaction that wrote delivery events is still open; hold the turn until commit.

    Event ids come from a sequence in the order they are asked for, not in the order their transactions
    commit. The feed's cursor is an event id and each endpoint's webhooks go out in event id order, so an event
    committed after one with a higher id would be skipped by an organisation that had read the higher one
    already. Taking this lock before asking for ids, and keeping it until commit, makes ids become visible in
    their order. Call it after the transaction's row locks: once it holds the lock, a writer never waits for a
    transaction that is waiting for the lock (no deadlock).
    """
    if connection.vendor != "postgresql":  # SQLite (make run) lets one transaction write at a time
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DELIVERY_EVENTS_LOCK])


@transaction.atomic(savepoint=False)
def delivery_events_record(
    *, deliveries: Iterable[Delivery], kind: str, result_event_id: int | None = None
) -> list[DeliveryEvent]:
    """Record that ``kind`` happened to these deliveries, once each, and everything that follows from it.

    Inside the caller's transaction: the event rows (the feed), the delivery's "new" state in the inbox, one
    webhook outbox row per live endpoint of the organisation, and one email outbox row per organisation to its
    contact (``_organisation_emails_write``); after commit the webhooks are flushed and the emails sent. A
    result event recorded again (``results.events`` dispatches until every listener succeeded) writes nothing
    more: the unique constraints on ``DeliveryEvent`` hold it. The events of concurrent transactions become
    visible in the order of their ids (``_delivery_events_take_turn``). A constant number of queries however
    many deliveries and organisations.
    """
    from .webhooks import webhook_messages_create

    chosen = list(deliveries)
    if not chosen:
        return []
    done: set[int] = set()
    if result_event_id is not None:
        done = set(
            DeliveryEvent.objects.filter(
                result_event_id=result_event_id, delivery__in=[d.pk for d in chosen]
            ).values_list("delivery_id", flat=True)
        )
    elif kind in {Kind.CREATED, Kind.WITHDRAWN}:
        done = set(
            DeliveryEvent.objects.filter(kind=kind, delivery__in=[d.pk for d in chosen]).values_list(
                "delivery_id", flat=True
            )
        )
    rows = [
        DeliveryEvent(delivery=d, organisation_id=d.organisation_id, kind=kind, result_event_id=result_event_id)
        for d in chosen
        if d.pk not in done
    ]
    if not rows:
        return []
    # The deliveries' rows are locked first, the turn taken last: a transaction waiting for the turn may hold a
    # delivery's row lock (a withdrawal), and the one holding the turn must never wait for it.
    now = timezone.now()
    Delivery.objects.filter(pk__in=[row.delivery_id for row in rows]).update(changed_at=now)
    # Read before the turn, so that the turn is held no longer for it.
    contacts = _organisation_contacts(organisation_ids={row.organisation_id for row in rows})
    for row in rows:
        if row.organisation_id in contacts:
            row.emailed_at = now
    _delivery_events_take_turn()
    events = DeliveryEvent.objects.bulk_create(rows)
    endpoint_ids = webhook_messages_create(events=events)
    email_ids = _organisation_emails_write(events=events, contacts=contacts)

    def queue() -> None:
        from .webhooks import webhooks_flush_queue

        webhooks_flush_queue(endpoint_ids=endpoint_ids)

    transaction.on_commit(queue, robust=True)
    outgoing_emails_dispatch(email_ids=email_ids)
    return events


# --- Emails to the organisations' contacts: rows of the portal's email outbox (results.emails) ----------------
class _Contact(NamedTuple):
    """Where an organisation's emails go: its contact address, in its language, while its user is active."""

    user_id: int
    name: str
    address: str
    language: str


def _organisation_contacts(*, organisation_ids: Iterable[int]) -> dict[int, _Contact]:
    """Return the contact of each of these organisations that can still be emailed (its user active), by id."""
    found = VerifierOrganisation.objects.filter(pk__in=list(organisation_ids), user__is_active=True)
    return {
        pk: _Contact(user_id=user_id, name=name, address=address, language=language)
        for pk, user_id, name, address, language in found.values_list("pk", "user_id", "name", "email", "language")
    }


def _organisation_emails_write(*, events: Sequence[DeliveryEvent], contacts: dict[int, _Contact]) -> list[int]:
    """Write one email per organisation among ``contacts`` to tell of its events of this batch; return the ids.

    The email's source key is the organisation's first event of the batch, so a batch of events gives each
    organisation one email, however many events it holds and however often this runs. The email says how many
    changes and of which kinds (``deliveries_changed_email``); never whose, nor what the results are.
    """
    grouped: dict[int, list[DeliveryEvent]] = defaultdict(list)
    for event in events:
        if event.organisation_id in contacts:
            grouped[event.organisation_id].append(event)
    emails = []
    for organisation_id, batch in grouped.items():
        contact = contacts[organisation_id]
        emails.append(
            OutgoingEmail(
                kind=OutgoingEmail.Kind.DELIVERIES_CHANGED,
                address=contact.address,
                language=contact.language,
                user_id=contact.user_id,
                source_key=f"deliveries_changed:{organisation_id}:{min(event.pk for event in batch)}",
                context={
                    "organisation": contact.name,
                    "count": len(batch),
                    "kinds": sorted({event.kind for event in batch}),
                },
            )
        )
    return outgoing_emails_write(emails=emails)


def deliveries_changed_email(context: dict[str, Any]) -> EmailText:
    """Return what the email to an organisation's contact says, in the active language (the outbox renders it).

    How many changes of which kinds reached the organisation, and the link to its inbox: no candidate's name,
    no result. ``context`` is what ``_organisation_emails_write`` stored.
    """
    words = {
        "organisation": context["organisation"],
        "count": context["count"],
        "kinds": [Kind(kind).label for kind in context["kinds"]],
        "link": settings.SITE_URL + reverse("verification:inbox"),
    }
    return EmailText(
        subject=render_to_string("verification/email/deliveries_changed_subject.txt", words),
        text=render_to_string("verification/email/deliveries_changed.txt", words),
    )


@transaction.atomic
def delivery_events_email_write(*, event_ids: Sequence[int]) -> list[int]:
    """Write and queue the organisation emails of these events that have none yet; return the emails' ids.

    For events recorded before their emails went through the outbox (the task ``delivery_events_email``
    queued by the previous release). Events written since are marked ``emailed_at`` as they are written.
    """
    events = list(
        DeliveryEvent.objects.select_for_update()
        .filter(pk__in=list(event_ids), emailed_at__isnull=True)
        .order_by("pk")
    )
    contacts = _organisation_contacts(organisation_ids={event.organisation_id for event in events})
    emailed = [event.pk for event in events if event.organisation_id in contacts]
    DeliveryEvent.objects.filter(pk__in=emailed).update(emailed_at=timezone.now())
    email_ids = _organisation_emails_write(events=events, contacts=contacts)
    outgoing_emails_dispatch(email_ids=email_ids)
    return email_ids


def deliveries_result_changed(*, kind: str, result_ids: Sequence[int], result_event_id: int | None) -> int:
    """Tell every organisation that received one of these results (not withdrawn) that it changed."""
    deliveries = Delivery.objects.filter(result_id__in=result_ids, withdrawn_at__isnull=True).order_by("pk")
    return len(delivery_events_record(deliveries=deliveries, kind=kind, result_event_id=result_event_id))


# --- What a candidate does ---------------------------------------------------------------------------------
def results_sendable(*, account: CandidateAccount) -> QuerySet[Result]:
    """Return the candidate's results they may send: released and visible to them now (never held)."""
    return (
        results_visible(audience=Audience.candidate(account.pk))
        .prefetch_related(None)
        .select_related("entry__session__exam")
        .order_by("-entry__session__date", "pk")
    )


@transaction.atomic
def deliveries_send(
    *,
    account: CandidateAccount,
    entry_ids: Sequence[Any],
    organisation_ids: Sequence[Any],
    disclosure: str,
) -> list[Delivery]:
    """Send the candidate's released results (entries' public ids) to directory organisations (public ids).

    Checked again here, whatever the form showed: each result must be visible to the candidate now and each
    organisation in the directory. A result already sent to an organisation (and not withdrawn) is not sent
    twice. Audited; each delivery is an event the organisation hears of.
    """
    if disclosure not in Disclosure.values:
        raise ValidationError({"disclosure": _("Choose what to disclose: full or minimal.")})
    results = list(results_sendable(account=account).filter(entry__public_id__in=list(entry_ids)))
    if not results or len(results) != len(set(entry_ids)):
        raise ValidationError({"results": NOTHING_CHOSEN_RESULTS})
    organisations = list(directory_organisations().filter(public_id__in=list(organisation_ids)))
    if not organisations:
        raise ValidationError({"organisations": NOTHING_CHOSEN_ORGANISATIONS})
    if len(organisations) != len(set(organisation_ids)):
        raise ValidationError({"organisations": NOT_IN_DIRECTORY})
    already = set(
        Delivery.objects.filter(
            result__in=results, organisation__in=organisations, withdrawn_at__isnull=True
        ).values_list("result_id", "organisation_id")
    )
    now = timezone.now()
    new = [
        Delivery(
            account=account,
            entry=result.entry,
            result=result,
            organisation=organisation,
            organisation_name=organisation.name,
            disclosure=disclosure,
            result_version=result.version,
            changed_at=now,
        )
        for result in results
        for organisation in organisations
        if (result.pk, organisation.pk) not in already
    ]
    created = Delivery.objects.bulk_create(new)
    for delivery in created:
        audit_record(
            actor=account.user,
            action="delivery.sent",
            subject=delivery.entry.candidate_id,
            detail={
                "delivery": str(delivery.public_id),
                "organisation": str(delivery.organisation.public_id),
                "disclosure": disclosure,
                "result_version": delivery.result_version,
            },
        )
    delivery_events_record(deliveries=created, kind=Kind.CREATED)
    return created


@transaction.atomic
def delivery_withdraw(*, account: CandidateAccount, public_id: Any) -> bool:
    """Withdraw one of the candidate's deliveries at once; return whether a live one was withdrawn (audited)."""
    delivery = (
        Delivery.objects.select_for_update()
        .select_related("entry")
        .filter(account=account, public_id=public_id, withdrawn_at__isnull=True)
        .first()
    )
    if delivery is None:
        return False
    delivery.withdrawn_at = timezone.now()
    delivery.save(update_fields=["withdrawn_at"])
    audit_record(
        actor=account.user,
        action="delivery.withdrawn",
        subject=delivery.entry.candidate_id,
        detail={"delivery": str(delivery.public_id), "organisation": delivery.organisation_name},
    )
    delivery_events_record(deliveries=[delivery], kind=Kind.WITHDRAWN)
    return True


def deliveries_of_account(*, account: CandidateAccount) -> QuerySet[Delivery]:
    """Return the candidate's deliveries, newest first, with their entries' exams and organisations."""
    return (
        Delivery.objects.filter(account=account)
        .select_related("entry__session__exam", "organisation")
        .order_by("-created_at", "-pk")
    )


@transaction.atomic
def organisation_invite(*, account: CandidateAccount, email: str, organisation_name: str) -> OrganisationInvite:
    """Invite an organisation that is not in the directory to register, by email (audited, limited per day).

    An address that already belongs to an organisation is told nothing new: the candidate is not told either
    way, so the form says nothing about who has an account.
    """
    since = timezone.now() - dt.timedelta(days=1)
    count = OrganisationInvite.objects.filter(account=account, created_at__gte=since).count()
    if count >= INVITES_PER_DAY:
        raise ValidationError({"email": INVITE_TOO_MANY % {"count": count}})
    address = email.strip().lower()
    invite = OrganisationInvite.objects.create(
        account=account, email=address, organisation_name=organisation_name.strip()
    )
    audit_record(actor=account.user, action="organisation.invited", subject=address, detail={"invite": invite.pk})
    already_invited = OrganisationInvite.objects.filter(email=address, created_at__gte=since).exclude(pk=invite.pk)
    registered = VerifierOrganisation.objects.filter(email=address).exists()
    if not registered and not already_invited.exists():
        language = get_language() or settings.LANGUAGE_CODE
        transaction.on_commit(lambda: tasks.organisation_invite_send.delay(invite_id=invite.pk, language=language))
    return invite


# --- What an organisation does -----------------------------------------------------------------------------
INBOX_STATES = {"new": _("New"), "opened": _("Opened")}


def organisation_inbox(
    *, organisation: VerifierOrganisation, state: str = "", status: str = "", exam: str = "", name: str = ""
) -> QuerySet[Delivery]:
    """Return an organisation's deliveries, newest first, filtered by inbox state, live status, exam, name.

    The live status filter for "held" and "amended" reads the results' current state in the same query (the
    visibility rule is ``results_visible``'s: held here means not visible now).
    """
    found = delivery_queryset().filter(organisation=organisation).order_by("-created_at", "-pk")
    if state == "new":
        found = found.filter(Q(opened_at__isnull=True) | Q(opened_at__lt=F("changed_at")))
    elif state == "opened":
        found = found.filter(opened_at__isnull=False, opened_at__gte=F("changed_at"))
    if status == WITHDRAWN:
        found = found.filter(withdrawn_at__isnull=False)
    elif status in {CURRENT, AMENDED, HELD}:
        entry_ids = tuple(found.values_list("entry_id", flat=True))
        visible = results_visible(audience=Audience(entry_ids=entry_ids)).values("pk")
        live = found.filter(withdrawn_at__isnull=True)
        if status == HELD:
            found = live.exclude(result__in=visible)
        elif status == AMENDED:
            found = live.filter(result__in=visible, result__version__gt=F("result_version"))
        else:
            found = live.filter(result__in=visible, result__version__lte=F("result_version"))
    if exam:
        found = found.filter(entry__session__exam__code=exam)
    for word in name.split():
        found = found.filter(
            Q(entry__person__first_name__icontains=word) | Q(entry__person__last_name__icontains=word),
            withdrawn_at__isnull=True,
        )
    return found


def delivery_open(*, organisation: VerifierOrganisation, public_id: Any) -> DeliveredResult | None:
    """Return one of the organisation's deliveries as it sees it, and note that it opened it.

    The first opening of a live delivery (and each after it changed) is recorded as a verification, which the
    candidate sees in "who has seen my result".
    """
    delivery = delivery_queryset().filter(organisation=organisation, public_id=public_id).first()
    if delivery is None:
        return None
    now = timezone.now()
    shown = deliveries_shown(deliveries=[delivery], now=now)[0]
    if delivery_is_new(delivery):
        Delivery.objects.filter(pk=delivery.pk).update(opened_at=now)
        if shown.verified is not None:
            Verification.objects.create(
                entry_id=delivery.entry_id,
                at=now,
                channel=Verification.Channel.SENT,
                organisation=organisation,
                organisation_name=organisation.name,
            )
        delivery.opened_at = now
    return shown


DELIVERIES_CSV_HEADER = (
    "delivery_id",
    "sent_at",
    "status",
    "disclosure",
    "name",
    "candidate_id",
    "date_of_birth",
    "exam_code",
    "exam_name",
    "session_date",
    "result",
    "cefr_level",
    "overall_score",
)


def deliveries_csv_rows(shown: Sequence[DeliveredResult]) -> list[list[object]]:
    """Return the inbox's CSV rows (``DELIVERIES_CSV_HEADER``): what each delivery disclosed, blank otherwise."""
    rows: list[list[object]] = []
    for item in shown:
        body = delivery_json(item)
        candidate = body.get("candidate", {})
        result = body.get("result", {})
        rows.append(
            [
                body["id"],
                body["sent_at"],
                body["status"],
                body["disclosure"],
                candidate.get("name", ""),
                candidate.get("candidate_id", ""),
                candidate.get("date_of_birth") or "",
                result.get("exam_code", ""),
                result.get("exam_name", ""),
                result.get("session_date", ""),
                result.get("result") or "",
                result.get("cefr_level") or "",
                "" if result.get("overall_score") is None else result["overall_score"],
            ]
        )
    return rows


# --- The incremental feed (/api/v1/deliveries) ----------------------------------------------------------------
FEED_PAGE_MAX = 200


@dataclass(frozen=True)
class FeedPage:
    """One page of an organisation's feed: events after the cursor, in order, each with its delivery as now."""

    events: list[tuple[DeliveryEvent, DeliveredResult]]
    next_cursor: str
    has_more: bool


def event_json(event: DeliveryEvent, shown: DeliveredResult) -> dict[str, Any]:
    """Return one event as the feed and the webhooks carry it."""
    return {
        "id": f"evt_{event.public_id.hex}",
        "cursor": str(event.pk),
        "type": event.kind,
        "created_at": event.created_at.isoformat(),
        "delivery": delivery_json(shown),
    }


def organisation_feed(
    *, organisation: VerifierOrganisation, after: int, limit: int = 100, now: dt.datetime | None = None
) -> FeedPage:
    """Return the organisation's delivery events after the cursor ``after`` (an event id; 0 from the start).

    Three queries whatever the page's size: the events, their deliveries, the deliveries' visible results. Each
    event carries its delivery as it is now (a held result shows as held in every event of its delivery).
    """
    limit = max(1, min(limit, FEED_PAGE_MAX))
    events = list(DeliveryEvent.objects.filter(organisation=organisation, pk__gt=after).order_by("pk")[: limit + 1])
    has_more = len(events) > limit
    events = events[:limit]
    loaded = {d.pk: d for d in delivery_queryset().filter(pk__in={e.delivery_id for e in events})}
    shown = {s.delivery.pk: s for s in deliveries_shown(deliveries=list(loaded.values()), now=now)}
    return FeedPage(
        events=[(event, shown[event.delivery_id]) for event in events],
        next_cursor=str(events[-1].pk) if events else str(after),
        has_more=has_more,
    )
