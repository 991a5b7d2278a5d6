"""The floor of the page benchmarks, served by the same gunicorn, settings and middleware as the portal."""

import uuid

from django.http import Http404, HttpRequest, HttpResponse

from centres.models import Entry


def floor(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Answer one indexed query (an entry by its unique public id) as plain text: the least a page can do."""
    candidate_id = Entry.objects.filter(public_id=public_id).values_list("candidate_id", flat=True).first()
    if candidate_id is None:
        raise Http404
    return HttpResponse(candidate_id, content_type="text/plain")
