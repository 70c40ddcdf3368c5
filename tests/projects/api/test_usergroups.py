"""/api/v2.0/usergroups: system admins manage groups; anyone logged in searches them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from projects.models import UserGroup
from projects.services.usergroups import usergroup_create

pytestmark = pytest.mark.django_db

DN = "cn=devs,ou=groups,dc=example,dc=com"


@pytest.fixture
def groups(admin):
    return {
        "ops": usergroup_create(actor=admin, name="ops", group_type=UserGroup.Type.HTTP),
        "devs": usergroup_create(actor=admin, name="devs", group_type=UserGroup.Type.LDAP, ldap_group_dn=DN),
        "devops": usergroup_create(actor=admin, name="devops", group_type=UserGroup.Type.OIDC),
    }


def test_an_admin_lists_groups_in_harbors_shape(api_client, admin, groups):
    response = api_client.as_user(admin).get("/api/v2.0/usergroups")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "3"
    assert response.json()[1] == {
        "id": groups["devs"].group_id,
        "group_name": "devs",
        "group_type": 1,
        "ldap_group_dn": DN,
    }


def test_the_group_list_filters_by_name_and_dn_and_is_paged(api_client, admin, groups):
    by_name = api_client.as_user(admin).get("/api/v2.0/usergroups?group_name=DEV")
    by_dn = api_client.get(f"/api/v2.0/usergroups?ldap_group_dn={DN.upper()}")
    paged = api_client.get("/api/v2.0/usergroups?page=2&page_size=2")

    assert [g["group_name"] for g in by_name.json()] == ["devs", "devops"]
    assert [g["group_name"] for g in by_dn.json()] == ["devs"]
    assert [g["group_name"] for g in paged.json()] == ["devops"]
    assert paged["X-Total-Count"] == "3" and 'rel="prev"' in paged["Link"]


def test_under_ldap_only_ldap_groups_are_listed(api_client, admin, groups, settings):
    settings.LDAP_ENABLED = True

    response = api_client.as_user(admin).get("/api/v2.0/usergroups")

    assert [g["group_name"] for g in response.json()] == ["devs"]


def test_a_normal_user_may_not_list_groups(api_client, alice, groups):
    assert api_client.as_user(alice).get("/api/v2.0/usergroups").status_code == 403


def test_anonymous_may_not_list_groups(api_client, groups):
    assert api_client.get("/api/v2.0/usergroups").status_code == 401


def test_an_admin_creates_a_group(api_client, admin):
    response = api_client.as_user(admin).post(
        "/api/v2.0/usergroups", {"group_name": "devs", "group_type": 1, "ldap_group_dn": DN}, format="json"
    )

    assert response.status_code == 201
    usergroup = UserGroup.objects.get(group__name="devs")
    assert response["Location"] == f"/api/v2.0/usergroups/{usergroup.group_id}"
    assert usergroup.ldap_group_dn == DN
    assert AuditEvent.objects.filter(resource_type="usergroup", operation="create", actor="admin").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"group_name": "devs", "group_type": 1},
        {"group_name": "devs", "group_type": 1, "ldap_group_dn": "garbage"},
        {"group_name": "ops", "group_type": 2, "ldap_group_dn": DN},
        {"group_name": "ops", "group_type": 9},
        {"group_name": "ops", "group_type": "http"},
        {"group_name": "", "group_type": 2},
        {"group_type": 2},
        {"group_name": "ops"},
        {"group_name": "a\x00b", "group_type": 2},
    ],
)
def test_bad_groups_are_400(api_client, admin, body):
    response = api_client.as_user(admin).post("/api/v2.0/usergroups", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "BAD_REQUEST"
    assert not Group.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"group_name": "other", "group_type": 1, "ldap_group_dn": DN},
        {"group_name": "OPS", "group_type": 2},
    ],
)
def test_a_duplicate_group_is_409(api_client, admin, groups, body):
    response = api_client.as_user(admin).post("/api/v2.0/usergroups", body, format="json")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "CONFLICT"


def test_a_normal_user_may_not_create_groups(api_client, alice):
    response = api_client.as_user(alice).post(
        "/api/v2.0/usergroups", {"group_name": "mine", "group_type": 2}, format="json"
    )

    assert response.status_code == 403
    assert not Group.objects.exists()


def test_an_admin_reads_a_group(api_client, admin, groups):
    response = api_client.as_user(admin).get(f"/api/v2.0/usergroups/{groups['ops'].group_id}")

    assert response.status_code == 200
    assert response.json() == {
        "id": groups["ops"].group_id,
        "group_name": "ops",
        "group_type": 2,
        "ldap_group_dn": "",
    }


def test_a_missing_group_is_404_for_an_admin(api_client, admin):
    assert api_client.as_user(admin).get("/api/v2.0/usergroups/999999").status_code == 404
    assert api_client.get("/api/v2.0/usergroups/123456789012345678901").status_code == 404


def test_a_normal_user_may_not_read_groups(api_client, alice, groups):
    assert api_client.as_user(alice).get(f"/api/v2.0/usergroups/{groups['ops'].group_id}").status_code == 403


def test_an_admin_renames_a_group_and_nothing_else(api_client, admin, groups):
    body = {"group_name": "operations", "group_type": 1, "ldap_group_dn": DN}

    response = api_client.as_user(admin).put(
        f"/api/v2.0/usergroups/{groups['ops'].group_id}", body, format="json"
    )

    assert response.status_code == 200
    usergroup = UserGroup.objects.get(pk=groups["ops"].pk)
    assert (usergroup.group.name, usergroup.group_type, usergroup.ldap_group_dn) == ("operations", 2, "")


def test_renaming_without_a_name_is_400_and_to_a_taken_one_409(api_client, admin, groups):
    url = f"/api/v2.0/usergroups/{groups['ops'].group_id}"

    missing = api_client.as_user(admin).put(url, {}, format="json")
    taken = api_client.put(url, {"group_name": "devs"}, format="json")

    assert missing.status_code == 400
    assert taken.status_code == 409


def test_a_normal_user_may_not_rename_groups(api_client, alice, groups):
    response = api_client.as_user(alice).put(
        f"/api/v2.0/usergroups/{groups['ops'].group_id}", {"group_name": "mine"}, format="json"
    )

    assert response.status_code == 403


def test_an_admin_deletes_a_group(api_client, admin, groups):
    response = api_client.as_user(admin).delete(f"/api/v2.0/usergroups/{groups['ops'].group_id}")

    assert response.status_code == 200
    assert not Group.objects.filter(name="ops").exists()
    assert AuditEvent.objects.filter(resource_type="usergroup", operation="delete", resource="ops").exists()


def test_deleting_a_missing_group_is_404(api_client, admin):
    assert api_client.as_user(admin).delete("/api/v2.0/usergroups/999999").status_code == 404


def test_a_normal_user_may_not_delete_groups(api_client, alice, groups):
    response = api_client.as_user(alice).delete(f"/api/v2.0/usergroups/{groups['ops'].group_id}")

    assert response.status_code == 403
    assert Group.objects.filter(name="ops").exists()


def test_anyone_logged_in_searches_groups(api_client, alice, groups):
    response = api_client.as_user(alice).get("/api/v2.0/usergroups/search?groupname=DEV")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert response.json() == [
        {"id": groups["devops"].group_id, "group_name": "devops", "group_type": 3},
        {"id": groups["devs"].group_id, "group_name": "devs", "group_type": 1},
    ]


def test_the_group_search_is_paged(api_client, alice, groups):
    response = api_client.as_user(alice).get("/api/v2.0/usergroups/search?groupname=s&page_size=1")

    assert len(response.json()) == 1
    assert response["X-Total-Count"] == "3"
    assert 'rel="next"' in response["Link"]


@pytest.mark.parametrize("query", ["", "?groupname="])
def test_the_group_search_needs_a_name(api_client, alice, query):
    assert api_client.as_user(alice).get(f"/api/v2.0/usergroups/search{query}").status_code == 400


def test_anonymous_may_not_search_groups(api_client, groups):
    assert api_client.get("/api/v2.0/usergroups/search?groupname=o").status_code == 401


def test_listing_groups_costs_the_same_queries_for_few_or_many(api_client, admin, groups):
    api_client.as_user(admin).get("/api/v2.0/usergroups")  # the credential is now remembered
    with CaptureQueriesContext(connection) as few:
        api_client.get("/api/v2.0/usergroups")
    for n in range(10):
        usergroup_create(actor=admin, name=f"team{n}", group_type=UserGroup.Type.HTTP)

    with CaptureQueriesContext(connection) as many:
        response = api_client.get("/api/v2.0/usergroups?page_size=20")

    assert len(response.json()) == 13
    assert len(many) == len(few)
