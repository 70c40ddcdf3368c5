"""How the OpenAPI schema (/api/v2.0/schema/) describes harborpy's REST API authentication."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class HarborBasicScheme(OpenApiAuthenticationExtension):
    """HTTP Basic with a user's or a robot account's credentials (Harbor's `basic`)."""

    target_class = "harborpy.drf.HarborBasicAuthentication"
    name = "basic"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "basic"}


class HarborSessionScheme(OpenApiAuthenticationExtension):
    """The browser's session cookie (writes also need the CSRF token)."""

    target_class = "harborpy.drf.HarborSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
