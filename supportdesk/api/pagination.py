"""Lists are read page by page: follow `next` until it is null.

Streams that grow while they are read (cases, comments, events) use a cursor, so a page
never repeats or skips an item when new ones arrive; search results, which are ranked,
use page numbers.
"""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request


class CursorPage(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
    page_size_query_description = "Items per page (1–100, default 25)."
    cursor_query_description = "The `cursor` of the `next` or `previous` link."

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {"cursor": ["Use the cursor from a `next` or `previous` link as it is."]}
            ) from None

    def get_page_size(self, request: Request) -> int:
        return _page_size(self, request)


class OldestFirstCursorPage(CursorPage):
    ordering = "created_at"


class NumberedPage(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = "Items per page (1–100, default 25)."

    def get_page_number(self, request: Request, paginator: object) -> str:
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
