"""user_set_staff: who may use the admin site, set by system admins and audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from harborpy.errors import BadRequest, Denied
from projects.services.users import user_set_staff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_system_admin_lets_a_user_into_the_admin_site_and_it_is_audited(admin):
    sam = UserFactory(username="sam")

    user_set_staff(user=sam, actor=admin, staff=True, address="192.0.2.7")

    sam.refresh_from_db()
    assert sam.is_staff
    event = AuditEvent.objects.get(resource_type="user", resource="sam")
    assert (event.operation, event.actor, event.detail, event.address) == (
        "update",
        "admin",
        {"staff": True},
        "192.0.2.7",
    )


def test_setting_the_same_flag_again_records_nothing(admin):
    sam = UserFactory(username="sam", is_staff=True)

    user_set_staff(user=sam, actor=admin, staff=True)

    assert not AuditEvent.objects.filter(resource_type="user").exists()


def test_only_a_system_admin_sets_the_flag(alice):
    sam = UserFactory(username="sam")

    with pytest.raises(Denied):
        user_set_staff(user=sam, actor=alice, staff=True)

    sam.refresh_from_db()
    assert not sam.is_staff


def test_a_system_admin_keeps_the_admin_site(admin):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    with pytest.raises(BadRequest):
        user_set_staff(user=root, actor=admin, staff=False)

    root.refresh_from_db()
    assert root.is_staff
