"""Path converters of the API's URLs."""

from __future__ import annotations

from django.urls import register_converter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter


class IdConverter:
    """A database id in a path: at most 18 digits, so it always fits a 64-bit column.

    A longer number is no id of ours; it gets the resolver's 404 instead of a database
    "value out of range" error (a 500 on PostgreSQL).
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


def id_parameter(name: str) -> OpenApiParameter:
    """The OpenAPI description of an `<id:name>` path parameter."""
    return OpenApiParameter(name, OpenApiTypes.INT64, OpenApiParameter.PATH)
