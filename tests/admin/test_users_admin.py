"""Users and groups in the admin site: the system admins' alone, changes audited, Harbor's password
policy enforced; project admins find users and groups only to make them members."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from projects.models import User, UserGroup
from tests.admin.pages import listed, page_messages, submitted
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS = "/admin/projects/user/"
GROUPS = "/admin/auth/group/"


def autocomplete(client, term: str, field: str = "user"):
    return client.get(
        "/admin/autocomplete/",
        {"term": term, "app_label": "projects", "model_name": "projectmember", "field_name": field},
    )


# --- Who sees users ----------------------------------------------------------------------------


def test_a_system_admin_lists_users(login_as, admin, alpha_admin):
    assert {user.username for user in listed(login_as(admin).get(USERS))} == {"admin", "pat"}


@pytest.mark.parametrize("url", [USERS, "/admin/projects/user/add/", GROUPS])
def test_a_project_admin_cannot_open_user_or_group_pages(login_as, alpha_admin, url):
    assert login_as(alpha_admin).get(url).status_code == 403


def test_a_project_admin_cannot_open_a_users_page(login_as, alpha_admin, alpha_developer):
    assert login_as(alpha_admin).get(f"/admin/projects/user/{alpha_developer.pk}/change/").status_code == 403


def test_a_project_admin_finds_users_to_make_members(login_as, alpha_admin):
    UserFactory(username="bob")
    UserFactory(username="bobby")

    response = autocomplete(login_as(alpha_admin), "bob")

    assert response.status_code == 200
    assert sorted(result["text"] for result in response.json()["results"]) == ["bob", "bobby"]


def test_a_project_admin_finds_groups_to_make_members(login_as, alpha_admin):
    Group.objects.create(name="ops")

    response = autocomplete(login_as(alpha_admin), "op", field="group")

    assert [result["text"] for result in response.json()["results"]] == ["ops"]


def test_a_developer_cannot_search_users(login_as, alpha_developer):
    assert autocomplete(login_as(alpha_developer), "bob").status_code == 403


def test_the_user_search_serves_only_the_members_field(login_as, alpha_admin):
    response = login_as(alpha_admin).get(
        "/admin/autocomplete/",
        {"term": "a", "app_label": "projects", "model_name": "project", "field_name": "owner"},
    )

    assert response.status_code == 403


# --- Writes ------------------------------------------------------------------------------------


def test_a_system_admin_creates_a_user_and_it_is_audited(login_as, admin):
    response = login_as(admin).post(
        "/admin/projects/user/add/",
        {
            "username": "erin",
            "email": "erin@example.com",
            "realname": "Erin",
            "password1": "Str0ng-enough",
            "password2": "Str0ng-enough",
        },
    )

    assert response.status_code == 302
    erin = User.objects.get(username="erin")
    assert erin.check_password("Str0ng-enough") and erin.realname == "Erin"
    event = AuditEvent.objects.get(resource_type="user", operation="create")
    assert (event.actor, event.resource, event.address) == ("admin", "erin", "192.0.2.7")


def test_a_password_against_harbors_policy_is_refused(login_as, admin):
    response = login_as(admin).post(
        "/admin/projects/user/add/",
        {
            "username": "erin",
            "usable_password": "true",
            "password1": "alllowercase1",
            "password2": "alllowercase1",
        },
    )

    assert response.status_code == 200
    assert not User.objects.filter(username="erin").exists()
    assert response.context["adminform"].form.errors["password2"]


def test_disabling_a_user_is_audited_and_forgets_its_remembered_logins(
    login_as, admin, alpha_developer, settings
):
    from projects.authentication import credentials_verify

    settings.CREDENTIAL_CACHE_SECONDS = 60
    assert credentials_verify(username="dev", password="Passw0rd!") is not None
    client = login_as(admin)
    url = f"/admin/projects/user/{alpha_developer.pk}/change/"

    response = client.post(url, submitted(client.get(url), is_active=False))

    assert response.status_code == 302
    assert not User.objects.get(pk=alpha_developer.pk).is_active
    assert credentials_verify(username="dev", password="Passw0rd!") is None
    event = AuditEvent.objects.get(resource_type="user", operation="update")
    assert event.detail == {"active": False}


def test_a_password_change_is_audited(login_as, admin, alpha_developer):
    response = login_as(admin).post(
        f"/admin/projects/user/{alpha_developer.pk}/password/",
        {"password1": "N3w-password", "password2": "N3w-password"},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=alpha_developer.pk).check_password("N3w-password")
    event = AuditEvent.objects.get(resource_type="user", operation="update", resource="dev")
    assert event.detail == {"fields": ["password"]}


def test_deleting_a_user_is_audited(login_as, admin, alpha_developer):
    response = login_as(admin).post(f"/admin/projects/user/{alpha_developer.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(username="dev").exists()
    assert AuditEvent.objects.filter(resource_type="user", operation="delete", resource="dev").exists()


def test_a_system_admin_creates_an_ldap_group(login_as, admin):
    response = login_as(admin).post(
        "/admin/auth/group/add/",
        {
            "name": "ops",
            "harbor-TOTAL_FORMS": "1",
            "harbor-INITIAL_FORMS": "0",
            "harbor-0-group_type": UserGroup.Type.LDAP,
            "harbor-0-ldap_group_dn": "cn=ops,ou=groups,dc=example,dc=com",
        },
    )

    assert response.status_code == 302
    assert UserGroup.objects.get(group__name="ops").ldap_group_dn == "cn=ops,ou=groups,dc=example,dc=com"
    assert AuditEvent.objects.filter(resource_type="usergroup", operation="create", resource="ops").exists()


def test_a_users_profile_changes_through_the_service(login_as, admin, alpha_developer):
    client = login_as(admin)
    url = f"/admin/projects/user/{alpha_developer.pk}/change/"

    client.post(url, submitted(client.get(url), realname="Dev Eloper", comment="on call"))

    user = User.objects.get(pk=alpha_developer.pk)
    assert (user.realname, user.comment) == ("Dev Eloper", "on call")
    event = AuditEvent.objects.get(resource_type="user", operation="update")
    assert event.detail == {"fields": ["comment", "realname"]}


def test_letting_a_user_into_the_admin_site_is_audited(login_as, admin):
    sam = UserFactory(username="sam")
    client = login_as(admin)
    url = f"/admin/projects/user/{sam.pk}/change/"

    client.post(url, submitted(client.get(url), is_staff=True))

    assert User.objects.get(pk=sam.pk).is_staff
    assert AuditEvent.objects.get(resource_type="user", operation="update").detail == {"staff": True}


def test_granting_the_system_admin_flag_goes_through_the_service(login_as, admin, alpha_developer):
    client = login_as(admin)
    url = f"/admin/projects/user/{alpha_developer.pk}/change/"

    client.post(url, submitted(client.get(url), is_superuser=True))

    user = User.objects.get(pk=alpha_developer.pk)
    assert user.is_superuser and user.is_staff
    assert AuditEvent.objects.get(resource_type="user", operation="update").detail == {"sysadmin_flag": True}


def test_an_ldap_users_profile_is_read_only(login_as, admin):
    lee = UserFactory(username="lee", ldap_dn="uid=lee,ou=people,dc=example,dc=com")

    response = login_as(admin).get(f"/admin/projects/user/{lee.pk}/change/")

    assert not {"email", "realname", "comment", "username"} & set(response.context["adminform"].form.fields)


def test_a_system_admin_cannot_delete_itself_and_is_told_why(login_as, admin):
    response = login_as(admin).post(f"/admin/projects/user/{admin.pk}/delete/", {"post": "yes"}, follow=True)

    assert User.objects.filter(pk=admin.pk).exists()
    assert "You cannot delete yourself." in page_messages(response)


def test_changing_ones_own_password_goes_through_the_service(login_as, alpha_admin):
    client = login_as(alpha_admin)

    response = client.post(
        "/admin/password_change/",
        {"old_password": "Passw0rd!", "new_password1": "An0ther-one", "new_password2": "An0ther-one"},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=alpha_admin.pk).check_password("An0ther-one")
    assert client.get("/admin/").status_code == 200  # still logged in
    event = AuditEvent.objects.get(resource_type="user", operation="update", resource="pat")
    assert (event.actor, event.detail) == ("pat", {"fields": ["password"]})


def test_an_ldap_user_cannot_change_its_password_here(login_as, db):
    lee = UserFactory(username="lee", is_staff=True, ldap_dn="uid=lee,ou=people,dc=example,dc=com")

    response = login_as(lee).post(
        "/admin/password_change/",
        {"old_password": "Passw0rd!", "new_password1": "An0ther-one", "new_password2": "An0ther-one"},
    )

    assert response.status_code == 200
    assert "The password of an LDAP user is changed in LDAP." in response.text
    assert User.objects.get(pk=lee.pk).check_password("Passw0rd!")


def test_a_group_is_renamed_through_the_service(login_as, admin):
    ops = UserGroup.objects.create(group=Group.objects.create(name="ops"), group_type=UserGroup.Type.HTTP)
    client = login_as(admin)
    url = f"/admin/auth/group/{ops.group_id}/change/"

    response = client.post(url, submitted(client.get(url), name="operations"))

    assert response.status_code == 302
    assert Group.objects.get(pk=ops.group_id).name == "operations"
    event = AuditEvent.objects.get(resource_type="usergroup", operation="update")
    assert event.detail["old_name"] == "ops"


def test_a_group_is_deleted_through_the_service(login_as, admin):
    ops = UserGroup.objects.create(group=Group.objects.create(name="ops"), group_type=UserGroup.Type.HTTP)

    login_as(admin).post(f"/admin/auth/group/{ops.group_id}/delete/", {"post": "yes"})

    assert not Group.objects.filter(name="ops").exists()
    assert AuditEvent.objects.filter(resource_type="usergroup", operation="delete", resource="ops").exists()


def test_a_group_taken_in_another_case_is_refused_on_the_form(login_as, admin):
    UserGroup.objects.create(group=Group.objects.create(name="ops"), group_type=UserGroup.Type.HTTP)

    response = login_as(admin).post(
        "/admin/auth/group/add/",
        {"name": "OPS", "harbor-TOTAL_FORMS": "1", "harbor-INITIAL_FORMS": "0", "harbor-0-group_type": "2"},
    )

    assert response.status_code == 200
    assert "A group named OPS already exists." in response.text


def test_no_local_user_is_created_while_ldap_is_on(login_as, admin, settings):
    settings.LDAP_ENABLED = True

    assert login_as(admin).get("/admin/projects/user/add/").status_code == 403
