"""Logging in with LDAP (a real slapd): the user, its nested groups as user groups, the admin flag,
and the roles its groups hold, refreshed at every login."""

from __future__ import annotations

import jwt
import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from projects.authentication import credentials_verify
from projects.errors import TooManyRequests
from projects.models import Role, User, UserGroup
from projects.permissions import Action, project_actions
from projects.services.ldap import ldap_usergroup_ensure
from projects.services.members import member_set_role
from tests.conftest import basic_auth
from tests.factories import UserFactory
from tests.support.slapd import ADMIN_GROUP, PASSWORD, group_dn, user_dn

pytestmark = pytest.mark.django_db


def login(username: str, password: str = PASSWORD):
    """A login as every interface does it (token service, Basic, API)."""
    return credentials_verify(username=username, password=password)


def ldap_group(cn: str) -> UserGroup:
    return UserGroup.objects.get(ldap_group_dn__iexact=group_dn(cn))


@pytest.fixture
def no_credential_cache(settings):
    """Every login asks the directory (a remembered credential would skip the second one)."""
    settings.CREDENTIAL_CACHE_SECONDS = 0


@pytest.fixture
def developers_in_secret(ldap_server, private_project):
    """The LDAP group `developers` (bob is in it through `backend`) is Developer of `secret`."""
    group = ldap_usergroup_ensure(dn=group_dn("developers"), name="developers")
    member_set_role(project=private_project, role=Role.DEVELOPER, group=group.group, actor=None)
    return private_project


def test_first_login_creates_the_user_with_its_dn_email_and_name(ldap_server):
    user = login("bob")

    user = User.objects.get(pk=user.pk)
    assert (user.username, user.ldap_dn, user.email, user.realname) == (
        "bob",
        user_dn("bob"),
        "bob@example.org",
        "Bob Builder",
    )
    assert user.is_ldap


def test_an_ldap_user_has_no_usable_password_in_harborpy(ldap_server):
    user = login("bob")

    assert not User.objects.get(pk=user.pk).has_usable_password()


def test_the_login_name_is_the_directory_spelling(ldap_server):
    user = login("BOB")

    assert user.username == "bob"
    assert login("bob").pk == user.pk


def test_a_wrong_password_fails_and_is_audited(ldap_server):
    user = login("bob", "wrong-password")

    assert user is None
    event = AuditEvent.objects.get(operation="login")
    assert (event.resource, event.result) == ("bob", AuditEvent.Result.FAILURE)


def test_repeated_wrong_passwords_are_throttled(ldap_server, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    login("bob", "wrong-1")
    login("bob", "wrong-2")

    with pytest.raises(TooManyRequests):
        login("bob")


def test_an_unknown_user_fails(ldap_server):
    assert login("nobody") is None


def test_nested_groups_become_ldap_user_groups(ldap_server):
    user = login("bob")

    groups = UserGroup.objects.filter(group__user=user)
    assert sorted((g.group.name, g.group_type, g.ldap_group_dn) for g in groups) == [
        ("backend", UserGroup.Type.LDAP, group_dn("backend")),
        ("developers", UserGroup.Type.LDAP, group_dn("developers")),
    ]


def test_a_user_without_groups_has_none(ldap_server):
    user = login("cleo")

    assert not user.groups.exists()


def test_a_role_of_an_ldap_group_gives_its_actions_to_nested_members(developers_in_secret):
    user = login("bob")

    assert Action.PUSH in project_actions(user, developers_in_secret)


def test_leaving_the_group_in_ldap_takes_its_actions_away_at_the_next_login(
    developers_in_secret, no_credential_cache, ldap_server
):
    assert Action.PULL in project_actions(login("bob"), developers_in_secret)
    ldap_server.remove_member(group_dn("backend"), user_dn("bob"))

    user = login("bob")

    assert project_actions(user, developers_in_secret) == frozenset()
    assert not user.groups.exists()


def test_joining_a_group_in_ldap_gives_its_actions_at_the_next_login(
    developers_in_secret, no_credential_cache, ldap_server
):
    assert project_actions(login("dora"), developers_in_secret) == frozenset()
    ldap_server.add_member(group_dn("developers"), user_dn("dora"))

    user = login("dora")

    assert Action.PUSH in project_actions(user, developers_in_secret)


def test_a_group_leaving_its_parent_group_in_ldap_is_followed(
    developers_in_secret, no_credential_cache, ldap_server
):
    login("bob")
    ldap_server.remove_member(group_dn("developers"), group_dn("backend"))

    user = login("bob")

    assert sorted(user.groups.values_list("name", flat=True)) == ["backend"]


def test_groups_made_in_harborpy_are_left_alone(ldap_server, no_credential_cache):
    user = login("bob")
    local = Group.objects.create(name="local-team")
    user.groups.add(local)

    login("bob")

    assert user.groups.filter(pk=local.pk).exists()


def test_an_ldap_group_named_like_a_harborpy_group_gets_a_name_of_its_own(ldap_server):
    local = Group.objects.create(name="developers")

    user = login("bob")

    mirrored = ldap_group("developers").group
    assert mirrored.pk != local.pk
    assert mirrored.name != "developers"
    assert not user.groups.filter(pk=local.pk).exists()


def test_the_admin_group_makes_a_system_admin(ldap_server):
    user = login("ann")

    assert (user.is_superuser, user.is_staff) == (True, True)
    assert User.objects.get(pk=user.pk).is_superuser
    assert AuditEvent.objects.filter(resource="ann", detail__sysadmin_flag=True).exists()


def test_an_admin_in_a_group_nested_in_the_admin_group_is_an_admin(ldap_server):
    ldap_server.add_member(ADMIN_GROUP, group_dn("qa"))

    assert login("dora").is_superuser


def test_leaving_the_admin_group_takes_system_admin_away(ldap_server, no_credential_cache):
    login("ann")
    ldap_server.remove_member(ADMIN_GROUP, user_dn("ann"))

    user = login("ann")

    assert (user.is_superuser, user.is_staff) == (False, False)
    assert AuditEvent.objects.filter(resource="ann", detail__sysadmin_flag=False).exists()


def test_without_an_admin_group_the_admin_flag_is_harborpys(ldap_server, settings, no_credential_cache):
    settings.LDAP_ADMIN_GROUP_DN = ""
    user = login("bob")
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)

    assert login("bob").is_superuser


