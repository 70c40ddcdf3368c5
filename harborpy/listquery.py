"""Harbor's list query parameters `q` and `sort`, turned into ORM filters and orderings.

`q` is a comma-separated list of conditions on named fields: `k=v` (exact), `k=~v` (contains,
case-insensitive) and `k={v1 v2}` (any of). Harbor's ranges and intersections are not
supported; they, unknown fields and malformed conditions are a 400 that names the problem.
`sort` is a comma-separated list of fields, each optionally prefixed with `-` for descending.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q
from django.utils.translation import gettext as _

from harborpy.errors import BadRequest


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def query_filter(raw: str | None, fields: Mapping[str, str]) -> Q:
    """The Q object for Harbor's `q` over `fields` (API name -> ORM lookup path)."""
    condition = Q()
    if not raw:
        return condition
    if "\x00" in raw:
        raise BadRequest(_("A query cannot contain a NUL character."), detail={"fields": {"q": ["invalid"]}})
    for part in raw.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BadRequest(
                _("Invalid query %(part)s: use key=value, key=~value or key={v1 v2}.") % {"part": part},
                detail={"fields": {"q": ["invalid"]}},
            )
        if key not in fields:
            raise BadRequest(
                _("Cannot query by %(key)s: use %(fields)s.") % {"key": key, "fields": ", ".join(fields)},
                detail={"fields": {"q": ["invalid"]}},
            )
        path = fields[key]
        if value.startswith("~"):
            condition &= Q(**{f"{path}__icontains": _unquote(value[1:])})
        elif value.startswith("{") and value.endswith("}"):
            condition &= Q(**{f"{path}__in": [_unquote(v) for v in value[1:-1].split()]})
        elif value.startswith(("[", "(")):
            raise BadRequest(
                _("Ranges and intersections in queries are not supported: %(part)s.") % {"part": part},
                detail={"fields": {"q": ["unsupported"]}},
            )
        else:
            condition &= Q(**{path: _unquote(value)})
    return condition


def sort_order(raw: str | None, fields: Mapping[str, str], default: list[str]) -> list[str]:
    """ORM ordering for Harbor's `sort` over `fields` (API name -> ORM field), then `default`."""
    order: list[str] = []
    for part in (raw or "").split(","):
        name = part.strip()
        if not name:
            continue
        descending = name.startswith("-")
        name = name.lstrip("-")
        if name not in fields:
            raise BadRequest(
                _("Cannot sort by %(key)s: use %(fields)s.") % {"key": name, "fields": ", ".join(fields)},
                detail={"fields": {"sort": ["invalid"]}},
            )
        order.append(("-" if descending else "") + fields[name])
    return order + [key for key in default if key.lstrip("-") not in {o.lstrip("-") for o in order}]
