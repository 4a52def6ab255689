"""Bulk INSERT of plain rows, without the ORM's per-value work, for the importer's hot path.

Rows are tuples of Python values in the order of the given columns (attribute names).
Dates, datetimes and JSON go through their field's database preparation; other values
go to the driver as they are. PostgreSQL gets COPY and array parameters, the fastest
ways in; other databases get executemany and multi-row VALUES.
"""
from django.db import DEFAULT_DB_ALIAS, connections

# Field types whose Python values the database drivers take as they are.
PLAIN_FIELDS = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "FloatField",
    "ForeignKey", "IntegerField", "OneToOneField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "SlugField", "TextField",
}


def _prepared(db, fields, columns, rows):
    prepare = [
        (i, fields[c].get_db_prep_save) for i, c in enumerate(columns)
        if fields[c].get_internal_type() not in PLAIN_FIELDS
    ]
    if not prepare:
        return rows
    rows = [list(row) for row in rows]
    for row in rows:
        for i, prep in prepare:
            row[i] = prep(row[i], db)
    return rows


def _array_type(field, db) -> str:
    # Text arrays for character columns: a cast to varchar(n) would silently cut a long value,
    # where the INSERT's own assignment refuses it ("value too long").
    return "text" if field.get_internal_type() in ("CharField", "SlugField", "TextField") else field.db_type(db)


def insert_rows(model, columns: list[str], rows: list[tuple], returning: tuple[str, ...] = (), using=DEFAULT_DB_ALIAS):
    """INSERT the rows; with ``returning``, give back those columns of every inserted row (in no set order)."""
    if not rows:
        return []
    db = connections[using]
    fields = {field.attname: field for field in model._meta.concrete_fields}
    rows = _prepared(db, fields, columns, rows)
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(fields[c].column) for c in columns)
    back = f" RETURNING {', '.join(quote(fields[c].column) for c in returning)}" if returning else ""
    postgres = db.vendor == "postgresql"
    with db.cursor() as cursor:
        if postgres and not returning:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return []
        if postgres:
            # One short statement whatever the number of rows: a column of values per parameter.
            arrays = ", ".join(f"%s::{_array_type(fields[c], db)}[]" for c in columns)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){back}", [list(c) for c in zip(*rows, strict=True)])
            return cursor.fetchall()
        one_row = f"({', '.join(['%s'] * len(columns))})"
        if not returning:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {one_row}", rows)
            return []
        per_statement = max(1, (db.features.max_query_params or 10_000) // len(columns))
        returned = []
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join([one_row] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}{back}", [v for row in chunk for v in row])
            returned.extend(cursor.fetchall())
        return returned


def update_rows(model, columns: list[str], rows: list[tuple], using=DEFAULT_DB_ALIAS) -> None:
    """UPDATE rows by primary key: each row holds the values of ``columns``, then the key."""
    if not rows:
        return
    db = connections[using]
    fields = {field.attname: field for field in model._meta.concrete_fields}
    pk = model._meta.pk
    fields[pk.attname] = pk
    rows = _prepared(db, fields, [*columns, pk.attname], rows)
    quote = db.ops.quote_name
    assignments = ", ".join(f"{quote(fields[c].column)} = %s" for c in columns)
    with db.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s", rows
        )


def delete_rows(model, column: str, values, using=DEFAULT_DB_ALIAS) -> None:
    """DELETE the rows whose ``column`` is one of ``values``: no ORM collector, no signals.

    For tables nothing else points to; the caller invalidates what depends on them.
    """
    values = list(values)
    db = connections[using]
    quote = db.ops.quote_name
    field = model._meta.get_field(column)
    per_statement = db.features.max_query_params or 10_000
    with db.cursor() as cursor:
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(field.column)} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
