"""Settings of the integration tests' Celery worker: the test settings with tasks sent through the broker.

The worker reads ``CELERY_BROKER_URL``, ``EMAIL_URL`` (the tests' SMTP server), ``EMAIL_TIMEOUT`` and
``DATABASE_URL`` (the database pytest-django created) from the environment its fixture gives it.
"""

from results_portal.settings.test import *  # noqa: F403
from results_portal.settings.test import env

# The test settings run tasks in-process and keep emails in memory: this worker takes them from the broker and
# sends them over SMTP with Django's own backend, as production does.
CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
if not env.str("EMAIL_URL", default="").startswith("smtp://"):
    raise RuntimeError("The integration worker needs EMAIL_URL=smtp://127.0.0.1:<port> (the tests' SMTP server)")
