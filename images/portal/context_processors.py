"""What every page's header needs to know."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from projects.permissions import can_use_admin_site


def portal(request: HttpRequest) -> dict[str, Any]:
    """Whether to link the admin site from the header."""
    return {"can_use_admin_site": can_use_admin_site(request.user) if hasattr(request, "user") else False}
