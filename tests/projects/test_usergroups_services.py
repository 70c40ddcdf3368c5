"""projects.services.usergroups: a UserGroup and its auth.Group together, LDAP DNs, idempotent mirroring."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from harborpy.errors import BadRequest, Conflict, Denied
from projects.models import Role, UserGroup
from projects.permissions import Action, can
from projects.services.members import member_set_role
from projects.services.usergroups import (
    usergroup_create,
    usergroup_delete,
    usergroup_ensure_ldap,
    usergroup_update,
)

pytestmark = pytest.mark.django_db

DN = "cn=devs,ou=groups,dc=example,dc=com"


def test_an_admin_creates_an_http_group_with_its_auth_group(admin):
    usergroup = usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP)

    assert usergroup.group == Group.objects.get(name="ops")
    assert (usergroup.group_type, usergroup.ldap_group_dn) == (2, "")
    event = AuditEvent.objects.get(resource_type="usergroup", resource="ops")
    assert (event.actor, event.operation) == ("admin", "create")


def test_an_admin_creates_an_ldap_group_with_its_dn(admin):
    usergroup = usergroup_create(actor=admin, name="devs", group_type=UserGroup.Type.LDAP, ldap_group_dn=DN)

    assert usergroup.ldap_group_dn == DN


def test_a_normal_user_may_not_create_groups(alice):
    with pytest.raises(Denied):
        usergroup_create(actor=alice, name="ops", group_type=UserGroup.Type.HTTP)

    assert not Group.objects.exists()


@pytest.mark.parametrize("dn", ["", "   ", "not a dn", "cn=", "=x,dc=y", "x" * 1100])
def test_an_ldap_group_needs_a_valid_dn(admin, dn):
    with pytest.raises(BadRequest):
        usergroup_create(actor=admin, name="devs", group_type=UserGroup.Type.LDAP, ldap_group_dn=dn)

    assert not Group.objects.exists()


def test_only_an_ldap_group_has_a_dn(admin):
    with pytest.raises(BadRequest):
        usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP, ldap_group_dn=DN)


@pytest.mark.parametrize("group_type", [0, 4, -1])
def test_an_unknown_group_type_is_refused(admin, group_type):
    with pytest.raises(BadRequest):
        usergroup_create(actor=admin, name="ops", group_type=group_type)


@pytest.mark.parametrize("name", ["", "  ", "x" * 151])
def test_a_group_name_has_1_to_150_characters(admin, name):
    with pytest.raises(BadRequest):
        usergroup_create(actor=admin, name=name, group_type=UserGroup.Type.HTTP)


def test_a_taken_dn_is_a_conflict_whatever_its_case(admin):
    usergroup_create(actor=admin, name="devs", group_type=UserGroup.Type.LDAP, ldap_group_dn=DN)

    with pytest.raises(Conflict):
        usergroup_create(actor=admin, name="devs2", group_type=UserGroup.Type.LDAP, ldap_group_dn=DN.upper())


def test_a_taken_name_is_a_conflict_whatever_its_case(admin):
    usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP)

    with pytest.raises(Conflict):
        usergroup_create(actor=admin, name="OPS", group_type=UserGroup.Type.OIDC)


def test_an_admin_renames_a_group(admin):
    usergroup = usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP)

    usergroup_update(usergroup=usergroup, actor=admin, name="operations")

    assert Group.objects.get(pk=usergroup.group_id).name == "operations"
    event = AuditEvent.objects.get(resource_type="usergroup", operation="update")
    assert (event.resource, event.detail["old_name"]) == ("operations", "ops")


def test_renaming_to_a_taken_name_is_a_conflict(admin):
    usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP)
    devs = usergroup_create(actor=admin, name="devs", group_type=UserGroup.Type.HTTP)

    with pytest.raises(Conflict):
        usergroup_update(usergroup=devs, actor=admin, name="Ops")


def test_a_normal_user_may_not_rename_groups(admin, alice):
    usergroup = usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP)

    with pytest.raises(Denied):
        usergroup_update(usergroup=usergroup, actor=alice, name="mine")


def test_deleting_a_group_removes_its_memberships_and_rights(admin, alice, private_project):
    usergroup = usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP)
    usergroup.group.user_set.add(alice)
    member_set_role(project=private_project, role=Role.DEVELOPER, group=usergroup.group, actor=admin)
    assert can(alice, Action.PUSH, private_project)

    usergroup_delete(usergroup=usergroup, actor=admin)

    assert not Group.objects.exists() and not UserGroup.objects.exists()
    assert not private_project.members.exists()
    assert not can(alice, Action.PULL, private_project)
    assert AuditEvent.objects.filter(resource_type="usergroup", operation="delete", resource="ops").exists()


def test_a_normal_user_may_not_delete_groups(admin, alice):
    usergroup = usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP)

    with pytest.raises(Denied):
        usergroup_delete(usergroup=usergroup, actor=alice)

    assert UserGroup.objects.exists()


# --- usergroup_ensure_ldap ------------------------------------------------------------------------


def test_ensure_ldap_creates_the_group_once(db):
    first = usergroup_ensure_ldap(dn=DN, name="devs")

    again = usergroup_ensure_ldap(dn=DN.upper(), name="other name")

    assert again.pk == first.pk
    assert (first.group.name, first.group_type) == ("devs", UserGroup.Type.LDAP)
    assert UserGroup.objects.count() == 1
    assert AuditEvent.objects.filter(resource_type="usergroup", operation="create").count() == 1


def test_ensure_ldap_keeps_a_name_an_admin_gave(admin):
    usergroup = usergroup_ensure_ldap(dn=DN, name="devs")
    usergroup_update(usergroup=usergroup, actor=admin, name="developers")

    again = usergroup_ensure_ldap(dn=DN, name="devs")

    assert again.group.name == "developers"


def test_ensure_ldap_falls_back_to_the_dn_when_the_name_is_taken(admin):
    usergroup_create(actor=admin, name="devs", group_type=UserGroup.Type.HTTP)

    usergroup = usergroup_ensure_ldap(dn=DN, name="devs")

    assert usergroup.group.name == DN


def test_ensure_ldap_falls_back_to_a_hashed_name_when_the_dn_is_taken_too(admin):
    usergroup_create(actor=admin, name="devs", group_type=UserGroup.Type.HTTP)
    usergroup_create(actor=admin, name=DN, group_type=UserGroup.Type.HTTP)

    usergroup = usergroup_ensure_ldap(dn=DN, name="devs")

    assert usergroup.group.name.startswith("devs~")
    assert usergroup.ldap_group_dn == DN


def test_ensure_ldap_refuses_an_invalid_dn(db):
    with pytest.raises(BadRequest):
        usergroup_ensure_ldap(dn="nonsense", name="x")


def test_a_group_an_admin_enters_with_spaces_and_capitals_is_the_one_a_login_mirrors(admin):
    from projects.services.usergroups import dn_normalize, usergroup_create

    entered = usergroup_create(
        actor=admin,
        name="devs",
        group_type=UserGroup.Type.LDAP,
        ldap_group_dn="CN=Devs, OU=Groups, DC=example,DC=com",
    )

    mirrored = usergroup_ensure_ldap(dn=DN, name="devs")

    assert mirrored.pk == entered.pk
    assert entered.ldap_group_dn == DN
    assert dn_normalize(r"cn=a\, b , ou=x") == r"cn=a\, b,ou=x"
