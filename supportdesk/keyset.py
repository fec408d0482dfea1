"""Keyset pages: a page starts after (or ends before) the sort key of a row, so page 500
costs what page 1 costs; OFFSET reads and throws away every row before the page.

A cursor is the sort key values of the first or last row shown, the id last, encoded as
base64url JSON with the key's field names. It carries nothing but sort values: the rows
still come from the caller's queryset (`cases_for` and its filters), so a cursor copied
from another list, another customer's or a tampered one, can only say where to start in
the list the viewer may see. A cursor that does not parse, or names another order's keys,
raises `BadCursor`; the callers show a message and the first page.

The predicate "after these values" over a mixed order (the queue sorts the plan's
precedence descending among ascending keys) is not one SQL row comparison, so it is
written as one branch per key: equal on the keys before it, beyond on it (and a branch of
its own for the NULLs a nullable key orders last). Each branch is a range of the order's
index; each reads at most a page of rows, and the page is the first rows of their union.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy, RawSQL

MAX_CURSOR_LENGTH = 1_000


class BadCursor(ValueError):
    """The cursor in the address is not one this list made."""


@dataclass(frozen=True)
class Key:
    """One column of a list's order: its field, its direction and, for a nullable
    column, where its NULLs go (first when descending, last when ascending, as
    PostgreSQL's indexes keep them, unless the order says otherwise)."""

    name: str
    column: str
    descending: bool
    nulls_first: bool | None  # None: the column is NOT NULL

    def reversed(self) -> Key:
        nulls = None if self.nulls_first is None else not self.nulls_first
        return Key(self.name, self.column, not self.descending, nulls)

    def order_by(self) -> OrderBy:
        return OrderBy(
            F(self.name),
            descending=self.descending,
            nulls_first=True if self.nulls_first else None,
            nulls_last=True if self.nulls_first is False else None,
        )

    def sql(self, quote: Any) -> str:
        direction = "DESC" if self.descending else "ASC"
        if self.nulls_first is None:
            return f"{quote(self.column)} {direction}"
        return f"{quote(self.column)} {direction} NULLS {'FIRST' if self.nulls_first else 'LAST'}"


def order_keys(queryset: QuerySet) -> list[Key] | None:
    """The queryset's order as keys, or None when it cannot be paged by keys (an
    ordering by an expression such as a search rank, a related field, or an order
    the id does not complete): such a list is paged by OFFSET as before. Keys after the
    id are dropped."""
    meta = queryset.model._meta
    keys: list[Key] = []
    for item in queryset.query.order_by:
        nulls_first: bool | None = None
        if isinstance(item, str):
            descending = item.startswith("-")
            name = item.lstrip("-")
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            descending = item.descending
            name = str(item.expression.name)  # type: ignore[attr-defined]
            nulls_first = True if item.nulls_first else False if item.nulls_last else None
        else:
            return None
        if name == "pk":
            name = meta.pk.name
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not getattr(field, "concrete", False) or field.is_relation:
            return None
        if field.null and nulls_first is None:
            nulls_first = descending
        keys.append(Key(field.name, field.column, descending, nulls_first if field.null else None))
        if field.name == meta.pk.name:
            # The id makes the order total: what follows it (the admin appends the queue's
            # own order to a column sort) never decides anything.
            return keys
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(keys: list[Key], values: list[Any]) -> str:
    payload = json.dumps(
        {"k": [key.name for key in keys], "v": [_jsonable(value) for value in values]},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(model: type[Model], keys: list[Key], token: str) -> list[Any]:
    """The values the cursor holds, each checked by its model field; `BadCursor` when the
    token is not base64url JSON naming exactly these keys with values of their types."""
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise BadCursor("empty or too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor("not a cursor") from error
    if not isinstance(payload, dict) or set(payload) != {"k", "v"}:
        raise BadCursor("not a cursor")
    names, raw_values = payload["k"], payload["v"]
    if names != [key.name for key in keys] or not isinstance(raw_values, list):
        raise BadCursor("made for another order")
    if len(raw_values) != len(keys):
        raise BadCursor("made for another order")
    values: list[Any] = []
    for key, raw_value in zip(keys, raw_values, strict=True):
        if raw_value is None:
            if key.nulls_first is None:
                raise BadCursor(f"{key.name} cannot be empty")
            values.append(None)
            continue
        if isinstance(raw_value, bool) or not isinstance(raw_value, str | int | float):
            raise BadCursor(f"{key.name}: not a value")
        field = model._meta.get_field(key.name)
        try:
            value = field.to_python(raw_value)  # type: ignore[union-attr]
        except ValidationError as error:
            raise BadCursor(f"{key.name}: not a value") from error
        if value is None:
            raise BadCursor(f"{key.name}: not a value")
        values.append(value)
    return values


def row_values(keys: list[Key], row: Model) -> list[Any]:
    return [getattr(row, key.name) for key in keys]


def _equal(key: Key, value: Any) -> Q:
    return Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})


def _beyond(key: Key, value: Any) -> list[Q]:
    """The rows that come after `value` on this key alone, one Q per index range."""
    if value is None:
        # NULLs first: every value is beyond them; NULLs last: nothing is.
        return [Q(**{f"{key.name}__isnull": False})] if key.nulls_first else []
    beyond = [Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})]
    if key.nulls_first is False:
        beyond.append(Q(**{f"{key.name}__isnull": True}))
    return beyond


