from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from verification import urls as verification_urls
from verification.views import did_document

from . import views

# Board staff always log in to the admin with a TOTP code (docs/domain.md §12 'Security rules').
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Results Portal — board administration"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((verification_urls.api_patterns, "verification_api"))),
    path("credentials/status/", include((verification_urls.status_patterns, "credential_status"))),
    path(".well-known/did.json", did_document, name="did_document"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("results/", include("results.urls")),
    path("results/", include("candidates.urls")),
    path("results/", include((verification_urls.share_patterns, "verification_share"))),
    path("tools/", include("exams.urls")),
    path("statistics/", include("results.statistics_urls")),
    path("centre/", include("centres.urls")),
    path("verify/", include("verification.urls")),
    path("", include("certificates.urls")),
    prefix_default_language=False,
)
