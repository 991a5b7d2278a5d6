"""The project's URLs with this app's included, for the tests, until results_portal/urls.py includes it.

Once the project includes ``certificates.urls`` this adds nothing, and the tests run on the real URLconf.
"""

from django.conf.urls.i18n import i18n_patterns
from django.urls import URLResolver, include, path

from results_portal.urls import urlpatterns as project_urlpatterns


def _includes_certificates(patterns: list) -> bool:  # type: ignore[type-arg]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "certificates" or _includes_certificates(pattern.url_patterns):
                return True
    return False


urlpatterns = list(project_urlpatterns)
if not _includes_certificates(urlpatterns):
    urlpatterns += i18n_patterns(path("", include("certificates.urls")), prefix_default_language=False)
