from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from notifications.events import Audience, kinds_for
from notifications.models import (
    Announcement,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from notifications.outbox import may_read_outbox
from notifications.redaction import outbox_preview
from notifications.services import (
    announcement_alert_subscribers,
    notification_mark_delivered,
    notification_preferences_set,
    notification_resend_now,
    notification_retry,
)
from notifications.webhooks import (
    WEBHOOK_EVENTS,
    may_manage_webhooks,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_update,
    webhook_endpoint_validate,
    webhook_send_test,
)
from supportdesk.admin_actions import (
    ReadOnlyAdmin,
    ServiceBackedAdmin,
    add_service_errors,
    run_for_each,
)
from supportdesk.errors import InvalidInput
from supportdesk.redaction import redact
from supportdesk.types import AnyUser, signed_in_request


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Saving a published announcement emails its subscribers (once per announcement)."""

    list_display = ["title", "kind", "starts_at", "ends_at", "published"]
    list_filter = ["kind", "published"]
    search_fields = ["title", "body"]
    date_hierarchy = "starts_at"
    actions = ["publish"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        alerted = announcement_alert_subscribers(announcement_id=obj.id)
        if alerted:
            self.message_user(request, f"Emailing {alerted} subscriber(s).")

    # Only those who may edit announcements publish one (Security and others only read).
    @admin.action(description="Publish and email subscribers", permissions=["change"])
    def publish(self, request, queryset) -> None:
        queryset.update(published=True)
        for announcement in queryset:
            announcement_alert_subscribers(announcement_id=announcement.id)
        self.message_user(request, f"Published {queryset.count()} announcement(s).")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox as managers see it: what went out, what waits, what failed and why.
    What a message says is shown redacted (no link, no token); other roles see nothing."""

    list_display = [
        "created_at",
        "event",
        "recipient",
        "case",
        "status",
        "attempts",
        "sent_at",
        "possible_duplicate",
    ]
    list_filter = ["status", "possible_duplicate", "event"]
    search_fields = ["recipient", "case__reference", "event", "message_id", "dedup_key"]
    list_select_related = ["case"]
    date_hierarchy = "created_at"
    actions = ["retry", "mark_delivered", "resend_now"]
    fields = readonly_fields = (
        "event",
        "recipient",
        "user",
        "case",
        "status",
        "attempts",
        "error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "data_started_at",
        "smtp_reply",
        "possible_duplicate",
        "message_id",
        "references",
        "dedup_key",
        "message",
    )

    def may_read(self, user: AnyUser) -> bool:
        return may_read_outbox(user)

    @admin.display(description="Last error")
    def error(self, obj: Notification) -> str:
        return redact(obj.last_error)

    @admin.display(description="Message (links and tokens redacted)")
    def message(self, obj: Notification) -> str:
        preview = outbox_preview(obj)
        if preview.problem:
            return preview.problem
        return format_html(
            "<p><strong>{}</strong></p><p>{}</p><p>{}</p><p>{}</p>",
            preview.subject,
            f"Reply-To: {preview.reply_to}" if preview.reply_to else "",
            linebreaksbr(preview.body, autoescape=True),
            f"Attached: {', '.join(preview.attachments)}" if preview.attachments else "",
        )

    @admin.action(description="Send failed messages again")
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: notification_retry(actor=request.user, notification_id=obj.id),
            "Messages queued to be sent again",
        )

    # A message of unknown outcome (sent_unknown): the manager checked the mail server.
    @admin.action(description="Unknown outcome: mark delivered")
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: notification_mark_delivered(actor=request.user, notification_id=obj.id),
            "Messages marked delivered",
        )

    @admin.action(description="Unknown outcome: send again now")
    def resend_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: notification_resend_now(actor=request.user, notification_id=obj.id),
            "Messages queued to be sent again (possible duplicates)",
        )


