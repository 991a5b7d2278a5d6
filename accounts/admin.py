from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from .admin_login import BoardLoginForm
from .models import AuditEvent, AuthFailure, CredentialLock, User
from .services import lock_lift

# Every admin login goes through the brute-force guard with its TOTP code in the same try (admin_login.py).
admin.site.login_form = BoardLoginForm
admin.site.login_template = "admin/board_login.html"
admin.site.register(User, UserAdmin)

LIFTED_IN_ADMIN = "Lifted by board staff in the admin."


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "subject", "actor", "reason"]
    list_filter = ["action"]
    search_fields = ["subject", "reason"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


# Brute-force protection (accounts/guard.py): read-only, for looking into a candidate's or a centre's report.


@admin.register(CredentialLock)
class CredentialLockAdmin(admin.ModelAdmin):
    list_display = ["identifier", "kind", "failures", "locks", "locked_until", "last_failure_at"]
    list_filter = ["kind"]
    search_fields = ["identifier"]
    actions = ["lift"]

    @admin.action(description="Lift the selected locks (the owner was locked out by someone else's guesses)")
    def lift(self, request: HttpRequest, queryset: QuerySet[CredentialLock]) -> None:
        """Lift each selected lock through the one service, audited as lifted by this board user."""
        for lock in queryset:
            lock_lift(kind=lock.kind, identifier=lock.identifier, actor=request.user, reason=LIFTED_IN_ADMIN)  # type: ignore[arg-type]
        self.message_user(request, f"{queryset.count()} lock(s) lifted.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CredentialLock | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CredentialLock | None = None) -> bool:
        return False


@admin.register(AuthFailure)
class AuthFailureAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "identifier", "ip", "purpose", "caused_lock"]
    list_filter = ["kind", "purpose", "caused_lock"]
    search_fields = ["identifier", "ip"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuthFailure | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuthFailure | None = None) -> bool:
        return False
