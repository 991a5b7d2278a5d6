"""The root URLconf: the composition root, which mounts each audience's web package (docs/architecture.md).

Each audience package (``web.candidate``, ``web.centre``, ``web.verifier``, ``web.api``, ``web.public``) owns
its URLs; this module only says where each is mounted. The ``certificates`` namespace is the one namespace
whose pages belong to three audiences (the candidate's statement PDF, the centre's certificate desk, the QR
target under /verify/v/), so it is assembled here from each audience's ``certificates_patterns``.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from web.api import urls as api_urls
from web.candidate import urls as candidate_urls
from web.centre import urls as centre_urls
from web.public import urls as public_urls
from web.public import views as public_views
from web.verifier import urls as verifier_urls

# Board staff always log in to the admin with a TOTP code (docs/domain.md §12 'Security rules').
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Results Portal — board administration"

certificates_patterns = [
    path("results/", include(candidate_urls.certificates_patterns)),
    path("centre/", include(centre_urls.certificates_patterns)),
    path("verify/", include(verifier_urls.certificates_patterns)),
]

urlpatterns = [
    *public_urls.site_patterns,
    path("i18n/setlang/", public_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_urls)),
    path("credentials/status/", include((verifier_urls.status_patterns, "credential_status"))),
]

urlpatterns += i18n_patterns(
    # The candidates' pages first: results day's busiest (no other prefix here matches ``results/``), so their
    # requests are not first tried against every public page's pattern (40–60 µs of a statement request's CPU).
    path("results/", include(candidate_urls)),
    path("", include(public_urls)),
    path("centre/", include(centre_urls)),
    path("verify/", include(verifier_urls)),
    path("api/", include((api_urls.docs_patterns, "api_docs"))),
    path("", include((certificates_patterns, "certificates"))),
    prefix_default_language=False,
)
