"""Base views for every API endpoint: query parameters are parsed (and unknown ones
refused) after authentication, permission and throttle checks."""

from typing import TYPE_CHECKING

from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.views import APIView

from supportdesk.api.serializers import StrictInput, validated


class NoQuery(StrictInput):
    """An endpoint that takes no query parameters."""


class CursorQuery(StrictInput):
    """A cursor-paginated list without filters."""

    passed_through = ("cursor", "page_size")


if TYPE_CHECKING:
    _View = APIView
else:
    _View = object


class _ParsedQuery(_View):
    query_class: type[StrictInput] = NoQuery
    query: dict

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        self.query = validated(self.query_class, request.query_params)


class ApiView(_ParsedQuery, APIView):
    pass


class ApiListView(_ParsedQuery, ListAPIView):
    query_class: type[StrictInput] = CursorQuery
