"""Bounded lists: the first rows of a list and a count that stops at a cap, so a page
that shows "what waits for you" costs the same on a desk of a thousand cases as on one
of a million (the staff home). The count reads at most `COUNT_CAP + 1` rows of the
list's index and says "100+" beyond."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

SHOWN = 10
COUNT_CAP = 100

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Bounded(Generic[T]):
    """The first rows of a list and how many it holds, counted up to `COUNT_CAP + 1`."""

    rows: list[T]
    count: int
    cap: int = COUNT_CAP

    @property
    def label(self) -> str:
        return f"{self.cap}+" if self.count > self.cap else str(self.count)


def bounded(queryset: QuerySet[M], shown: int = SHOWN, cap: int = COUNT_CAP) -> Bounded[M]:
    """The first `shown` rows; counted (up to `cap`) only when there may be more."""
    rows = list(queryset[:shown])
    if len(rows) < shown:
        return Bounded(rows, len(rows), cap)
    return Bounded(rows, queryset.order_by()[: cap + 1].count(), cap)
