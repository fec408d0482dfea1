"""What keeps the staff queue fast at a million cases: a paginator that counts a long
queue from the planner's statistics and a short one at most a thousand rows far (the
queue's priority filter reads the plans' codes, see `cases.admin.filters`)."""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

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
