from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "Results"

    def ready(self) -> None:
        from results_portal.lookups import register
        from results_portal.prepared import keep_plans_after_migrate, watch_kept_plans

        register()  # ``field__any=[…]``, for the bulk paths' long lists of ids
        # ``migrate`` writes the functions keeping the hot queries' plans (results_portal/prepared.py).
        post_migrate.connect(keep_plans_after_migrate, sender=self)
        # A kept plan that can no longer be called fails its request and sends every later query as SQL.
        connection_created.connect(watch_kept_plans, dispatch_uid="results_watch_kept_plans")
        # Registers the receivers, the approval kinds, the enquiries' refusal rules and the prepared queries.
        from . import approvals, enquiries, receivers, selectors, signals  # noqa: F401
