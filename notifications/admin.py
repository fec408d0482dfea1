from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html

from notifications.announcements import announcement_alert_subscribers
from notifications.events import Audience, kinds_for
from notifications.models import Announcement, Notification, NotificationPreference
from notifications.outbox import may_read_outbox, notification_retry
from notifications.preferences import notification_preferences_set
from notifications.redaction import outbox_preview
from supportdesk.admin_actions import run_for_each
from supportdesk.redaction import redact


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
class NotificationAdmin(admin.ModelAdmin):
    """The outbox as managers see it: what went out, what waits, what failed and why.
    What a message says is shown redacted (no link, no token); other roles see nothing."""

    list_display = ["created_at", "event", "recipient", "case", "status", "attempts", "sent_at"]
    list_filter = ["status", "event"]
    search_fields = ["recipient", "case__reference", "event", "message_id", "dedup_key"]
    list_select_related = ["case"]
    date_hierarchy = "created_at"
    actions = ["retry"]
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
        "message_id",
        "references",
        "dedup_key",
        "message",
    )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_read_outbox(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_read_outbox(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

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


class _OwnPreferenceForm(forms.ModelForm):
    event = forms.ChoiceField(
        choices=[(kind.name, kind.label) for kind in kinds_for(Audience.STAFF)]
    )

    class Meta:
        model = NotificationPreference
        fields = ["event", "enabled"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Each staff member's own choices of staff emails (every kind is on by default)."""

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
