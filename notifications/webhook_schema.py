"""The webhook payload as the OpenAPI document describes it (its `webhooks` section):
what `notifications.webhooks.webhook_payload` sends, version 2026-12-01."""

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from notifications.webhooks import PAYLOAD_VERSION, TEST_EVENT, WEBHOOK_EVENTS


class WebhookCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    summary = serializers.CharField()
    state = serializers.CharField()
    priority = serializers.CharField()
    tenant = serializers.CharField()
    url = serializers.URLField(help_text="The case in the customer portal.")


class WebhookCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    by_staff = serializers.BooleanField()
    author = serializers.CharField()
    created_at = serializers.DateTimeField()


class WebhookRequestSerializer(serializers.Serializer):
    reference = serializers.CharField()
    summary = serializers.CharField()
    type = serializers.CharField()
    state = serializers.CharField()
    tenant = serializers.CharField()
    url = serializers.URLField()


class WebhookEventDetailSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The timeline event's kind.")
    from_state = serializers.CharField(required=False, help_text="case.state_changed only.")
    to_state = serializers.CharField(required=False, help_text="case.state_changed only.")
    metric = serializers.CharField(required=False, help_text="SLA events: which target.")
    due = serializers.CharField(required=False, help_text="SLA events: when it was due.")
    message = serializers.CharField(required=False, help_text="request.state_changed only.")


class WebhookDataSerializer(serializers.Serializer):
    case = WebhookCaseSerializer(required=False, help_text="Case events.")
    comment = WebhookCommentSerializer(required=False, help_text="case.commented only.")
    request = WebhookRequestSerializer(required=False, help_text="request.state_changed only.")
    event = WebhookEventDetailSerializer(required=False)


class WebhookEventSerializer(serializers.Serializer):
    version = serializers.ChoiceField(
        choices=[PAYLOAD_VERSION], help_text="The payload's version; a new one is announced."
    )
    id = serializers.UUIDField(help_text="The event's id: the same on every retry.")
    type = serializers.ChoiceField(choices=[*WEBHOOK_EVENTS, TEST_EVENT])
    created_at = serializers.DateTimeField()
    tenant_id = serializers.IntegerField(allow_null=True)
    data = WebhookDataSerializer()  # type: ignore[assignment]


_HEADERS = (
    " Signed: check the `SupportDesk-Signature` header (docs/api.md, “Verifying the "
    "signature”); any 2xx answer acknowledges it, anything else is retried with backoff."
)


def _webhook(kind: str, label: str) -> OpenApiWebhook:
    return OpenApiWebhook(
        name=kind,
        decorator=extend_schema(
            summary=label,
            description=f"`{kind}`: {label[0].lower()}{label[1:]}." + _HEADERS,
            request=WebhookEventSerializer,
            responses={200: OpenApiResponse(description="Received.")},
        ),
    )


# SPECTACULAR_SETTINGS["WEBHOOKS"] (supportdesk/settings.py) names each by its import path.
CASE_CREATED = _webhook("case.created", WEBHOOK_EVENTS["case.created"])
CASE_COMMENTED = _webhook("case.commented", WEBHOOK_EVENTS["case.commented"])
CASE_STATE_CHANGED = _webhook("case.state_changed", WEBHOOK_EVENTS["case.state_changed"])
CASE_SLA_AT_RISK = _webhook("case.sla_at_risk", WEBHOOK_EVENTS["case.sla_at_risk"])
CASE_SLA_BREACHED = _webhook("case.sla_breached", WEBHOOK_EVENTS["case.sla_breached"])
CASE_ESCALATED = _webhook("case.escalated", WEBHOOK_EVENTS["case.escalated"])
REQUEST_STATE_CHANGED = _webhook("request.state_changed", WEBHOOK_EVENTS["request.state_changed"])
WEBHOOK_TEST = _webhook(TEST_EVENT, "A test event sent from the admin")
