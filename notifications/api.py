"""The announcements part of the REST API: what the portal's banner shows now."""

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from notifications.announcements import current_announcements
from notifications.models import Announcement
from supportdesk.api.views import ApiView


class AnnouncementSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Announcement.Kind.choices)
    affected_products = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Announcement
        fields = ["id", "kind", "title", "body", "affected_products", "starts_at", "ends_at"]


@extend_schema(tags=["announcements"])
class AnnouncementList(ApiView):
    @extend_schema(
        operation_id="announcements_list",
        summary="Current announcements",
        description="Ongoing incidents, maintenance under way or starting within two weeks, "
        "and releases of the last two weeks, in that order.",
        responses=AnnouncementSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        current = current_announcements(timezone.now())
        return Response(AnnouncementSerializer(current, many=True).data)


urlpatterns = [
    path("announcements/", AnnouncementList.as_view(), name="announcements"),
]
