"""Writing a few fields of many rows at once, for the sweeps' batches."""

from collections.abc import Sequence
from typing import cast

from django.db import connection
from django.db.models import Field, Model

from audit.services import audit_bulk_changed


def bulk_save_fields(
    objs: Sequence[Model], fields: Sequence[str], *, bump_version: bool = False
) -> None:
    """Save `fields` of each object with one UPDATE statement sent for all rows together
    (executemany, pipelined by psycopg 3). Django's `bulk_update` builds a CASE WHEN per
    field and row, whose Python cost dwarfs the database's for a batch of hundreds.
    `bump_version` also adds one to each row's `version` column."""
    if not objs:
        return
    meta = type(objs[0])._meta
    # `fields` name concrete columns (get_field may also answer a relation).
    columns = [cast(Field, meta.get_field(name)) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(field))} = %s" for field in columns)
    if bump_version:
        assignments += f", {quote('version')} = {quote('version')} + 1"
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model
        f"WHERE {quote(_column(meta.pk))} = %s"
    )
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    # The batch sends no model signals: its audit entries are written here, in one INSERT.
    audit_bulk_changed(objs, fields)


def _column(field: Field) -> str:
    """A concrete field's column (the stubs allow None, for fields that have none)."""
    return cast(str, field.column)
