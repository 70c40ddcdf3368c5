"""The base class of every /api/v2.0/ view (apart from harborpy/drf.py: DRF imports that at load)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from harborpy.drf import HarborPagination
from harborpy.errors import BadRequest


class HarborApi(APIView):
    """Base of every /api/v2.0/ view: thin adapters that parse, call a service or selector, render."""

    pagination_class = HarborPagination

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # No path or parameter may hold a NUL character, and PostgreSQL cannot even compare one.
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            raise BadRequest(_("The path and query parameters must not contain NUL characters."))
        super().initial(request, *args, **kwargs)

    @property
    def address(self) -> str | None:
        return self.request.META.get("REMOTE_ADDR") or None

    @staticmethod
    def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
        """Validate input with a serializer; a ValidationError becomes a 400 in Harbor's envelope."""
        serializer = serializer_class(data=data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def paginate(
        self, queryset: Any, serializer_class: type[serializers.BaseSerializer], **kwargs: Any
    ) -> Response:
        """One page of `queryset`, serialized, with X-Total-Count and Link headers."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context={"request": self.request, **kwargs}).data
        return paginator.get_paginated_response(data)
