"""Lists are read page by page: follow `next` until it is null.

Streams that grow while they are read (cases, comments, events) use a cursor, so a page
never repeats or skips an item when new ones arrive; search results, which are ranked,
use page numbers.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model, QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

BAD_CURSOR = "Use the cursor from a `next` or `previous` link as it is."


class CursorPage(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
    page_size_query_description = "Items per page (1–100, default 25)."
    cursor_query_description = "The `cursor` of the `next` or `previous` link."

    def paginate_queryset(  # type: ignore[override]  # pages querysets only (reads .model)
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list | None:
        self.model: type[Model] = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [BAD_CURSOR]}) from None
        position = cursor.position if cursor is not None else None
        # DRF's cursor position is the text from the query string (the stubs say int).
        if position is not None and not self._is_position(position):  # type: ignore[arg-type]
            raise ValidationError({"cursor": [BAD_CURSOR]})
        return cursor

    def _is_position(self, position: str) -> bool:
        """Whether a cursor's position is a value of the ordering field that the database
        can compare with: DRF puts it in the query as it comes, so a made-up one would fail
        there (a server error) instead of here."""
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        if not isinstance(field, Field) or "\x00" in position:
            return False
        try:
            value = field.to_python(position)
            if isinstance(value, datetime):
                value.astimezone(UTC)  # stored in UTC: an offset past year 1 or 9999 fails
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        return not (isinstance(value, datetime) and timezone.is_naive(value))

    def get_page_size(self, request: Request) -> int:
        return _page_size(self, request)


class OldestFirstCursorPage(CursorPage):
    ordering = "created_at"


class NumberedPage(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = "Items per page (1–100, default 25)."

    def get_page_number(self, request: Request, paginator: object) -> int | str:
        number = request.query_params.get(self.page_query_param) or 1
        if _is_number(str(number)) and len(str(number)) <= 6:
            return number
        raise ValidationError({"page": ["Give a page number, e.g. page=2."]})

    def get_page_size(self, request: Request) -> int:
        return _page_size(self, request)


def _page_size(paginator: CursorPage | NumberedPage, request: Request) -> int:
    raw = request.query_params.get(paginator.page_size_query_param)
    if raw is None or raw == "":
        return paginator.page_size
    if not _is_number(raw) or not 1 <= int(raw[:6]) <= paginator.max_page_size:
        raise ValidationError(
            {"page_size": [f"Give a number from 1 to {paginator.max_page_size}."]}
        )
    return int(raw)


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()
