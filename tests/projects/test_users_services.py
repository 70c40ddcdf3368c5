"""projects.services.users: who may create and change users, the password policy, the last admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from audit.models import AuditEvent
from harborpy.errors import BadRequest, Conflict, Denied
from projects.authentication import credentials_verify
from projects.errors import InvalidPassword
from projects.models import Role, SystemSettings, User
from projects.permissions import Action
from projects.services.members import member_set_role
from projects.services.robots import Grant, robot_create
from projects.services.users import (
    user_create,
    user_delete,
    user_set_active,
    user_set_password,
    user_set_sysadmin,
    user_update_profile,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = "N3w-Secret-pw"


def self_registration(on: bool) -> None:
    SystemSettings.objects.update_or_create(pk=1, defaults={"self_registration": on})


def create(actor, **kwargs) -> User:
    values = {"username": "dave", "email": "dave@example.com", "password": GOOD, **kwargs}
    return user_create(actor=actor, **values)


# --- user_create ----------------------------------------------------------------------------------


def test_an_admin_creates_a_plain_user_with_a_usable_password(admin):
    user = create(admin, realname="Dave D", comment="ops")

    assert (user.username, user.email, user.realname, user.comment) == (
        "dave",
        "dave@example.com",
        "Dave D",
        "ops",
    )
    assert not user.is_superuser and not user.is_staff
    assert user.check_password(GOOD)
    assert AuditEvent.objects.filter(
        actor="admin", operation="create", resource_type="user", resource="dave"
    ).exists()


def test_anonymous_creates_a_user_under_self_registration(db):
    self_registration(True)

    user = create(AnonymousUser())

    assert not user.is_superuser
    event = AuditEvent.objects.get(operation="create", resource="dave")
    assert (event.actor_kind, event.detail) == ("anonymous", {"self_registration": True})


def test_anonymous_may_not_create_a_user_without_self_registration(db):
    with pytest.raises(Denied):
        create(AnonymousUser())

    assert not User.objects.filter(username="dave").exists()


def test_a_normal_user_may_not_create_users_even_under_self_registration(alice):
    self_registration(True)

    with pytest.raises(Denied):
        create(alice)


def test_a_robot_may_not_create_users(admin, library):
    robot, _secret = robot_create(
        creator=admin, name="ci", project=library, grants=[Grant(library, frozenset({Action.PULL}))]
    )

    with pytest.raises(Denied):
        create(robot)


def test_no_local_users_under_ldap(admin, settings):
    settings.LDAP_ENABLED = True

    with pytest.raises(Denied):
        create(admin)


@pytest.mark.parametrize(
    "password",
    ["short1A", "alllowercase1", "ALLUPPERCASE1", "NoDigitsHere", "Password1", "x" * 120 + "Aa1" * 3],
)
def test_a_password_outside_the_policy_is_refused_with_its_reasons(admin, password):
    with pytest.raises(InvalidPassword) as raised:
        create(admin, password=password)

    assert raised.value.status == 400
    assert raised.value.detail["password"]
    assert not User.objects.filter(username="dave").exists()


def test_a_password_like_the_username_is_refused(admin):
    with pytest.raises(InvalidPassword):
        create(admin, username="Winterfell9", email="w@example.com", password="Winterfell9")


@pytest.mark.parametrize("username", ["", "with space", "colon:name", "robot$evil", "anonymous", "x" * 151])
def test_invalid_or_reserved_usernames_are_refused(admin, username):
    with pytest.raises(BadRequest):
        create(admin, username=username)


@pytest.mark.parametrize("username", ["alice", "ALICE"])
def test_a_taken_username_is_a_conflict_whatever_its_case(admin, alice, username):
    with pytest.raises(Conflict):
        create(admin, username=username, email="other@example.com")


def test_a_taken_email_address_is_a_conflict_whatever_its_case(admin, alice):
    with pytest.raises(Conflict):
        create(admin, email="ALICE@example.com")


@pytest.mark.parametrize("email", ["", "not-an-address"])
def test_an_email_address_is_required_and_valid(admin, email):
    with pytest.raises(BadRequest):
        create(admin, email=email)


# --- user_update_profile --------------------------------------------------------------------------


def test_a_user_changes_its_own_profile(alice):
    user_update_profile(user=alice, actor=alice, email="a@example.org", realname="Alice A", comment="hi")

    alice.refresh_from_db()
    assert (alice.email, alice.realname, alice.comment) == ("a@example.org", "Alice A", "hi")
    event = AuditEvent.objects.get(operation="update", resource="alice")
    assert event.detail == {"fields": ["comment", "email", "realname"]}


def test_only_given_fields_change(alice):
    user_update_profile(user=alice, actor=alice, comment="only this")

    alice.refresh_from_db()
    assert (alice.email, alice.comment) == ("alice@example.com", "only this")


def test_an_unchanged_profile_writes_no_audit_record(alice):
    user_update_profile(user=alice, actor=alice, email="alice@example.com")

    assert not AuditEvent.objects.filter(operation="update").exists()


def test_an_admin_changes_anyones_profile(admin, alice):
    user_update_profile(user=alice, actor=admin, realname="By Admin")

    alice.refresh_from_db()
    assert alice.realname == "By Admin"


def test_a_user_may_not_change_anothers_profile(alice):
    bob = UserFactory(username="bob")

    with pytest.raises(Denied):
        user_update_profile(user=bob, actor=alice, realname="hacked")


def test_a_profile_may_not_take_anothers_email_address(alice):
    UserFactory(username="bob")

    with pytest.raises(Conflict):
        user_update_profile(user=alice, actor=alice, email="BOB@example.com")


def test_an_ldap_users_profile_is_ldaps(admin):
    carl = UserFactory(username="carl", ldap_dn="uid=carl,ou=people,dc=example,dc=com")

    with pytest.raises(Denied):
        user_update_profile(user=carl, actor=admin, realname="Carl")


# --- user_set_password ----------------------------------------------------------------------------


def test_a_user_changes_its_password_with_the_old_one(alice):
    user_set_password(user=alice, actor=alice, old_password="Passw0rd!", new_password=GOOD)

    alice.refresh_from_db()
    assert alice.check_password(GOOD)
    assert AuditEvent.objects.get(operation="update", resource="alice").detail == {"fields": ["password"]}


@pytest.mark.parametrize("old", [None, "", "Wr0ngPassword"])
def test_a_wrong_or_missing_old_password_is_denied(alice, old):
    with pytest.raises(Denied):
        user_set_password(user=alice, actor=alice, old_password=old, new_password=GOOD)

    alice.refresh_from_db()
    assert alice.check_password("Passw0rd!")


def test_an_admin_changing_its_own_password_gives_the_old_one_too(admin):
    with pytest.raises(Denied):
        user_set_password(user=admin, actor=admin, new_password=GOOD)


def test_an_admin_resets_anothers_password_without_the_old_one(admin, alice):
    user_set_password(user=alice, actor=admin, new_password=GOOD)

    alice.refresh_from_db()
    assert alice.check_password(GOOD)


def test_a_user_may_not_change_anothers_password(alice):
    bob = UserFactory(username="bob")

    with pytest.raises(Denied):
        user_set_password(user=bob, actor=alice, old_password="Passw0rd!", new_password=GOOD)


def test_the_new_password_must_differ(alice):
    with pytest.raises(BadRequest):
        user_set_password(user=alice, actor=alice, old_password="Passw0rd!", new_password="Passw0rd!")


def test_a_weak_new_password_is_refused(alice):
    with pytest.raises(InvalidPassword) as raised:
        user_set_password(user=alice, actor=alice, old_password="Passw0rd!", new_password="weak")

    assert "8 to 128 characters" in raised.value.message


def test_an_ldap_users_password_is_changed_in_ldap(admin):
    carl = UserFactory(username="carl", ldap_dn="uid=carl,ou=people,dc=example,dc=com")

    with pytest.raises(Denied):
        user_set_password(user=carl, actor=admin, new_password=GOOD)


def test_a_changed_password_stops_working_at_once_despite_the_credential_cache(alice, settings):
    settings.CREDENTIAL_CACHE_SECONDS = 600
    assert credentials_verify(username="alice", password="Passw0rd!") is not None

    user_set_password(user=alice, actor=alice, old_password="Passw0rd!", new_password=GOOD)

    assert credentials_verify(username="alice", password="Passw0rd!") is None
    assert credentials_verify(username="alice", password=GOOD) is not None


# --- user_set_sysadmin ----------------------------------------------------------------------------


def test_an_admin_grants_the_admin_flag(admin, alice):
    user_set_sysadmin(user=alice, actor=admin, sysadmin=True)

    alice.refresh_from_db()
    assert alice.is_superuser and alice.is_staff
    assert AuditEvent.objects.get(operation="update", resource="alice").detail == {"sysadmin_flag": True}


def test_an_admin_revokes_anothers_admin_flag(admin):
    other = UserFactory(username="root2", is_superuser=True, is_staff=True)

    user_set_sysadmin(user=other, actor=admin, sysadmin=False)

    other.refresh_from_db()
    assert not other.is_superuser and not other.is_staff


def test_a_normal_user_may_not_grant_itself_the_admin_flag(alice):
    with pytest.raises(Denied):
        user_set_sysadmin(user=alice, actor=alice, sysadmin=True)

    alice.refresh_from_db()
    assert not alice.is_superuser


def test_a_project_admin_may_not_grant_the_admin_flag(role_members, alice):
    project_admin = role_members[Role.PROJECT_ADMIN]

    with pytest.raises(Denied):
        user_set_sysadmin(user=alice, actor=project_admin, sysadmin=True)


def test_the_last_admin_may_not_drop_its_own_flag(admin):
    with pytest.raises(Denied):
        user_set_sysadmin(user=admin, actor=admin, sysadmin=False)

    admin.refresh_from_db()
    assert admin.is_superuser


def test_an_admin_drops_its_own_flag_while_another_admin_remains(admin):
    UserFactory(username="root2", is_superuser=True)

    user_set_sysadmin(user=admin, actor=admin, sysadmin=False)

    admin.refresh_from_db()
    assert not admin.is_superuser


def test_a_disabled_admin_does_not_count_as_another_admin(admin):
    UserFactory(username="root2", is_superuser=True, is_active=False)

    with pytest.raises(Denied):
        user_set_sysadmin(user=admin, actor=admin, sysadmin=False)


def test_setting_the_flag_it_already_has_changes_nothing(admin):
    user_set_sysadmin(user=admin, actor=admin, sysadmin=True)

    assert not AuditEvent.objects.filter(operation="update").exists()


def test_a_revoked_admin_loses_its_rights_at_once_despite_the_credential_cache(admin, settings):
    settings.CREDENTIAL_CACHE_SECONDS = 600
    other = UserFactory(username="root2", is_superuser=True)
    assert credentials_verify(username="root2", password="Passw0rd!").is_superuser

    user_set_sysadmin(user=other, actor=admin, sysadmin=False)

    assert not credentials_verify(username="root2", password="Passw0rd!").is_superuser


# --- user_set_active ------------------------------------------------------------------------------


def test_an_admin_disables_a_user_who_then_cannot_log_in(admin, alice, settings):
    settings.CREDENTIAL_CACHE_SECONDS = 600
    assert credentials_verify(username="alice", password="Passw0rd!") is not None

    user_set_active(user=alice, actor=admin, active=False)

    assert credentials_verify(username="alice", password="Passw0rd!") is None
    assert AuditEvent.objects.get(operation="update", resource="alice").detail == {"active": False}


def test_an_admin_may_not_disable_itself(admin):
    UserFactory(username="root2", is_superuser=True)

    with pytest.raises(Denied):
        user_set_active(user=admin, actor=admin, active=False)


def test_a_normal_user_may_not_disable_anyone(alice):
    bob = UserFactory(username="bob")

    with pytest.raises(Denied):
        user_set_active(user=bob, actor=alice, active=False)


# --- user_delete ----------------------------------------------------------------------------------


def test_an_admin_deletes_a_user_with_its_memberships(admin, alice, private_project):
    member_set_role(project=private_project, role=Role.DEVELOPER, user=alice, actor=admin)

    user_delete(user=alice, actor=admin)

    assert not User.objects.filter(username="alice").exists()
    assert not private_project.members.exists()
    assert AuditEvent.objects.filter(operation="delete", resource_type="user", resource="alice").exists()


def test_a_deleted_users_remembered_credentials_stop_working(admin, alice, settings):
    settings.CREDENTIAL_CACHE_SECONDS = 600
    assert credentials_verify(username="alice", password="Passw0rd!") is not None

    user_delete(user=alice, actor=admin)

    assert credentials_verify(username="alice", password="Passw0rd!") is None


def test_an_admin_may_not_delete_itself(admin):
    UserFactory(username="root2", is_superuser=True)

    with pytest.raises(Denied):
        user_delete(user=admin, actor=admin)


def test_a_normal_user_may_not_delete_users(alice):
    bob = UserFactory(username="bob")

    with pytest.raises(Denied):
        user_delete(user=bob, actor=alice)

    assert User.objects.filter(username="bob").exists()
