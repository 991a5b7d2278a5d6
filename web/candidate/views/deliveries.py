"""Send my result (/results/send/, /results/deliveries/): the candidate sends released results to organisations
of the directory, disclosing all or a minimum, confirms, and may withdraw a delivery at any time. The rules are
in ``verification.deliveries``."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from verification import deliveries
from verification.models import Delivery, VerifierOrganisation
from web.candidate.access import candidate_required, request_account
from web.candidate.forms import DirectorySearchForm, OrganisationInviteForm, SendResultForm

DIRECTORY_SHOWN = 50


def _uuids(values: list[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


def _organisation_label(organisation: VerifierOrganisation) -> str:
    parts = [organisation.name, organisation.country, organisation.get_kind_display()]
    label = " · ".join(str(p) for p in parts if p)
    if organisation.accepts:
        label += " — " + _("accepts: %(what)s") % {"what": organisation.accepts}
    return label


@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def send_result(request: HttpRequest) -> HttpResponse:
    """Choose released results, organisations of the directory and what to disclose; then confirm and send."""
    account = request_account(request)
    search = DirectorySearchForm(request.GET or None)
    terms = search.cleaned_data if search.is_valid() else {}
    sendable = list(deliveries.results_sendable(account=account))
    result_choices = [
        (
            str(r.entry.public_id),
            f"{r.entry.session.exam.name} — {r.entry.session.date:%d/%m/%Y} ({r.entry.candidate_id})",
        )
        for r in sendable
    ]
    if request.method == "POST":
        chosen = deliveries.directory_organisations().filter(
            public_id__in=_uuids(request.POST.getlist("organisations"))
        )
    else:
        chosen = deliveries.directory_search(name=terms.get("name", ""), country=terms.get("country", ""))[
            :DIRECTORY_SHOWN
        ]
    organisations = list(chosen)
    form = SendResultForm(
        request.POST or None,
        results=result_choices,
        organisations=[(str(o.public_id), _organisation_label(o)) for o in organisations],
        initial={"results": [str(terms["entry"])] if terms.get("entry") else []},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm") == "yes":
            try:
                sent = deliveries.deliveries_send(
                    account=account,
                    entry_ids=_uuids(data["results"]),
                    organisation_ids=_uuids(data["organisations"]),
                    disclosure=data["disclosure"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("Sent: %(count)s. You can withdraw a delivery at any time on this page.") % {"count": len(sent)}
                    if sent
                    else _("You had already sent these results to these organisations."),
                )
                return redirect("candidates:deliveries")
        if not form.errors:
            labels = dict(result_choices)
            context = {
                "form": form,
                "results": [labels[value] for value in data["results"]],
                "organisations": organisations,
                "disclosure": Delivery.Disclosure(data["disclosure"]),
            }
            return render(request, "candidates/send_confirm.html", context)
    context = {
        "search": search,
        "form": form,
        "searched": bool(terms.get("name") or terms.get("country")),
        "countries": deliveries.directory_countries(),
        "has_results": bool(sendable),
        "invite_form": OrganisationInviteForm(),
    }
    return render(request, "candidates/send_result.html", context, status=400 if form.errors else 200)


@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_invite(request: HttpRequest) -> HttpResponse:
    """Invite an organisation that is not in the directory to register, by email."""
    form = OrganisationInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deliveries.organisation_invite(
                account=request_account(request),
                email=form.cleaned_data["email"],
                organisation_name=form.cleaned_data["organisation_name"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("email", message)
        else:
            messages.success(
                request,
                _(
                    "Thank you. If the organisation registers and the board verifies it, you will find it in the "
                    "directory."
                ),
            )
            return redirect("candidates:send_result")
    return render(request, "candidates/organisation_invite.html", {"form": form}, status=400 if form.errors else 200)


@candidate_required
@never_cache
@require_GET
def deliveries_list(request: HttpRequest) -> HttpResponse:
    """List the results the candidate sent: to whom, what, when, opened or not, withdrawn or not."""
    rows = list(deliveries.deliveries_of_account(account=request_account(request)))
    return render(request, "candidates/deliveries.html", {"deliveries": rows})


@candidate_required
@require_POST
def delivery_withdraw(request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
    """Withdraw one of the candidate's deliveries at once: the organisation no longer sees the result."""
    if not deliveries.delivery_withdraw(account=request_account(request), public_id=delivery_id):
        raise Http404
    messages.success(
        request,
        _(
            "Withdrawn. The organisation keeps a record that you sent it and withdrew it, but no longer sees "
            "the result."
        ),
    )
    return redirect("candidates:deliveries")
