"""URLs of the public pages, mounted by results_portal/urls.py: ``site_patterns`` at the root (not
language-prefixed: health checks, did.json), ``urlpatterns`` at the root of the language-prefixed patterns
(home; ``tools/`` in the ``exams`` namespace; ``statistics/`` in the ``statistics`` namespace)."""

from django.urls import include, path

from web.common import views as common_views
from web.public import views

exams_patterns = [
    path("score-converter/", views.score_converter, name="score_converter"),
]

statistics_patterns = [
    path("", views.statistics, name="index"),
    path("grade-statistics.csv", views.statistics_csv, name="csv"),
]

site_patterns = [
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path(".well-known/did.json", common_views.did_document, name="did_document"),
    # did:web with a path (a portal at https://host/portal is did:web:host:portal) resolves to <path>/did.json.
    path("did.json", common_views.did_document, name="did_document_path"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("tools/", include((exams_patterns, "exams"))),
    path("statistics/", include((statistics_patterns, "statistics"))),
]
