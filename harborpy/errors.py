"""The one error hierarchy of harborpy and the envelope every interface renders it in.

Services raise ``HarborError`` subclasses; the `/v2/` views and the REST API both render them as
``{"errors": [{"code", "message", "detail"}]}`` (the OCI distribution-spec envelope, which Harbor's
REST API uses too). Codes are machine-readable and never translated; messages are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class HarborError(Exception):
    """Base of every domain error: a code, an HTTP status and a translatable message."""

    code: ClassVar[str] = "UNKNOWN"
    status: ClassVar[int] = 500
    default_message: ClassVar[StrOrPromise] = _("Internal error.")

    def __init__(self, message: StrOrPromise | None = None, *, detail: Mapping[str, Any] | None = None):
        self.message = message or self.default_message
        self.detail = dict(detail or {})
        super().__init__(str(self.message))

    def headers(self) -> dict[str, str]:
        """Extra response headers this error needs (a challenge, a Range)."""
        return {}


class BadRequest(HarborError):
    code, status, default_message = "BAD_REQUEST", 400, _("The request is invalid.")


class NotFound(HarborError):
    code, status, default_message = "NOT_FOUND", 404, _("The resource was not found.")


class Unauthorized(HarborError):
    code, status, default_message = "UNAUTHORIZED", 401, _("Authentication is required.")


class Denied(HarborError):
    code, status, default_message = "DENIED", 403, _("The requested access to the resource is denied.")


class Conflict(HarborError):
    code, status, default_message = "CONFLICT", 409, _("The resource is in use.")


class Unsupported(HarborError):
    code, status, default_message = "UNSUPPORTED", 405, _("The operation is unsupported.")


def error_body(exc: HarborError) -> dict[str, list[dict[str, Any]]]:
    """The OCI/Harbor error envelope for one error."""
    return {"errors": [{"code": exc.code, "message": str(exc.message), "detail": exc.detail}]}
