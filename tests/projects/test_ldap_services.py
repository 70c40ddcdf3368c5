"""projects.services.ldap without a directory: what the database becomes for a given LdapAccount."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from harborpy.errors import Conflict
from projects.models import User, UserGroup
from projects.services.ldap import (
    LdapAccount,
    LdapGroupEntry,
    ldap_user_changes,
    ldap_user_deactivate,
    ldap_user_import,
    ldap_user_sync,
    ldap_usergroup_ensure,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OPS = LdapGroupEntry(dn="cn=ops,ou=groups,dc=example,dc=org", name="ops")
DEV = LdapGroupEntry(dn="cn=dev,ou=groups,dc=example,dc=org", name="dev")


def account(
    *groups: LdapGroupEntry, is_admin: bool | None = None, email: str = "eve@example.org"
) -> LdapAccount:
    return LdapAccount(
        dn="uid=eve,ou=people,dc=example,dc=org",
        username="eve",
        email=email,
        realname="Eve",
        groups=groups,
        is_admin=is_admin,
    )


@pytest.fixture
def eve() -> User:
    user = User(username="eve", ldap_dn="uid=eve,ou=people,dc=example,dc=org")
    user.set_unusable_password()
    user.save()
    return user


def group_names(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def test_usergroup_ensure_creates_an_ldap_group_once():
    first = ldap_usergroup_ensure(dn=OPS.dn, name="ops")

    again = ldap_usergroup_ensure(dn=OPS.dn.upper(), name="ops")

    assert again.pk == first.pk
    assert (first.group.name, first.group_type, first.ldap_group_dn) == ("ops", UserGroup.Type.LDAP, OPS.dn)


def test_usergroup_ensure_names_the_group_after_its_dn_when_the_name_is_taken():
    Group.objects.create(name="ops")

    group = ldap_usergroup_ensure(dn=OPS.dn, name="ops")

    assert group.group.name != "ops"
    assert group.group.name == ldap_usergroup_ensure(dn=OPS.dn, name="ops").group.name


def test_two_ldap_groups_with_one_name_get_two_groups():
    first = ldap_usergroup_ensure(dn=OPS.dn, name="team")

    second = ldap_usergroup_ensure(dn=DEV.dn, name="team")

    assert first.group_id != second.group_id


def test_sync_makes_the_users_ldap_groups_exactly_the_accounts(eve):
    ldap_user_sync(user=eve, account=account(OPS))

    ldap_user_sync(user=eve, account=account(DEV))

    assert group_names(eve) == ["dev"]


def test_sync_keeps_groups_made_in_harborpy(eve):
    local = Group.objects.create(name="local")
    eve.groups.add(local)

    ldap_user_sync(user=eve, account=account(OPS))

    assert group_names(eve) == ["local", "ops"]


def test_sync_copies_name_email_and_dn(eve):
    user = ldap_user_sync(user=eve, account=account(email="EVE@example.org"))

    assert (User.objects.get(pk=eve.pk).email, user.realname) == ("EVE@example.org", "Eve")


def test_sync_with_nothing_to_change_records_nothing(eve):
    ldap_user_sync(user=eve, account=account(OPS, is_admin=True))
    before = AuditEvent.objects.count()

    changes = ldap_user_changes(user=User.objects.get(pk=eve.pk), account=account(OPS, is_admin=True))
    ldap_user_sync(user=eve, account=account(OPS, is_admin=True))

    assert not changes
    assert AuditEvent.objects.count() == before


def test_sync_records_group_changes(eve):
    ldap_user_sync(user=eve, account=account(OPS))

    event = AuditEvent.objects.get(resource="eve", detail__has_key="ldap_groups_added")
    assert (event.actor, event.detail["ldap_groups_added"]) == ("ldap", ["ops"])


def test_sync_grants_and_revokes_the_admin_flag(eve):
    ldap_user_sync(user=eve, account=account(is_admin=True))
    granted = User.objects.get(pk=eve.pk)

    ldap_user_sync(user=eve, account=account(is_admin=False))

    assert (granted.is_superuser, granted.is_staff) == (True, True)
    assert (User.objects.get(pk=eve.pk).is_superuser, User.objects.get(pk=eve.pk).is_staff) == (False, False)


def test_without_an_admin_group_sync_leaves_the_admin_flag(eve):
    User.objects.filter(pk=eve.pk).update(is_superuser=True)

    ldap_user_sync(user=eve, account=account(is_admin=None))

    assert User.objects.get(pk=eve.pk).is_superuser


def test_describe_lists_what_changes(eve):
    changes = ldap_user_changes(user=eve, account=account(OPS, is_admin=True))

    assert changes.describe() == "email='eve@example.org', realname='Eve', admin granted, +ops"


def test_deactivate_is_idempotent_and_recorded_once(eve):
    first = ldap_user_deactivate(user=eve, reason="not found in LDAP")

    second = ldap_user_deactivate(user=eve, reason="not found in LDAP")

    assert (first, second) == (True, False)
    assert not User.objects.get(pk=eve.pk).is_active
    assert AuditEvent.objects.filter(resource="eve", detail__active=False).count() == 1


def test_import_creates_a_user_without_a_usable_password(admin):
    user = ldap_user_import(account=account(OPS), actor=admin)

    user = User.objects.get(pk=user.pk)
    assert (user.ldap_dn, user.has_usable_password(), group_names(user)) == (account().dn, False, ["ops"])


def test_import_refuses_the_name_of_a_database_user(admin):
    UserFactory(username="eve")

    with pytest.raises(Conflict):
        ldap_user_import(account=account(), actor=admin)
