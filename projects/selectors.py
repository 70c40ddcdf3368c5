"""Reads of projects."""

from __future__ import annotations

from harborpy import sql
from projects.models import Project

# Every anonymous or Basic-authenticated registry request looks its project up: written out
# (see harborpy/sql.py).
_PROJECT_BY_NAME_SQL = f"SELECT id, name, is_public FROM {sql.table(Project)} WHERE name = %s"  # noqa: S608


def project_get_by_name(name: str) -> Project | None:
    """The project called `name` (id, name and public flag only), or None."""
    row = sql.fetch_one(_PROJECT_BY_NAME_SQL, [name])
    if row is None:
        return None
    return Project(id=row[0], name=row[1], is_public=bool(row[2]))
