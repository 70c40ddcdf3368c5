"""Reads of projects."""

from __future__ import annotations

from django.db import connection

from projects.models import Project

# Every anonymous or Basic-authenticated registry request looks its project up: written once as
# SQL because the ORM's query building costs more than the indexed lookup itself.
_PROJECT_BY_NAME_SQL = f"SELECT id, name, is_public FROM {Project._meta.db_table} WHERE name = %s"  # noqa: S608


def project_get_by_name(name: str) -> Project | None:
    """The project called `name` (id, name and public flag only), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_PROJECT_BY_NAME_SQL, [name])
        row = cursor.fetchone()
    if row is None:
        return None
    return Project(id=row[0], name=row[1], is_public=bool(row[2]))
