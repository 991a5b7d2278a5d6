"""The organisations' side of results sent by candidates (/verify/organisations/…): the inbox, one delivery,
its CSV export, webhook endpoints and the directory profile. The rules are in ``verification.deliveries`` and
``verification.webhooks``; what a delivery shows is the verification page's, cut down to what was disclosed."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.sealing import seal, unseal
from results_portal.downloads import csv_response, download_no_store
from verification import deliveries, webhooks
from verification.models import Delivery
from web.verifier.access import organisation_required, request_organisation
from web.verifier.forms import DirectoryProfileForm, InboxFilterForm, WebhookEndpointForm

INBOX_PAGE_SIZE = 50
CSV_CHUNK = 1000
NEW_SECRET_SESSION_KEY = "verification_new_webhook_secret"  # noqa: S105 - a session key's name


def _filtered(request: HttpRequest) -> tuple[InboxFilterForm, QuerySet[Delivery]]:
    form = InboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    found = deliveries.organisation_inbox(
        organisation=request_organisation(request),
        state=filters.get("state", ""),
        status=filters.get("status", ""),
        exam=filters.get("exam", ""),
        name=filters.get("name", ""),
    )
    return form, found


@organisation_required
@never_cache
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """List the results candidates sent the organisation: new or opened, live status, filters, CSV export."""
    form, found = _filtered(request)
    page = Paginator(found, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "organisation": request_organisation(request),
        "form": form,
        "page": page,
        "rows": deliveries.deliveries_shown(deliveries=list(page.object_list)),
        "query": query.urlencode(),
    }
    return render(request, "verification/inbox.html", context)


@organisation_required
@download_no_store
@require_GET
def inbox_csv(request: HttpRequest) -> HttpResponse:
    """Download the filtered inbox as CSV: only what each delivery disclosed."""
    _form, found = _filtered(request)
    rows: list[list[object]] = []
    for start in range(0, found.count(), CSV_CHUNK):  # a few queries per chunk, whatever the inbox's size
        chunk = deliveries.deliveries_shown(deliveries=list(found[start : start + CSV_CHUNK]))
        rows += deliveries.deliveries_csv_rows(chunk)
    return csv_response(header=deliveries.DELIVERIES_CSV_HEADER, rows=rows, filename="inbox.csv")


@organisation_required
@never_cache
@require_GET
def delivery_detail(request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
    """Show one delivery as the verification page shows a result, cut down to what was disclosed."""
    shown = deliveries.delivery_open(organisation=request_organisation(request), public_id=delivery_id)
    if shown is None:
        raise Http404
    events = list(shown.delivery.events.order_by("pk"))
    return render(request, "verification/delivery_detail.html", {"shown": shown, "events": events})


@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def webhook_endpoints(request: HttpRequest) -> HttpResponse:
    """Register webhook addresses; see their secrets once, rotate them, remove them; see failed messages."""
    organisation = request_organisation(request)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhooks.webhook_endpoint_create(
                organisation=organisation, url=form.cleaned_data["url"]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("url", message)
        else:
            request.session[NEW_SECRET_SESSION_KEY] = {"url": endpoint.url, "secret": seal(secret.encode())}
            return redirect("verification:webhooks")
    new = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    context = {
        "organisation": organisation,
        "form": form,
        "endpoints": webhooks.organisation_endpoints(organisation=organisation),
        "failed": webhooks.organisation_failed_messages(organisation=organisation),
        "new_url": new["url"] if new else "",
        "new_secret": unseal(new["secret"]).decode() if new else "",
        "retry_hours": int(webhooks.GIVE_UP_AFTER.total_seconds() // 3600),
    }
    return render(request, "verification/webhooks.html", context, status=400 if form.errors else 200)


@organisation_required
@require_POST
def webhook_rotate(request: HttpRequest, endpoint_id: uuid.UUID) -> HttpResponse:
    """Give one of the organisation's endpoints a new secret, shown once."""
    secret = webhooks.webhook_endpoint_rotate(organisation=request_organisation(request), public_id=endpoint_id)
    if secret is None:
        raise Http404
    endpoint = request_organisation(request).webhook_endpoints.get(public_id=endpoint_id)
    request.session[NEW_SECRET_SESSION_KEY] = {"url": endpoint.url, "secret": seal(secret.encode())}
    return redirect("verification:webhooks")


@organisation_required
@require_POST
def webhook_remove(request: HttpRequest, endpoint_id: uuid.UUID) -> HttpResponse:
    """Stop sending webhooks to one of the organisation's addresses."""
    if not webhooks.webhook_endpoint_remove(organisation=request_organisation(request), public_id=endpoint_id):
        raise Http404
    messages.success(request, _("The address has been removed. Nothing more is sent to it."))
    return redirect("verification:webhooks")


@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def directory_profile(request: HttpRequest) -> HttpResponse:
    """Publish (or withdraw) the organisation's profile in the directory candidates send results from."""
    organisation = request_organisation(request)
    form = DirectoryProfileForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your directory profile has been saved."))
        return redirect("verification:directory_profile")
    return render(request, "verification/directory_profile.html", {"organisation": organisation, "form": form})