def after_branches(keys: list[Key], values: list[Any], *, inclusive: bool = False) -> list[Q]:
    """The rows after (with `inclusive`, from) the row with these key values, as
    disjoint branches: the union of their rows is exactly the rest of the list."""
    branches: list[Q] = []
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        branches.extend(prefix & beyond for beyond in _beyond(key, value))
        prefix &= _equal(key, value)
    if inclusive:
        branches.append(prefix)
    return branches


def leading_from(keys: list[Key], value: Any) -> Q:
    """The rows whose first key is at `value` or beyond it (a jump to a time)."""
    key = keys[0]
    lookup = "lte" if key.descending else "gte"
    beyond = Q(**{f"{key.name}__{lookup}": value})
    if key.nulls_first is False:
        beyond |= Q(**{f"{key.name}__isnull": True})
    return beyond


def fetch(queryset: QuerySet, keys: list[Key], branches: list[Q] | None, limit: int) -> list[Model]:
    """The first `limit` rows of the queryset in the keys' order, within the branches
    (None: from the start). One query: the branches, each an index range read at most
    `limit` rows deep, pick the ids; the outer query reads those rows only."""
    ordered = queryset.order_by(*(key.order_by() for key in keys))
    if branches is None:
        return list(ordered[:limit])
    if not branches:
        return []
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    parts, params = [], []
    for number, branch in enumerate(branches):
        picked = (
            ordered.filter(branch).values(*(key.name for key in keys))[:limit].query
        ).get_compiler(using=queryset.db)
        sql, branch_params = picked.as_sql()
        # The branch's own compiled SQL; its values travel as parameters.
        parts.append(f"SELECT * FROM ({sql}) {quote(f'keyset_{number}')}")  # noqa: S608
        params.extend(branch_params)
    order = ", ".join(key.sql(quote) for key in keys)
    pk = quote(queryset.model._meta.pk.column)
    # Only quoted column names and an int are spliced in; the values stay parameters.
    ids = (
        f"SELECT {pk} FROM ({' UNION ALL '.join(parts)}) {quote('keyset')} "  # noqa: S608
        f"ORDER BY {order} LIMIT {int(limit)}"
    )
    return list(ordered.filter(pk__in=RawSQL(ids, params)))  # noqa: S611


class KeysetPage(Page):
    """A page of a keyset walk: `next_cursor` / `previous_cursor` are None where the
    list ends (or begins). `number` is 1 on the first page and 0 elsewhere: a keyset
    page has no number."""

    def __init__(
        self,
        rows: list,
        paginator: Paginator,
        *,
        next_cursor: str | None,
        previous_cursor: str | None,
        first: bool,
    ) -> None:
        super().__init__(rows, 1 if first else 0, paginator)
        self.next_cursor = next_cursor
        self.previous_cursor = previous_cursor
        self.first = first

    def has_next(self) -> bool:
        return self.next_cursor is not None

    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def keyset_page(
    paginator: Paginator,
    queryset: QuerySet,
    keys: list[Key],
    per_page: int,
    *,
    after: str = "",
    before: str = "",
    start: Q | list[Q] | None = None,
) -> KeysetPage:
    """The page after the cursor `after`, before the cursor `before`, from the rows
    `start` selects (a jump), or the first page. Raises `BadCursor`."""
    model = queryset.model
    if before:
        values = decode_cursor(model, keys, before)
        back = [key.reversed() for key in keys]
        rows = fetch(queryset, back, after_branches(back, values), per_page + 1)
        if not rows:
            return keyset_page(paginator, queryset, keys, per_page)
        # Going back does not realign pages to the first one: the page nearest the start
        # may be short, so that walking back shows every row once.
        more = len(rows) > per_page
        rows = rows[:per_page][::-1]
        return KeysetPage(
            rows,
            paginator,
            next_cursor=encode_cursor(keys, row_values(keys, rows[-1])),
            previous_cursor=encode_cursor(keys, row_values(keys, rows[0])) if more else None,
            first=False,
        )
    if after:
        branches: list[Q] | None = after_branches(keys, decode_cursor(model, keys, after))
    elif isinstance(start, Q):
        branches = [start]
    else:
        branches = start
    rows = fetch(queryset, keys, branches, per_page + 1)
    more = len(rows) > per_page
    rows = rows[:per_page]
    first = branches is None
    return KeysetPage(
        rows,
        paginator,
        next_cursor=encode_cursor(keys, row_values(keys, rows[-1])) if more else None,
        previous_cursor=(
            encode_cursor(keys, row_values(keys, rows[0])) if rows and not first else None
        ),
        first=first,
    )
