"""The project's URLs with verification mounted as results_portal/urls.py is asked to mount it.

Once results_portal/urls.py mounts verification itself, this is the project's URLconf unchanged.
"""

from django.conf.urls.i18n import i18n_patterns
from django.urls import NoReverseMatch, include, path, reverse

from results_portal import urls as project
from verification import urls as verification_urls

try:
    reverse("verification_api:schema", urlconf=project)
    reverse("verification_share:manage", urlconf=project, args=["00000000-0000-0000-0000-000000000000"])
except NoReverseMatch:
    urlpatterns = [
        path("api/v1/", include((verification_urls.api_patterns, "verification_api"))),
        path("credentials/status/", include((verification_urls.status_patterns, "credential_status"))),
        *project.urlpatterns,
        *i18n_patterns(
            path("verify/", include("verification.urls")),
            path("results/", include((verification_urls.share_patterns, "verification_share"))),
            prefix_default_language=False,
        ),
    ]
else:
    urlpatterns = list(project.urlpatterns)
