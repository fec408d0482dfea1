"""Writing a few fields of many rows at once, for the sweeps' batches."""

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model
from django.db.models.options import Options

from audit.services import audit_bulk_changed

MAX_PARAMETERS = 65_000


def bulk_save_fields(
    objs: Sequence[Model], fields: Sequence[str], *, bump_version: bool = False
) -> None:
    """Save `fields` of each object in one statement: on PostgreSQL one
    `UPDATE ... FROM (VALUES ...)` for the whole batch (one parse, one plan, one round
    trip), elsewhere one UPDATE sent per row (executemany). Django's `bulk_update` builds a
    CASE WHEN per field and row, whose Python cost dwarfs the database's for a batch of
    hundreds. `bump_version` also adds one to each row's `version` column."""
    if not objs:
        return
    meta = type(objs[0])._meta
    # `fields` name concrete columns (get_field may also answer a relation).
    columns = [cast(Field, meta.get_field(name)) for name in fields]
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [obj.pk]
        for obj in objs
    ]
    if connection.vendor == "postgresql":
        _update_from_values(meta, columns, rows, bump_version=bump_version)
    else:
        _update_each(meta, columns, rows, bump_version=bump_version)
    # The batch sends no model signals: its audit entries are written here, in one INSERT.
    audit_bulk_changed(objs, fields)


def _update_from_values(
    meta: Options, columns: list[Field], rows: list[list[Any]], *, bump_version: bool
) -> None:
    """One UPDATE joined to the batch's values, each placeholder cast to its column's
    type (the pk last)."""
    quote = connection.ops.quote_name
    pk = meta.pk
    names = [quote(_column(field)) for field in columns]
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    if bump_version:
        assignments += f", {quote('version')} = t.{quote('version')} + 1"
    casts = [f"%s::{field.cast_db_type(connection)}" for field in [*columns, pk]]
    row_sql = f"({', '.join(casts)})"
    table, pk_column = quote(meta.db_table), quote(_column(pk))
    # PostgreSQL takes at most 65,535 parameters in one statement.
    per_statement = MAX_PARAMETERS // len(casts)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = (
                f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - names from the model
                f"FROM (VALUES {', '.join([row_sql] * len(chunk))}) "
                f"AS v ({', '.join([*names, pk_column])}) WHERE t.{pk_column} = v.{pk_column}"
            )
            cursor.execute(sql, [value for row in chunk for value in row])


def _update_each(
    meta: Options, columns: list[Field], rows: list[list[Any]], *, bump_version: bool
) -> None:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(field))} = %s" for field in columns)
    if bump_version:
        assignments += f", {quote('version')} = {quote('version')} + 1"
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model
        f"WHERE {quote(_column(meta.pk))} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _column(field: Field) -> str:
    """A concrete field's column (the stubs allow None, for fields that have none)."""
    return cast(str, field.column)
