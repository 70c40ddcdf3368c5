"""Harbor's list query language: `q=k1=v1,k2=~v2,k3=[min~max],k4={a b},k5=(a b)` and `sort=k1,-k2`.

As in Harbor (src/lib/q): `k=v` is an exact match, `k=~v` a fuzzy one (contains, case-insensitive),
`[min~max]` a range (either end may be empty), `{a b}` any of the values and `(a b)` all of them;
values may be quoted. A malformed query is a 400; a key the resource does not filter on is ignored,
as Harbor ignores it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from harborpy.errors import BadRequest

INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Fuzzy:
    value: str


@dataclass(frozen=True)
class Range:
    low: str | None
    high: str | None


@dataclass(frozen=True)
class AnyOf:
    values: tuple[str, ...]


@dataclass(frozen=True)
class AllOf:
    values: tuple[str, ...]


Value = str | Fuzzy | Range | AnyOf | AllOf


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _value(raw: str) -> Value:
    if raw.startswith("[") and raw.endswith("]"):
        low, sep, high = raw[1:-1].partition("~")
        if not sep or (not low.strip() and not high.strip()):
            raise ValueError(raw)
        return Range(_unquote(low.strip()) or None, _unquote(high.strip()) or None)
    if raw.startswith("{") and raw.endswith("}"):
        return AnyOf(tuple(_unquote(v) for v in raw[1:-1].split()))
    if raw.startswith("(") and raw.endswith(")"):
        return AllOf(tuple(_unquote(v) for v in raw[1:-1].split()))
    if raw.startswith("~"):
        return Fuzzy(_unquote(raw[1:]))
    return _unquote(raw)


def query_parse(raw: str | None) -> dict[str, Value]:
    """The keywords of a `q` parameter. Raises BadRequest."""
    keywords: dict[str, Value] = {}
    if not raw:
        return keywords
    raw = unquote(raw)  # Harbor unescapes the value once more
    if "\x00" in raw:
        raise BadRequest(_("The query must not contain NUL characters."))
    for param in raw.split(","):
        key, sep, value = param.partition("=")
        key = key.strip()
        if not sep or not key or not value:
            raise BadRequest(
                _('Each query term must be "key=value", with neither empty: %(term)s') % {"term": param}
            )
        try:
            keywords[key] = _value(value.strip())
        except ValueError:
            raise BadRequest(_("Invalid query value: %(value)s") % {"value": value}) from None
    return keywords


def sort_parse(raw: str | None, fields: Mapping[str, str]) -> list[str]:
    """ORM `order_by` terms for `sort=k1,-k2`, keeping the keys in `fields` (key -> ORM field)."""
    terms = []
    for item in (raw or "").split(","):
        item = item.strip()
        descending = item.startswith("-")
        field = fields.get(item.lstrip("-"))
        if field:
            terms.append(f"-{field}" if descending else field)
    return terms


def text(value: str) -> str:
    return value


def int64(value: str) -> int:
    number = int(value)
    if not -INT64_MAX <= number <= INT64_MAX:
        raise ValueError(value)
    return number


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in {"true", "false", "1", "0"}:
        raise ValueError(value)
    return lowered in {"true", "1"}


Field = tuple[str, Callable[[str], Any]]


def query_filter(queryset: QuerySet, keywords: Mapping[str, Value], fields: Mapping[str, Field]) -> QuerySet:
    """`queryset` filtered by the keywords it knows (key -> (ORM field, converter)). Raises BadRequest."""
    for key, value in keywords.items():
        if key not in fields:
            continue
        field, convert = fields[key]
        try:
            if isinstance(value, Fuzzy):
                if convert is not text:
                    raise ValueError(value.value)  # only text matches fuzzily
                queryset = queryset.filter(**{f"{field}__icontains": value.value})
            elif isinstance(value, Range):
                if value.low is not None:
                    queryset = queryset.filter(**{f"{field}__gte": convert(value.low)})
                if value.high is not None:
                    queryset = queryset.filter(**{f"{field}__lte": convert(value.high)})
            elif isinstance(value, AnyOf):
                queryset = queryset.filter(**{f"{field}__in": [convert(v) for v in value.values]})
            elif isinstance(value, AllOf):
                condition = Q()
                for item in value.values:
                    condition &= Q(**{field: convert(item)})
                queryset = queryset.filter(condition)
            else:
                queryset = queryset.filter(**{field: convert(value)})
        except ValueError:
            raise BadRequest(_("Invalid value for %(key)s in the query.") % {"key": key}) from None
    return queryset