def test_a_changed_email_and_name_are_copied_at_the_next_login(ldap_server, no_credential_cache):
    login("bob")
    ldap_server.modify(
        f"dn: {user_dn('bob')}\nchangetype: modify\nreplace: mail\nmail: robert@example.org\n"
        "-\nreplace: cn\ncn: Robert Builder\n"
    )

    user = login("bob")

    assert (user.email, user.realname) == ("robert@example.org", "Robert Builder")


def test_an_email_another_user_has_is_not_copied(ldap_server):
    UserFactory(username="robert", email="BOB@example.org")

    user = login("bob")

    assert user is not None
    assert user.email == ""


def test_a_database_user_is_not_taken_over_by_an_ldap_entry_of_the_same_name(ldap_server):
    UserFactory(username="bob")

    assert login("bob", PASSWORD) is None
    assert login("bob", "Passw0rd!").ldap_dn == ""


def test_a_database_user_logs_in_while_the_directory_is_down(ldap_server, settings, admin):
    settings.LDAP_URL = "ldap://127.0.0.1:1/"
    settings.LDAP_TIMEOUT = 1

    assert login("admin", "Passw0rd!") == admin


def test_an_ldap_login_fails_cleanly_while_the_directory_is_down(ldap_server, settings):
    settings.LDAP_URL = "ldap://127.0.0.1:1/"
    settings.LDAP_TIMEOUT = 1

    assert login("bob") is None


def test_a_deactivated_ldap_user_cannot_log_in(ldap_server, no_credential_cache):
    user = login("bob")
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert login("bob") is None


def test_ldap_logins_are_off_when_ldap_is_not_configured(ldap_server, settings):
    settings.LDAP_ENABLED = False

    assert authenticate(None, username="bob", password=PASSWORD) is None


def test_the_token_service_grants_push_through_an_ldap_group(client, developers_in_secret):
    response = client.get(
        "/service/token?service=harbor-registry&scope=repository:secret/app:pull,push",
        HTTP_AUTHORIZATION=basic_auth("bob", PASSWORD),
    )

    assert response.status_code == 200, response.content
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["sub"] == "bob"
    assert claims["access"] == [{"type": "repository", "name": "secret/app", "actions": ["pull", "push"]}]


def test_the_token_service_grants_nothing_to_an_ldap_user_without_a_role(client, developers_in_secret):
    response = client.get(
        "/service/token?service=harbor-registry&scope=repository:secret/app:pull,push",
        HTTP_AUTHORIZATION=basic_auth("cleo", PASSWORD),
    )

    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["access"][0]["actions"] == []


def test_v2_with_basic_credentials_accepts_an_ldap_user(client, ldap_server):
    response = client.get("/v2/", HTTP_AUTHORIZATION=basic_auth("bob", PASSWORD))

    assert response.status_code == 200


def test_an_ldap_admin_logs_in_to_the_admin_site(client, ldap_server):
    response = client.post("/admin/login/?next=/admin/", {"username": "ann", "password": PASSWORD})

    assert response.status_code == 302, response.content
    assert client.get("/admin/").status_code == 200


def test_an_ldap_user_who_is_not_an_admin_cannot_use_the_admin_site(client, ldap_server):
    response = client.post("/admin/login/?next=/admin/", {"username": "bob", "password": PASSWORD})

    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


def test_a_session_of_a_deactivated_ldap_user_ends(client, ldap_server):
    client.post("/admin/login/?next=/admin/", {"username": "ann", "password": PASSWORD})
    User.objects.filter(username="ann").update(is_active=False)

    assert client.get("/admin/").status_code == 302
