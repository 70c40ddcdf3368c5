"""Writes on the run-time system settings (the SystemSettings singleton), as /configurations changes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy.errors import BadRequest, Denied
from projects.models import SystemSettings
from projects.permissions import can_manage_configurations
from projects.selectors import EDITABLE_CONFIGURATIONS, READ_ONLY_CONFIGURATIONS


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(
            _("%(key)s must be true or false.") % {"key": key}, detail={"fields": {key: ["invalid"]}}
        )
    return value


def _choice(key: str, value: Any) -> str:
    if value not in SystemSettings.ProjectCreation.values:
        raise BadRequest(
            _("%(key)s must be one of %(choices)s.")
            % {"key": key, "choices": ", ".join(SystemSettings.ProjectCreation.values)},
            detail={"fields": {key: ["invalid"]}},
        )
    return str(value)


_CHECKS = {"self_registration": _bool, "project_creation_restriction": _choice}


def configuration_changes_check(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes, checked: every key editable and every value valid. Raises BadRequest naming the keys."""
    if read_only := sorted(key for key in changes if key in READ_ONLY_CONFIGURATIONS):
        raise BadRequest(
            _("These settings are read-only (set in the environment): %(keys)s.")
            % {"keys": ", ".join(read_only)},
            detail={"keys": read_only},
        )
    if unknown := sorted(key for key in changes if key not in EDITABLE_CONFIGURATIONS):
        raise BadRequest(
            _("Unknown or unsupported settings: %(keys)s.") % {"keys": ", ".join(unknown)},
            detail={"keys": unknown},
        )
    return {key: _CHECKS[key](key, value) for key, value in changes.items()}


@transaction.atomic
def system_settings_update(*, actor: Any, address: str | None = None, **changes: Any) -> SystemSettings:
    """Change run-time system settings (self_registration, project_creation_restriction).

    Raises Denied (not a system admin), BadRequest (a key unknown or read-only, a value invalid).
    """
    if not can_manage_configurations(actor):
        raise Denied(_("Only system admins may change the configuration."))
    changes = configuration_changes_check(changes)
    current, _created = SystemSettings.objects.select_for_update().get_or_create(
        pk=1,
        defaults={
            "self_registration": settings.SELF_REGISTRATION,
            "project_creation_restriction": settings.PROJECT_CREATION_RESTRICTION,
        },
    )
    changed = {key: value for key, value in changes.items() if getattr(current, key) != value}
    if changed:
        for key, value in changed.items():
            setattr(current, key, value)
        current.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            operation="update",
            resource_type="configuration",
            resource="system",
            address=address,
            detail=changed,
        )
    return current
