"""Settings for a developer's machine (``make run``): debug on, a fixed insecure key unless one is given."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-only-never-in-production")  # noqa: S105

# `make run`: webhooks to a receiver on this machine (verification/webhooks.py).
WEBHOOKS_ALLOW_LOCALHOST = True
