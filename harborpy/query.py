"""Harbor's list query language: `q=k=v,k=~v,k=[min~max],k={a b},k=(a b)` and `sort=a,-b`.

Every list endpoint of the REST API takes the same `q` and `sort` parameters (Harbor's swagger,
parameters `query` and `sort`). A view declares which keys it understands and which model field
each maps to; anything else is a 400 naming the key, never a silently ignored filter.

- `k=v` exact match, `k=~v` fuzzy (case-insensitive substring),
- `k=[min~max]` range (either end may be empty), for integers and times ("2020-04-09 02:36:00"),
- `k={v1 v2}` any of (union), `k=(v1 v2)` all of (intersection, for many-valued keys such as tags).
Values may be quoted with " or '; terms are separated by commas outside quotes and brackets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from harborpy.errors import BadRequest


@dataclass(frozen=True)
class Term:
    """One `key<op>value` of a query: kind is exact, fuzzy, range, union or intersection."""

    kind: str
    values: tuple[str, ...]


def _split(text: str, separator: str) -> list[str]:
    """Split on `separator` outside quotes and brackets."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote or depth:
        raise BadRequest(_("Unbalanced quotes or brackets in the query %(q)s.") % {"q": text[:200]})
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _list_values(body: str) -> tuple[str, ...]:
    return tuple(_unquote(v) for v in _split(body.strip(), " ") if v.strip())


def parse_query(q: str) -> dict[str, Term]:
    """The terms of a `q` parameter; raises BadRequest for a malformed one."""
    terms: dict[str, Term] = {}
    if not q.strip():
        return terms
    if "\x00" in q:  # PostgreSQL can neither store nor compare one
        raise BadRequest(_("A query cannot contain a NUL character."))
    for part in _split(q, ","):
        key, sep, raw = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BadRequest(_("Invalid query term %(term)s: use key=value.") % {"term": part[:100]})
        raw = raw.strip()
        if raw.startswith("~"):
            term = Term("fuzzy", (_unquote(raw[1:]),))
        elif raw.startswith("[") and raw.endswith("]"):
            low, tilde, high = raw[1:-1].partition("~")
            if not tilde:
                raise BadRequest(_("Invalid range %(value)s: use [min~max].") % {"value": raw[:100]})
            term = Term("range", (_unquote(low), _unquote(high)))
        elif raw.startswith("{") and raw.endswith("}"):
            term = Term("union", _list_values(raw[1:-1]))
        elif raw.startswith("(") and raw.endswith(")"):
            term = Term("intersection", _list_values(raw[1:-1]))
        else:
            term = Term("exact", (_unquote(raw),))
        terms[key] = term
    return terms


# Integer columns are 64-bit at most; a larger number would fail in the database, not match nothing.
INT64_MAX = 2**63 - 1
_INT_MIN, _INT_MAX = -(2**63), INT64_MAX


def _as_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not _INT_MIN <= number <= _INT_MAX:
        raise BadRequest(_("%(value)s is not an integer.") % {"value": value[:50]})
    return number


def _as_time(value: str) -> datetime:
    try:
        parsed = parse_datetime(value.replace(" ", "T", 1)) if value else None
    except ValueError:  # well-formed but impossible, such as month 13
        parsed = None
    if parsed is None:
        raise BadRequest(_('%(value)s is not a time: use "2006-01-02 15:04:05".') % {"value": value[:50]})
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


def _as_bool(value: str) -> bool:
    if value.lower() in {"true", "1"}:
        return True
    if value.lower() in {"false", "0"}:
        return False
    raise BadRequest(_("%(value)s is not true or false.") % {"value": value[:50]})


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "int": _as_int,
    "time": _as_time,
    "bool": _as_bool,
}


def query_value(value: str, type: str) -> Any:
    """A query value converted to `type` (str, int, time, bool); raises BadRequest."""
    return _CONVERTERS[type](value)


@dataclass(frozen=True)
class Field:
    """How a query key filters: the model field path and the value type (str, int, time, bool).

    A key that is not a plain field (e.g. an artifact's `tags`) gives `apply` instead: it gets
    the queryset and the term and returns the filtered queryset, raising BadRequest itself.
    """

    path: str = ""
    type: str = "str"
    apply: Callable[[QuerySet, Term], QuerySet] | None = None


def query_filter(queryset: QuerySet, q: str | dict[str, Term], fields: dict[str, Field]) -> QuerySet:
    """`queryset` filtered by the `q` parameter (or its terms, parsed already) over the keys in `fields`."""
    terms = parse_query(q) if isinstance(q, str) else q
    for key, term in terms.items():
        field = fields.get(key)
        if field is None:
            raise BadRequest(
                _("Unsupported query key %(key)s; supported: %(keys)s.")
                % {"key": key[:50], "keys": ", ".join(sorted(fields))}
            )
        if field.apply is not None:
            queryset = field.apply(queryset, term)
            continue
        convert = _CONVERTERS[field.type]
        if term.kind == "fuzzy":
            if field.type != "str":
                raise BadRequest(_("The key %(key)s cannot be matched fuzzily.") % {"key": key})
            queryset = queryset.filter(**{f"{field.path}__icontains": term.values[0]})
        elif term.kind == "range":
            low, high = term.values
            if field.type not in {"int", "time"}:
                raise BadRequest(_("The key %(key)s cannot be given a range.") % {"key": key})
            if low:
                queryset = queryset.filter(**{f"{field.path}__gte": convert(low)})
            if high:
                queryset = queryset.filter(**{f"{field.path}__lte": convert(high)})
        elif term.kind == "union":
            queryset = queryset.filter(**{f"{field.path}__in": [convert(v) for v in term.values]})
        elif term.kind == "intersection":
            for value in term.values:
                queryset = queryset.filter(**{field.path: convert(value)})
        else:
            queryset = queryset.filter(Q(**{field.path: convert(term.values[0])}))
    joined = any(t.kind == "intersection" and fields[k].apply is None for k, t in terms.items())
    return queryset.distinct() if joined else queryset


def query_sort(queryset: QuerySet, sort: str, fields: dict[str, str], default: list[str]) -> QuerySet:
    """`queryset` ordered by `sort` ("a,-b") over the keys in `fields` (key -> model field path)."""
    order = []
    for item in (s.strip() for s in sort.split(",") if s.strip()):
        descending = item.startswith("-")
        key = item.lstrip("-")
        path = fields.get(key)
        if path is None:
            raise BadRequest(
                _("Unsupported sort key %(key)s; supported: %(keys)s.")
                % {"key": key[:50], "keys": ", ".join(sorted(fields))}
            )
        order.append(f"-{path}" if descending else path)
    return queryset.order_by(*(order or default))