class _OwnPreferenceForm(forms.ModelForm):
    event = forms.ChoiceField(
        choices=[(kind.name, kind.label) for kind in kinds_for(Audience.STAFF)]
    )

    class Meta:
        model = NotificationPreference
        fields = ["event", "enabled"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ServiceBackedAdmin):
    """Each staff member's own choices of staff emails (every kind is on by default),
    saved by `notification_preferences_set`."""

    form = _OwnPreferenceForm
    list_display = ["event", "enabled", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_staff and (obj is None or obj.user_id == request.user.id)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        (saved,) = notification_preferences_set(user=request.user, choices={obj.event: obj.enabled})
        obj.pk, obj.user = saved.pk, saved.user


class WebhookEndpointForm(forms.ModelForm):
    """The endpoint's name, address, kinds and customer; saved by the webhook services,
    whose own checks validate it. The secret is never a field."""

    url = forms.URLField(max_length=500, assume_scheme="https", label="URL")
    events = forms.MultipleChoiceField(
        choices=list(WEBHOOK_EVENTS.items()), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "tenant", "events"]

    def clean(self) -> dict:
        data = super().clean() or {}
        if not self.errors:
            try:
                webhook_endpoint_validate(
                    name=data.get("name", ""),
                    url=data.get("url", ""),
                    events=data.get("events", []),
                )
            except InvalidInput as error:
                add_service_errors(self, error)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceBackedAdmin):
    """Webhook endpoints, for support managers only: registered and changed through
    `notifications.webhooks`; the secret is shown once, on the page after adding."""

    form = WebhookEndpointForm
    list_display = [
        "name",
        "url",
        "tenant",
        "kinds",
        "is_active",
        "consecutive_failures",
        "owner",
    ]
    list_filter = ["is_active", "tenant"]
    search_fields = ["name", "url"]
    list_select_related = ["tenant", "owner"]
    readonly_fields = [
        "secret_hint",
        "owner",
        "is_active",
        "disabled_reason",
        "consecutive_failures",
        "created_at",
        "updated_at",
    ]
    actions = ["send_test_event", "enable", "disable"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = ["name", "url", "tenant", "events"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_manage_webhooks(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_manage_webhooks(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_manage_webhooks(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_manage_webhooks(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Events")
    def kinds(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events)

    @admin.display(description="Signing secret")
    def secret_hint(self, obj: WebhookEndpoint) -> str:
        return f"{obj.secret_prefix}… (shown once, when the endpoint was added)"

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if change:
            saved = webhook_endpoint_update(
                actor=request.user,
                endpoint_id=obj.pk,
                name=data["name"],
                url=data["url"],
                events=data["events"],
                tenant=data.get("tenant"),
            )
        else:
            created = webhook_endpoint_create(
                actor=request.user,
                name=data["name"],
                url=data["url"],
                events=data["events"],
                tenant=data.get("tenant"),
            )
            saved = created.endpoint
            # Shown on the next page only (not a message: nothing stores it).
            request._webhook_secret = created.secret
        obj.pk = saved.pk
        obj.refresh_from_db()

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        secret = getattr(request, "_webhook_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        # Admin pages are never cached (no-store), so neither is this one.
        return TemplateResponse(
            request,
            "admin/notifications/webhook_secret.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Webhook endpoint “{obj}” added",
                "endpoint": obj,
                "secret": secret,
                "opts": self.model._meta,
                "change_url": reverse("admin:notifications_webhookendpoint_change", args=[obj.pk]),
            },
        )

    @admin.action(description="Send a test event")
    def send_test_event(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: webhook_send_test(
                actor=signed_in_request(request).user, endpoint_id=obj.id
            ),
            "Test events queued (see Webhook deliveries)",
        )

    @admin.action(description="Enable (and send what was pending)")
    def enable(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: webhook_endpoint_enable(
                actor=signed_in_request(request).user, endpoint_id=obj.id
            ),
            "Endpoints enabled",
        )

    @admin.action(description="Disable")
    def disable(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: webhook_endpoint_disable(
                actor=signed_in_request(request).user, endpoint_id=obj.id
            ),
            "Endpoints disabled",
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: each event sent to each endpoint, its attempts, the endpoint's
    last status and the start of its answer. Read-only, managers only."""

    list_display = [
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "delivered_at",
    ]
    list_filter = ["status", "event", "endpoint"]
    search_fields = ["event_id", "endpoint__name"]
    list_select_related = ["endpoint"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "endpoint",
        "event",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "response_body",
        "last_error",
        "created_at",
        "delivered_at",
        "body",
    )

    def may_read(self, user: AnyUser) -> bool:
        return may_manage_webhooks(user)
