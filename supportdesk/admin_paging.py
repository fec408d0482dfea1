"""What keeps the staff queue fast at a million cases: a paginator that counts a long
queue from the planner's statistics and a short one at most a thousand rows far (the
queue's priority filter reads the plans' codes, see `cases.admin.filters`), and pages by
the order's keys rather than by OFFSET (`KeysetPaginator`, `supportdesk.keyset`)."""

from collections.abc import Callable
from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db import connections, models
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import cached_property

from supportdesk.keyset import (
    BadCursor,
    KeysetPage,
    after_branches,
    keyset_page,
    leading_from,
    order_keys,
    row_values,
)

# A queue up to this long is counted exactly; a longer one shows the planner's estimate.
EXACT_COUNT_UP_TO = 1_000


def planner_row_estimate(queryset: QuerySet) -> int | None:
    """The planner's estimate of the rows the queryset returns, from EXPLAIN (no rows are
    read); None where the database is not PostgreSQL."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return int(plan[0]["Plan"]["Plan Rows"])


def rounded(estimate: int) -> int:
    """An estimate shown as what it is: 141,873 reads 140,000."""
    digits = len(str(estimate)) - 2
    return round(estimate, -digits) if digits > 0 else estimate


class EstimatedCountPaginator(Paginator):
    """Asks the planner first (EXPLAIN, no rows read). A queue it expects to hold more than
    ten times `EXACT_COUNT_UP_TO` rows takes that estimate: opening a queue of a hundred
    thousand open cases counts nothing. Otherwise the queue is counted, but never past
    `EXACT_COUNT_UP_TO` + 1 rows (a bounded scan, whatever the filters). `count_is` tells
    the template what the figure is: "exact", "about" (the estimate), or "more than" (the
    planner expected fewer rows than the bounded count found, so only the bound is
    known)."""

    count_is = "exact"

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count
        estimate = planner_row_estimate(queryset) or 0
        if estimate > 10 * EXACT_COUNT_UP_TO:
            self.count_is = "about"
            return rounded(estimate)
        bounded = queryset.order_by().values("pk")[: EXACT_COUNT_UP_TO + 1].count()
        if bounded <= EXACT_COUNT_UP_TO:
            return bounded
        if estimate <= EXACT_COUNT_UP_TO:
            self.count_is = "more than"
            return EXACT_COUNT_UP_TO
        self.count_is = "about"
        return rounded(estimate)


# What a page address may carry besides the filters: a keyset cursor either way, or a jump.
AFTER_PARAM, BEFORE_PARAM, JUMP_PARAM = "after", "before", "jump"
PAGING_PARAMS = ("p", AFTER_PARAM, BEFORE_PARAM, JUMP_PARAM)

BAD_CURSOR_MESSAGE = (
    "That page link does not belong to this list as it is now sorted (it may be damaged "
    "or from another order): showing the first page."
)


def _jump_time(text: str) -> datetime | None:
    """A date ("2026-11-30") or a date and time ("2026-11-30 14:00") in the viewer's
    time zone; None when the text is neither."""
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        return None
    if moment is None and day is not None:
        moment = datetime.combine(day, time.min)
    if moment is None:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class KeysetPaginator(EstimatedCountPaginator):
    """The estimated count as before, and pages by keys (`supportdesk.keyset`): Next and
    Previous carry the sort key of the last or first row shown, so a page deep in the
    list costs what the first one costs. `?jump=` goes to a time (when the order starts
    with one) or to the page that starts with a row `find` picks (a case reference). An
    order that cannot be paged by keys (a search's best-match order) and an old `?p=`
    link are paged by OFFSET as before. A bad cursor or jump adds a message and shows the
    first page."""

    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        *,
        request: HttpRequest,
        find: Callable[[QuerySet, str], Model | None] | None = None,
    ) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.queryset = object_list
        self.request = request
        self.find = find
        self.keys = order_keys(object_list) if isinstance(object_list, QuerySet) else None
        self.keyset: KeysetPage | None = None
        self.jump_text = request.GET.get(JUMP_PARAM, "").strip()[:100]

    @property
    def jumps_to_time(self) -> bool:
        if not self.keys:
            return False
        field = self.queryset.model._meta.get_field(self.keys[0].name)
        return isinstance(field, models.DateField)

    def page(self, number: int | str) -> Page:
        params = self.request.GET
        cursors = {name: params.get(name, "") for name in (AFTER_PARAM, BEFORE_PARAM)}
        if self.keys is None or (str(number) != "1" and not any(cursors.values())):
            return super().page(number)
        try:
            start = self._jump_start() if self.jump_text else None
            page = keyset_page(
                self, self.queryset, self.keys, self.per_page, **cursors, start=start
            )
        except BadCursor:
            messages.warning(self.request, BAD_CURSOR_MESSAGE)
            page = keyset_page(self, self.queryset, self.keys, self.per_page)
        self.keyset = page
        return page

    def _jump_start(self) -> Q | list[Q] | None:
        keys = self.keys or []
        moment = _jump_time(self.jump_text) if self.jumps_to_time else None
        if moment is not None:
            return leading_from(keys, moment)
        row = self.find(self.queryset, self.jump_text) if self.find else None
        if row is None:
            what = "a time or a reference" if self.jumps_to_time else "a reference"
            messages.warning(
                self.request,
                f"“{self.jump_text}” is not {what} in this list (check the filters): "
                "showing the first page.",
            )
            return None
        return after_branches(keys, row_values(keys, row), inclusive=True)

    def _url(self, **change: str) -> str:
        params = self.request.GET.copy()
        for name in PAGING_PARAMS:
            params.pop(name, None)
        params.update(change)
        return f"?{params.urlencode()}" if params else "?"

    @property
    def next_url(self) -> str:
        cursor = self.keyset.next_cursor if self.keyset else None
        return self._url(**{AFTER_PARAM: cursor}) if cursor else ""

    @property
    def previous_url(self) -> str:
        cursor = self.keyset.previous_cursor if self.keyset else None
        return self._url(**{BEFORE_PARAM: cursor}) if cursor else ""

    @property
    def first_url(self) -> str:
        return self._url() if self.keyset and not self.keyset.first else ""

    @property
    def kept_params(self) -> list[tuple[str, str]]:
        """The address's filters, as hidden fields of the jump form."""
        return [
            (name, value)
            for name, values in self.request.GET.lists()
            if name not in PAGING_PARAMS
            for value in values
        ]
