from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.admin import two_step_remove_action
from accounts.admin_export import export_csv

from .models import (
    ApiKey,
    BulkVerification,
    Delivery,
    ShareLink,
    Verification,
    VerifierOrganisation,
    WebhookEndpoint,
    WebhookMessage,
)
from .services import organisation_vet

VETTED_IN_ADMIN = "Checked by board staff (identity of the organisation confirmed) in the admin."


@admin.register(VerifierOrganisation)
class VerifierOrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "country",
        "email",
        "email_confirmed_at",
        "verified_at",
        "allowance",
        "two_step",
        "created_at",
    ]
    list_select_related = ["user"]
    list_filter = ["country", ("verified_at", admin.EmptyFieldListFilter), "listed"]
    search_fields = ["name", "email"]
    readonly_fields = ["public_id", "user", "email_confirmed_at", "created_at", "verified_at", "verified_by"]
    fields = [
        "name",
        "country",
        "email",
        "allowance",
        "verified_at",
        "verified_by",
        "public_id",
        "user",
        "email_confirmed_at",
        "created_at",
    ]
    actions = ["vet", "unvet", "remove_two_step"]

    @admin.display(description="two-step", boolean=True)
    def two_step(self, organisation: VerifierOrganisation) -> bool:
        return organisation.user.two_step_enabled

    @admin.action(description="Mark as verified organisations (you have checked they are who they say)")
    def vet(self, request: HttpRequest, queryset: QuerySet[VerifierOrganisation]) -> None:
        for organisation in queryset:
            organisation_vet(organisation=organisation, actor=request.user, verified=True, reason=VETTED_IN_ADMIN)  # type: ignore[arg-type]
        self.message_user(request, f"{queryset.count()} organisation(s) verified.")

    @admin.action(description="Withdraw the verification of the selected organisations")
    def unvet(self, request: HttpRequest, queryset: QuerySet[VerifierOrganisation]) -> None:
        for organisation in queryset:
            organisation_vet(
                organisation=organisation,
                actor=request.user,  # type: ignore[arg-type]
                verified=False,
                reason="Verification withdrawn by board staff in the admin.",
            )
        self.message_user(request, f"{queryset.count()} organisation(s) no longer verified.")

    @admin.action(description="Remove two-step verification (lost phone and recovery codes; asks for a reason)")
    def remove_two_step(self, request: HttpRequest, queryset: QuerySet[VerifierOrganisation]) -> HttpResponse | None:
        # Organisations keep no language: the emails they are sent follow the page they used, here the default.
        return two_step_remove_action(
            self,
            request,
            queryset.select_related("user"),
            action="remove_two_step",
            user_of=lambda organisation: organisation.user,
            language_of=lambda organisation: settings.LANGUAGE_CODE,
        )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "organisation", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["organisation"]
    readonly_fields = ["organisation", "prefix", "name", "created_at", "last_used_at"]
    exclude = ["key_digest"]

    def has_add_permission(self, request: object) -> bool:
        return False  # keys are made by the organisation, which alone sees the key once


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    """The audit of who verified what: read-only."""

    list_display = ["at", "entry", "channel", "organisation_name"]
    actions = [export_csv]
    list_filter = ["channel"]
    list_select_related = ["entry"]
    search_fields = ["entry__candidate_id", "organisation_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ["public_id", "entry", "organisation_name", "created_at", "expires_at", "revoked_at"]
    list_select_related = ["entry"]
    search_fields = ["entry__candidate_id"]
    readonly_fields = ["public_id", "entry", "account", "organisation_name", "created_at", "expires_at"]
    exclude = ["token_digest"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(BulkVerification)
class BulkVerificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organisation", "filename", "status", "total", "finished_at", "output_purged_at"]
    list_filter = ["status"]
    list_select_related = ["organisation"]
    exclude = ["source_sealed", "output_sealed"]
    readonly_fields = [
        "public_id",
        "organisation",
        "filename",
        "ip",
        "status",
        "total",
        "done",
        "counts",
        "created_at",
        "started_at",
        "finished_at",
        "output_purged_at",
    ]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Results candidates sent to organisations: read only (the candidate sends and withdraws them)."""

    list_display = ["public_id", "organisation_name", "disclosure", "created_at", "opened_at", "withdrawn_at"]
    list_filter = ["disclosure", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["organisation_name", "entry__candidate_id"]
    list_select_related = ["entry"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    """The webhooks' outbox, for looking into a failing receiver: read only."""

    list_display = ["event", "endpoint", "state", "attempts", "next_attempt_at", "last_error", "sent_at"]
    list_filter = ["state"]
    list_select_related = ["event", "endpoint"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "organisation", "created_at", "secret_rotated_at", "removed_at"]
    list_select_related = ["organisation"]
    fields = readonly_fields = ("url", "organisation", "created_at", "secret_rotated_at", "removed_at")

    def has_add_permission(self, request: object) -> bool:
        return False
