from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who logs in. Holds personal data: name and email address.

    Candidates log in with a Candidate ID (resolved to their user by the candidates app), staff and
    verifier organisations with their email address.
    """

    email = models.EmailField("email address", blank=True, db_index=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
