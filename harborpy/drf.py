"""What every REST API view under /api/v2.0/ shares: authentication, errors, pagination, a base view.

- Authentication: the session (with CSRF, for the browser) and HTTP Basic through
  `projects.authentication.credentials_verify`, the one place that verifies credentials, so the API
  shares the token service's throttling, audit records and credential cache. Robot accounts may call
  the API with their own rights, as in Harbor.
- Errors: Harbor's envelope `{"errors": [{"code", "message"}]}` for domain errors and DRF's own
  (validation, authentication, 404, 405), never a 500 for bad input.
- Pagination: Harbor's `page`/`page_size` query, a bare JSON list in the body, the total in
  `X-Total-Count` and the neighbours in `Link`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.errors import HarborError, error_body

logger = logging.getLogger(__name__)

# Harbor's REST API names its codes after HTTP, where the OCI registry says DENIED.
_API_CODES = {"DENIED": "FORBIDDEN", "NAME_UNKNOWN": "NOT_FOUND", "UNKNOWN": "INTERNAL_SERVER_ERROR"}

_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.NotAuthenticated, "UNAUTHORIZED"),
    (exceptions.AuthenticationFailed, "UNAUTHORIZED"),
    (exceptions.PermissionDenied, "FORBIDDEN"),
    (exceptions.NotFound, "NOT_FOUND"),
    (exceptions.MethodNotAllowed, "METHOD_NOT_ALLOWED"),
    (exceptions.NotAcceptable, "NOT_ACCEPTABLE"),
    (exceptions.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"),
    (exceptions.ParseError, "BAD_REQUEST"),
    (exceptions.Throttled, "TOO_MANY_REQUESTS"),
]


class HarborBasicAuthentication(BaseAuthentication):
    """HTTP Basic credentials of a user (database or LDAP) or a robot account."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise exceptions.AuthenticationFailed(_("Invalid basic credentials.")) from exc
        username, sep, password = decoded.partition(":")
        if not sep:
            raise exceptions.AuthenticationFailed(_("Invalid basic credentials."))
        from projects.authentication import credentials_verify  # harborpy must not import apps at load

        principal = credentials_verify(username=username, password=password, request=request._request)
        if principal is None:
            raise exceptions.AuthenticationFailed(_("Invalid username or password."))
        return principal, None

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="harborpy"'


class HarborSessionAuthentication(SessionAuthentication):
    """The browser's session; CSRF-checked on unsafe methods (DRF's own rule)."""


def _drf_code(exc: exceptions.APIException) -> str:
    for cls, code in _DRF_CODES:
        if isinstance(exc, cls):
            return code
    return "BAD_REQUEST" if exc.status_code < 500 else "INTERNAL_SERVER_ERROR"


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error raised in an API view in Harbor's envelope."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, HarborError):
        body = error_body(exc)
        for error in body["errors"]:
            error["code"] = _API_CODES.get(error["code"], error["code"])
        status = exc.status
        headers.update(exc.headers())
    elif isinstance(exc, exceptions.ValidationError):
        body = {
            "errors": [
                {"code": "BAD_REQUEST", "message": _flatten(exc.detail), "detail": {"fields": exc.detail}}
            ]
        }
        status = 400
    elif isinstance(exc, exceptions.APIException):
        body = {"errors": [{"code": _drf_code(exc), "message": _flatten(exc.detail)}]}
        status = exc.status_code
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            status = 401  # Harbor answers 401 whatever authentication the client tried
            headers["WWW-Authenticate"] = 'Basic realm="harborpy"'
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            headers["Retry-After"] = str(int(exc.wait))
    else:
        return None  # a bug: Django logs it once and answers 500 (harborpy.views.server_error)
    response = Response(body, status=status, headers=headers)
    return response


class HarborPagination(BasePagination):
    """Harbor's paging: `page` (from 1) and `page_size` (default 10, at most 100)."""

    default_page_size = 10
    max_page_size = 100
    # The offset must fit the database's 64-bit integers; no list comes near a billion pages.
    max_page = 10**9

    def _int(self, request: Request, name: str, default: int, maximum: int | None = None) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise exceptions.ValidationError({name: [_("A positive integer is required.")]}) from None
        if value < 1:
            raise exceptions.ValidationError({name: [_("A positive integer is required.")]})
        return min(value, maximum) if maximum else value

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.page = self._int(request, "page", 1)
        if self.page > self.max_page:
            raise exceptions.ValidationError({"page": [_("The page number is too large.")]})
        self.page_size = self._int(request, "page_size", self.default_page_size, self.max_page_size)
        self.total = (
            queryset.count()
            if hasattr(queryset, "count") and not isinstance(queryset, list)
            else len(queryset)
        )
        start = (self.page - 1) * self.page_size
        return list(queryset[start : start + self.page_size])

    def _link(self, page: int) -> str:
        params = self.request.query_params.copy()
        params["page"] = str(page)
        params["page_size"] = str(self.page_size)
        return f"<{self.request.path}?{urlencode(sorted(params.items()))}>"

    def get_paginated_response(self, data: Any) -> Response:
        links = []
        if self.page > 1:
            links.append(f'{self._link(self.page - 1)}; rel="prev"')
        if self.page * self.page_size < self.total:
            links.append(f'{self._link(self.page + 1)}; rel="next"')
        headers = {"X-Total-Count": str(self.total)}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "default": 1, "minimum": 1},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "default": 10, "minimum": 1, "maximum": 100},
            },
        ]


class RequestIdMiddleware:
    """Echo the caller's X-Request-Id (or make one) on every API response, as Harbor does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if given and len(given) <= 128 and given.isprintable() else str(uuid.uuid4())
        request.META["HTTP_X_REQUEST_ID"] = request_id
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            response["X-Request-Id"] = request_id
        return response
