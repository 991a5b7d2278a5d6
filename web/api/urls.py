"""URLs of the API, mounted by results_portal/urls.py under ``api/v1/`` (not language-prefixed), in the
``verification_api`` namespace; its documentation page is ``docs_patterns``."""

from django.urls import path

from web.api import views

app_name = "verification_api"

urlpatterns = [
    path("verifications", views.verifications, name="verifications"),
    path("schema", views.schema, name="schema"),
    path("deliveries", views.deliveries_feed, name="deliveries"),
]

# The API page, for people: mounted by results_portal/urls.py under ``api/`` with the language prefixes, in the
# ``api_docs`` namespace.
docs_patterns = [
    path("docs", views.docs, name="page"),
]
