from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac


class User(AbstractUser):
    """A person who logs in. Holds personal data: name and email address.

    Candidates log in with a Candidate ID (resolved to their user by the candidates app), staff and
    verifier organisations with their email address.
    """

    email = models.EmailField("email address", blank=True, db_index=True)
    session_epoch = models.PositiveIntegerField(
        default=0, help_text="Goes up to end every session of this account at once (logging out, a new password)."
    )
    two_step_enabled = models.BooleanField(
        default=False,
        help_text="Has a second factor (authenticator app or passkey): logging in asks for it after the password. "
        "Kept by accounts.two_step, so a login reads it with the user, without another query.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Return what every session of this user carries: it changes with the password and with the epoch."""
        key_salt = "accounts.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class AuditEvent(models.Model):
    """A staff or security action that changed or exposed a person's data: who, when, what, why.

    Holds personal data (the actor, and the subject named in ``subject``/``detail``). Rows are never
    edited or deleted by the application.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True, help_text="e.g. entry.reissue, boundary.change")
    subject = models.CharField(max_length=120, blank=True, help_text="What was acted on, e.g. a Candidate ID.")
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["subject", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject}"


class CredentialLock(models.Model):
    """The lockout state of one identifier (a Candidate ID) for one kind of credential (accounts/guard.py).

    Holds personal data: the identifier is a Candidate ID (pseudonymous). Rows exist for identifiers that
    match no entry too, so that a lock never reveals whether an ID exists. Kept in the database, not the
    cache, so a Redis restart does not unlock anything.
    """

    class Kind(models.TextChoices):
        SECRET = "secret", "Secret number"
        PASSWORD = "password", "Password"
        CODE = "code", "Second-step code"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    identifier = models.CharField(max_length=150, help_text="Normalised: stripped, upper-case.")
    failures = models.PositiveSmallIntegerField(default=0, help_text="Consecutive failures since the last lock.")
    locks = models.PositiveSmallIntegerField(default=0, help_text="Locks since the last success; each doubles.")
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["kind", "identifier"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "identifier"], name="credentiallock_unique_kind_identifier"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.identifier}"


class AuthFailure(models.Model):
    """One failed try of a secret number or a password: when, for which identifier, from where, for what.

    Holds personal data: the IP address of the person who tried, and the Candidate ID tried. Rows are never
    edited by the application; ``accounts.guard.guard_prune`` deletes them after the retention period.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register"
        LINK = "link"
        LOGIN = "login"
        VERIFY = "verify"
        API = "api", "API"
        STAFF_LOGIN = "staff_login", "centre staff login"
        BOARD_LOGIN = "board_login", "board admin login"
        SECOND_STEP = "second_step", "login second step"

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=10, choices=CredentialLock.Kind.choices)
    identifier = models.CharField(max_length=150)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    caused_lock = models.BooleanField(default=False, help_text="This failure locked the identifier.")

    class Meta:
        verbose_name, verbose_name_plural = "failed login", "failed logins"
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["identifier", "-at"], name="authfailure_identifier_at"),
            models.Index(fields=["ip", "-at"], name="authfailure_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.identifier} {self.purpose}"


class Passkey(models.Model):
    """A WebAuthn credential (passkey or security key) that a candidate or an organisation uses as a second factor.

    Holds personal data: it belongs to a person, and its name is theirs. The private key never leaves the
    person's device; the public key here checks the signatures it makes (accounts/passkeys.py).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.CharField(max_length=1400, unique=True, help_text="base64url, as the browser sends it.")
    public_key = models.BinaryField(help_text="COSE public key.")
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True, help_text="e.g. internal, usb, hybrid.")
    name = models.CharField(max_length=60, help_text="Given by the person, to tell their passkeys apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"passkey {self.name} of user {self.user_id}"


class RecoveryCode(models.Model):
    """A single-use code that stands in for a second factor (a lost phone), stored as a salted digest only.

    Holds personal data: it belongs to a person. The code itself is shown once, when it is made; a used code
    keeps its row (``used_at``) until the next set replaces them all.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    salt = models.CharField(max_length=32)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the salt and the code, hex.")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"


class Approval(models.Model):
    """A change that decides what candidates see, asked by one board user and applied only when another approves.

    ``kind`` names the change and ``payload`` what to apply (ids and values, no personal data); the app that owns
    the change registers how to apply it (``accounts.approvals``). Rows are never deleted.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a second board user"
        APPLIED = "applied", "Approved and applied"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Approved, but could not be applied"

    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=300, help_text="What the change does, in words.")
    payload = models.JSONField(default=dict)
    reason = models.TextField(help_text="Why the change is asked for.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        permissions = [("decide_approval", "Can approve or reject another board user's change")]

    def __str__(self) -> str:
        return f"{self.summary} ({self.get_status_display()})"
