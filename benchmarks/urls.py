"""The portal's URLs plus the floor of the page benchmarks: a bare view doing one indexed query."""

from django.urls import path

from results_portal.urls import urlpatterns as portal_urlpatterns

from .views import floor

urlpatterns = [path("bench/floor/<uuid:public_id>/", floor, name="bench_floor"), *portal_urlpatterns]
