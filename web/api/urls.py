"""URLs of the API, mounted by results_portal/urls.py under ``api/v1/`` (not language-prefixed), in the
``verification_api`` namespace."""

from django.urls import path

from web.api import views

app_name = "verification_api"

urlpatterns = [
    path("verifications", views.verifications, name="verifications"),
    path("schema", views.schema, name="schema"),
    path("deliveries", views.deliveries_feed, name="deliveries"),
    path("docs", views.docs, name="docs"),
]
