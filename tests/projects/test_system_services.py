"""projects.services.system.system_settings_update: admins change the run-time settings, audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from harborpy.errors import BadRequest, Denied
from projects.models import SystemSettings
from projects.permissions import can_create_project, system_settings
from projects.selectors import configuration_items
from projects.services.system import system_settings_update

pytestmark = pytest.mark.django_db


def test_an_admin_turns_self_registration_on(admin):
    system_settings_update(actor=admin, self_registration=True)

    assert system_settings().self_registration is True
    event = AuditEvent.objects.get(resource_type="configuration")
    assert (event.actor, event.operation, event.detail) == ("admin", "update", {"self_registration": True})


def test_restricting_project_creation_applies_at_once(admin, alice):
    system_settings_update(actor=admin, project_creation_restriction="adminonly")

    assert not can_create_project(alice)
    assert can_create_project(admin)


def test_the_first_change_starts_from_the_environments_defaults(admin, settings):
    settings.SELF_REGISTRATION = True

    system_settings_update(actor=admin, project_creation_restriction="adminonly")

    saved = SystemSettings.objects.get(pk=1)
    assert (saved.self_registration, saved.project_creation_restriction) == (True, "adminonly")


def test_a_normal_user_may_not_change_settings(alice):
    with pytest.raises(Denied):
        system_settings_update(actor=alice, self_registration=True)

    assert system_settings().self_registration is False


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"auth_mode": "ldap_auth"}, "auth_mode"),
        ({"token_expiration": 60}, "token_expiration"),
        ({"ldap_url": "ldap://x"}, "ldap_url"),
        ({"self_registration": True, "whatever": 1}, "whatever"),
    ],
)
def test_unknown_or_read_only_keys_are_refused_by_name(admin, changes, named):
    with pytest.raises(BadRequest) as raised:
        system_settings_update(actor=admin, **changes)

    assert named in raised.value.message
    assert raised.value.detail == {"keys": [named]}
    assert not SystemSettings.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [{"self_registration": "yes"}, {"self_registration": 1}, {"project_creation_restriction": "nobody"}],
)
def test_invalid_values_are_refused(admin, changes):
    with pytest.raises(BadRequest):
        system_settings_update(actor=admin, **changes)


def test_an_unchanged_value_writes_no_audit_record(admin):
    system_settings_update(actor=admin, self_registration=False)

    assert not AuditEvent.objects.filter(resource_type="configuration").exists()


def test_configuration_items_say_what_is_editable(admin, settings):
    settings.REGISTRY_TOKEN_EXPIRATION = 1800
    system_settings_update(actor=admin, self_registration=True)

    assert configuration_items() == {
        "auth_mode": {"value": "db_auth", "editable": False},
        "project_creation_restriction": {"value": "everyone", "editable": True},
        "self_registration": {"value": True, "editable": True},
        "token_expiration": {"value": 30, "editable": False},
    }


def test_auth_mode_is_ldap_auth_when_ldap_is_on(db, settings):
    settings.LDAP_ENABLED = True

    assert configuration_items()["auth_mode"] == {"value": "ldap_auth", "editable": False}
