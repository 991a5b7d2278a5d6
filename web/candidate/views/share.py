"""The candidate's pages for sharing one released result (/results/<entry>/share/…): share links that open the
result for a verifier without the secret number, and the result as a signed Open Badges credential."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.sealing import seal, unseal
from candidates.models import CandidateAccount
from results.selectors import Audience, results_visible
from results_portal.downloads import download_no_store
from results_portal.qr import qr_svg
from verification import credentials, selectors, services
from verification.models import ShareLink
from web.candidate.access import candidate_required, request_account
from web.candidate.forms import ShareLinkForm

NEW_SHARE_LINK_SESSION_KEY = "verification_new_share_link"


def _own_released_result(request: HttpRequest, public_id: uuid.UUID) -> tuple[CandidateAccount, Any]:
    """Return the candidate's account and the released result of their entry ``public_id``, else 404."""
    account = request_account(request)
    result = results_visible(audience=Audience.candidate(account.pk)).filter(entry__public_id=public_id).first()
    if result is None:
        raise Http404
    return account, result


def _share_url(token: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return settings.SITE_URL + reverse("verification:share_view", kwargs={"token": token})


@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def share_manage(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """List the share links of one released result, make a new one, and offer the signed credential."""
    account, result = _own_released_result(request, public_id)
    form = ShareLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _link, token = services.share_link_create(
            account=account,
            entry=result.entry,
            days=int(form.cleaned_data["expiry"]),
            organisation_name=form.cleaned_data["organisation_name"],
        )
        request.session[NEW_SHARE_LINK_SESSION_KEY] = {
            "entry": str(public_id),
            "url": seal(_share_url(token).encode()),
        }
        return redirect("verification_share:manage", public_id=public_id)
    new_link = request.session.pop(NEW_SHARE_LINK_SESSION_KEY, None)
    links = list(selectors.share_links_for_entry(account_id=account.pk, entry=result.entry))
    new_link_url = unseal(new_link["url"]).decode() if new_link and new_link.get("entry") == str(public_id) else None
    context = {
        "entry": result.entry,
        "result": result,
        "form": form,
        "links": [(link, selectors.share_link_is_live(link)) for link in links],
        "new_link_url": new_link_url,
        "new_link_qr": qr_svg(url=new_link_url, title=_("QR code of your share link")) if new_link_url else "",
    }
    return render(request, "verification/share_manage.html", context)


@candidate_required
@require_POST
def share_revoke(request: HttpRequest, public_id: uuid.UUID, link_id: uuid.UUID) -> HttpResponse:
    """Withdraw one of the candidate's share links at once."""
    account, _result = _own_released_result(request, public_id)
    if not ShareLink.objects.filter(account=account, entry__public_id=public_id, public_id=link_id).exists():
        raise Http404
    services.share_link_revoke(account=account, public_id=link_id)
    messages.success(request, _("The link has been withdrawn. Anyone who opens it now sees 'page not found'."))
    return redirect("verification_share:manage", public_id=public_id)


@candidate_required
@download_no_store
@require_GET
def credential_download(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Download the released result as an Open Badges 3.0 credential signed by the board."""
    _account, result = _own_released_result(request, public_id)
    response = JsonResponse(
        credentials.credential_for_result(result=result), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Type"] = "application/ld+json; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="{result.entry.session.exam.code}-credential.json"'
    return response
