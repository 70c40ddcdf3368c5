"""Hand-written SQL for the registry's hottest statements.

A registry serves mostly tiny requests: a manifest GET, a blob HEAD, one chunk of an upload.
Profiled under gunicorn, building such a statement with the ORM (resolving lookups, joins and
ordering, compiling) cost several times more CPU than running it, so the few statements on those
paths are written out here and in the modules that use these helpers. Each takes its table and
column names from the models and passes every value as a parameter converted by the model field
(`db_value`), so it stays correct on SQLite and PostgreSQL; the test suite runs on both.
Everything else uses the ORM.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.db.models import F, Model
from django.db.models.functions import Collate


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], field_name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field_name).column)


def db_value(model: type[Model], field_name: str, value: Any) -> Any:
    """`value` as the database driver expects it for that field (UUIDs, datetimes, JSON...)."""
    return model._meta.get_field(field_name).get_db_prep_value(value, connection, prepared=False)


def json_value(raw: Any) -> Any:
    """A JSON column as read with a cursor: Django has both backends hand it over as text."""
    return json.loads(raw) if isinstance(raw, str | bytes | bytearray) else raw


def fetch_one(sql: str, params: list[Any]) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: list[Any]) -> int:
    """Run a statement; returns the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def bytewise_collation() -> str:
    """The COLLATE clause that orders text by bytes, as the OCI lists (tags, catalog) expect.

    SQLite compares bytes already; PostgreSQL follows the database's locale unless told.
    """
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


def bytewise(field_name: str) -> F | Collate:
    """An ORM expression for `field_name` ordered and compared by bytes (see bytewise_collation)."""
    return Collate(F(field_name), "C") if connection.vendor == "postgresql" else F(field_name)
