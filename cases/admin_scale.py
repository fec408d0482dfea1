"""What keeps the staff queue fast at a million cases: a paginator that takes
PostgreSQL's row estimate for the unfiltered queue instead of counting every case (the
queue's priority filter reads the plans' codes, see `cases.admin.filters`)."""

from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

# Below this many rows an exact count is cheap; above it the unfiltered queue shows the
# planner's estimate (kept fresh by autovacuum's ANALYZE).
EXACT_COUNT_UP_TO = 50_000


class EstimatedCountPaginator(Paginator):
    """Counts exactly when the queue is filtered (the indexes make that cheap) or small;
    the whole table's count on PostgreSQL comes from its statistics."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > EXACT_COUNT_UP_TO:
                return int(row[0])
        return super().count
