"""/api/v2.0/users: Harbor's user API, its permissions and its security cases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEvent
from projects.models import Role, SystemSettings, User
from projects.permissions import Action
from projects.services.robots import Grant, robot_create
from tests.conftest import basic_auth
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = "N3w-Secret-pw"
NEW_USER = {"username": "dave", "email": "dave@example.com", "password": GOOD, "realname": "Dave D"}


def self_registration(on: bool) -> None:
    SystemSettings.objects.update_or_create(pk=1, defaults={"self_registration": on})


def browser() -> APIClient:
    """An anonymous browser: harborpy's CSRF cookie and the matching header, checked as Django does."""
    token = _get_new_csrf_string()
    client = APIClient(enforce_csrf_checks=True, HTTP_X_CSRFTOKEN=token)
    client.cookies["csrftoken"] = token
    return client


def error_code(response) -> str:
    return response.json()["errors"][0]["code"]


# --- GET /users -----------------------------------------------------------------------------------


def test_an_admin_lists_users_in_harbors_shape(api_client, admin, alice):
    response = api_client.as_user(admin).get("/api/v2.0/users")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    row = next(u for u in response.json() if u["username"] == "alice")
    assert set(row) == {
        "user_id",
        "username",
        "email",
        "realname",
        "comment",
        "sysadmin_flag",
        "admin_role_in_auth",
        "creation_time",
        "update_time",
    }
    assert (row["user_id"], row["email"], row["sysadmin_flag"]) == (alice.pk, "alice@example.com", False)


def test_the_user_list_is_paged_with_harbors_headers(api_client, admin):
    for n in range(12):
        UserFactory(username=f"user{n:02d}")

    response = api_client.as_user(admin).get("/api/v2.0/users?page=2&page_size=5&sort=username")

    assert [u["username"] for u in response.json()] == [f"user{n:02d}" for n in range(4, 9)]
    assert response["X-Total-Count"] == "13"
    assert 'rel="prev"' in response["Link"] and 'rel="next"' in response["Link"]


def test_users_are_filtered_with_q_and_sorted(api_client, admin):
    for name in ("bob", "bobby", "robert"):
        UserFactory(username=name)

    fuzzy = api_client.as_user(admin).get("/api/v2.0/users?q=username%3D~bob&sort=-username")
    exact = api_client.get("/api/v2.0/users?q=email%3Drobert@example.com")
    shortcut = api_client.get("/api/v2.0/users?username=ober")

    assert [u["username"] for u in fuzzy.json()] == ["bobby", "bob"]
    assert [u["username"] for u in exact.json()] == ["robert"]
    assert [u["username"] for u in shortcut.json()] == ["robert"]


@pytest.mark.parametrize(
    "query", ["q=password%3Dx", "q=username", "q=creation_time%3D[1~2]", "sort=password", "q=a%00"]
)
def test_a_bad_query_or_sort_is_400(api_client, admin, query):
    response = api_client.as_user(admin).get(f"/api/v2.0/users?{query}")

    assert response.status_code == 400
    assert error_code(response) == "BAD_REQUEST"


def test_a_normal_user_may_not_list_users(api_client, alice):
    response = api_client.as_user(alice).get("/api/v2.0/users")

    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"


def test_anonymous_may_not_list_users(api_client, alice):
    response = api_client.get("/api/v2.0/users")

    assert response.status_code == 401


# --- POST /users ----------------------------------------------------------------------------------


def test_an_admin_creates_a_user(api_client, admin):
    response = api_client.as_user(admin).post(
        "/api/v2.0/users", NEW_USER, format="json", REMOTE_ADDR="10.1.2.3"
    )

    assert response.status_code == 201
    dave = User.objects.get(username="dave")
    assert response["Location"] == f"/api/v2.0/users/{dave.pk}"
    assert dave.check_password(GOOD) and dave.realname == "Dave D"
    event = AuditEvent.objects.get(operation="create", resource_type="user")
    assert (event.actor, event.resource, event.address) == ("admin", "dave", "10.1.2.3")


def test_an_admin_cannot_create_an_admin_through_post(api_client, admin):
    body = {**NEW_USER, "sysadmin_flag": True, "admin_role_in_auth": True, "is_superuser": True}

    api_client.as_user(admin).post("/api/v2.0/users", body, format="json")

    assert not User.objects.get(username="dave").is_superuser


def test_a_weak_password_is_400_with_a_clear_message(api_client, admin):
    response = api_client.as_user(admin).post(
        "/api/v2.0/users", {**NEW_USER, "password": "weakpass"}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "BAD_REQUEST"
    assert "uppercase letter" in error["message"] and "digit" in error["message"]
    assert not User.objects.filter(username="dave").exists()


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_a_missing_field_is_400_naming_it(api_client, admin, missing):
    body = {k: v for k, v in NEW_USER.items() if k != missing}

    response = api_client.as_user(admin).post("/api/v2.0/users", body, format="json")

    assert response.status_code == 400
    assert missing in response.json()["errors"][0]["detail"]["fields"]


@pytest.mark.parametrize(
    "change",
    [{"email": "nope"}, {"username": "a b"}, {"username": "x\x00y"}, {"realname": ["x"]}, {"password": 5}],
)
def test_malformed_input_is_400_not_500(api_client, admin, change):
    response = api_client.as_user(admin).post("/api/v2.0/users", {**NEW_USER, **change}, format="json")

    assert response.status_code == 400


def test_a_body_that_is_not_an_object_is_400(api_client, admin):
    response = api_client.as_user(admin).post("/api/v2.0/users", ["x"], format="json")

    assert response.status_code == 400


def test_a_taken_username_is_409(api_client, admin, alice):
    response = api_client.as_user(admin).post(
        "/api/v2.0/users", {**NEW_USER, "username": "alice"}, format="json"
    )

    assert response.status_code == 409
    assert error_code(response) == "CONFLICT"


def test_a_normal_user_may_not_create_users(api_client, alice):
    self_registration(True)

    response = api_client.as_user(alice).post("/api/v2.0/users", NEW_USER, format="json")

    assert response.status_code == 403
    assert not User.objects.filter(username="dave").exists()


def test_anonymous_post_is_401_without_self_registration(api_client, db):
    response = browser().post("/api/v2.0/users", NEW_USER, format="json")

    assert response.status_code == 401
    assert not User.objects.filter(username="dave").exists()


def test_self_registration_from_a_browser_creates_a_plain_user_whatever_the_body_claims(db):
    self_registration(True)
    body = {
        **NEW_USER,
        "sysadmin_flag": True,
        "admin_role_in_auth": True,
        "is_superuser": True,
        "is_staff": True,
    }

    response = browser().post("/api/v2.0/users", body, format="json")

    assert response.status_code == 201
    dave = User.objects.get(username="dave")
    assert not dave.is_superuser and not dave.is_staff
    event = AuditEvent.objects.get(operation="create", resource="dave")
    assert (event.actor_kind, event.detail["self_registration"]) == ("anonymous", True)


def test_self_registration_through_the_bare_api_is_403_as_in_harbor(api_client, db):
    self_registration(True)

    response = api_client.post("/api/v2.0/users", NEW_USER, format="json")

    assert response.status_code == 403
    assert not User.objects.filter(username="dave").exists()


def test_self_registration_needs_the_csrf_token(db):
    self_registration(True)
    client = browser()
    client.credentials(HTTP_X_CSRFTOKEN=_get_new_csrf_string())  # not the cookie's

    response = client.post("/api/v2.0/users", NEW_USER, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["errors"][0]["message"]


def test_self_registration_still_checks_the_password_policy(db):
    self_registration(True)

    response = browser().post("/api/v2.0/users", {**NEW_USER, "password": "password"}, format="json")

    assert response.status_code == 400


def test_no_local_users_are_created_under_ldap(api_client, admin, settings):
    settings.LDAP_ENABLED = True

    response = api_client.as_user(admin).post("/api/v2.0/users", NEW_USER, format="json")

    assert response.status_code == 403


# --- GET /users/current, /users/current/permissions -------------------------------------------


def test_the_current_user_gets_its_profile(api_client, alice):
    response = api_client.as_user(alice).get("/api/v2.0/users/current")

    assert response.status_code == 200
    assert (response.json()["user_id"], response.json()["username"]) == (alice.pk, "alice")
    assert response.json()["admin_role_in_auth"] is False


def test_a_session_user_gets_its_profile(alice):
    client = APIClient()
    client.force_login(alice)

    response = client.get("/api/v2.0/users/current")

    assert response.json()["username"] == "alice"


def test_anonymous_has_no_current_user(api_client, db):
    assert api_client.get("/api/v2.0/users/current").status_code == 401


@pytest.fixture
def robot(admin, library):
    robot, secret = robot_create(
        creator=admin, name="ci", project=library, grants=[Grant(library, frozenset({Action.PULL}))]
    )
    return robot, secret


def test_a_robot_has_no_current_user_412(api_client, robot):
    robot, secret = robot
    api_client.credentials(HTTP_AUTHORIZATION=basic_auth(robot.username, secret))

    response = api_client.get("/api/v2.0/users/current")

    assert response.status_code == 412
    assert error_code(response) == "PRECONDITION"


def test_project_permissions_follow_the_role(api_client, role_members, private_project):
    developer = role_members[Role.DEVELOPER]

    response = api_client.as_user(developer).get(
        f"/api/v2.0/users/current/permissions?scope=/project/{private_project.pk}&relative=true"
    )

    assert response.status_code == 200
    granted = {(p["resource"], p["action"]) for p in response.json()}
    assert {("repository", "pull"), ("repository", "push"), ("member", "list"), (".", "read")} <= granted
    assert ("repository", "delete") not in granted
    assert ("member", "create") not in granted


def test_project_permissions_of_a_project_admin_include_member_management(
    api_client, role_members, private_project
):
    project_admin = role_members[Role.PROJECT_ADMIN]

    response = api_client.as_user(project_admin).get(
        f"/api/v2.0/users/current/permissions?scope=/project/{private_project.pk}"
    )

    granted = {(p["resource"], p["action"]) for p in response.json()}
    assert (f"/project/{private_project.pk}/member", "create") in granted
    assert (f"/project/{private_project.pk}", "delete") in granted


def test_a_subresource_scope_keeps_only_what_is_under_it(api_client, role_members, private_project):
    guest = role_members[Role.GUEST]

    response = api_client.as_user(guest).get(
        f"/api/v2.0/users/current/permissions?scope=/project/{private_project.pk}/repository&relative=true"
    )

    assert sorted(p["action"] for p in response.json()) == ["list", "pull", "read"]
    assert {p["resource"] for p in response.json()} == {"."}


def test_no_permissions_in_a_project_one_cannot_see(api_client, role_members, private_project):
    outsider = role_members[None]

    response = api_client.as_user(outsider).get(
        f"/api/v2.0/users/current/permissions?scope=/project/{private_project.pk}"
    )

    assert response.status_code == 200
    assert response.json() == []


def test_system_permissions_of_an_admin_and_of_a_user(api_client, admin, alice):
    as_admin = api_client.as_user(admin).get(
        "/api/v2.0/users/current/permissions?scope=/system&relative=true"
    )
    as_alice = api_client.as_user(alice).get("/api/v2.0/users/current/permissions?scope=/system")

    assert {"resource": "user", "action": "create"} in as_admin.json()
    assert as_alice.json() == [{"resource": "/system/project", "action": "create"}]


@pytest.mark.parametrize("query", ["", "?scope=", "?scope=/nothing/1", "?scope=/project/abc"])
def test_an_unknown_or_missing_scope_gives_no_permissions(api_client, alice, query):
    response = api_client.as_user(alice).get(f"/api/v2.0/users/current/permissions{query}")

    assert response.status_code == 200
    assert response.json() == []


def test_a_bad_relative_flag_is_400(api_client, alice):
    response = api_client.as_user(alice).get("/api/v2.0/users/current/permissions?relative=maybe")

    assert response.status_code == 400


def test_anonymous_has_no_permissions_to_ask_about(api_client, db):
    assert api_client.get("/api/v2.0/users/current/permissions").status_code == 401


# --- GET /users/search ----------------------------------------------------------------------------


def test_anyone_logged_in_searches_users_and_gets_ids_and_names_only(api_client, alice):
    UserFactory(username="alicia")
    UserFactory(username="ghost", is_active=False)
    UserFactory(username="bob")

    response = api_client.as_user(alice).get("/api/v2.0/users/search?username=ALI")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert response.json() == [
        {"user_id": alice.pk, "username": "alice"},
        {"user_id": User.objects.get(username="alicia").pk, "username": "alicia"},
    ]


def test_the_user_search_is_paged(api_client, alice):
    for n in range(5):
        UserFactory(username=f"dev{n}")

    response = api_client.as_user(alice).get("/api/v2.0/users/search?username=dev&page_size=2&page=3")

    assert [u["username"] for u in response.json()] == ["dev4"]
    assert response["X-Total-Count"] == "5"
    assert 'rel="prev"' in response["Link"]


@pytest.mark.parametrize("query", ["", "?username=", "?username=%00"])
def test_the_user_search_needs_a_name(api_client, alice, query):
    response = api_client.as_user(alice).get(f"/api/v2.0/users/search{query}")

    assert response.status_code == 400


def test_anonymous_may_not_search_users(api_client, alice):
    assert api_client.get("/api/v2.0/users/search?username=a").status_code == 401


# --- GET/PUT/DELETE /users/{id} -----------------------------------------------------------------


def test_a_user_reads_itself(api_client, alice):
    response = api_client.as_user(alice).get(f"/api/v2.0/users/{alice.pk}")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_a_user_may_not_read_another(api_client, alice):
    bob = UserFactory(username="bob")

    response = api_client.as_user(alice).get(f"/api/v2.0/users/{bob.pk}")

    assert response.status_code == 403


def test_a_user_cannot_tell_a_missing_user_from_a_forbidden_one(api_client, alice):
    response = api_client.as_user(alice).get("/api/v2.0/users/999999")

    assert response.status_code == 403


def test_an_admin_reads_anyone_and_gets_404_for_nobody(api_client, admin, alice):
    found = api_client.as_user(admin).get(f"/api/v2.0/users/{alice.pk}")
    missing = api_client.get("/api/v2.0/users/999999")
    huge = api_client.get("/api/v2.0/users/99999999999999999999999")

    assert found.json()["username"] == "alice"
    assert missing.status_code == 404
    assert error_code(missing) == "NOT_FOUND"
    assert huge.status_code == 404


def test_a_robot_is_not_the_user_with_its_id(api_client, admin, library):
    robot, secret = robot_create(
        creator=admin, name="ci", project=library, grants=[Grant(library, frozenset({Action.PULL}))]
    )
    namesake = User.objects.filter(pk=robot.pk).first() or UserFactory(username="namesake", id=robot.pk)
    api_client.credentials(HTTP_AUTHORIZATION=basic_auth(robot.username, secret))

    response = api_client.get(f"/api/v2.0/users/{namesake.pk}")

    assert response.status_code == 403


def test_a_user_changes_its_own_profile(api_client, alice):
    response = api_client.as_user(alice).put(
        f"/api/v2.0/users/{alice.pk}", {"realname": "Alice A", "comment": "hello"}, format="json"
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.realname, alice.comment) == ("Alice A", "hello")
    assert AuditEvent.objects.filter(operation="update", resource_type="user", resource="alice").exists()


def test_a_user_cannot_make_itself_admin_through_its_profile(api_client, alice):
    body = {"realname": "Alice", "sysadmin_flag": True, "admin_role_in_auth": True, "is_superuser": True}

    response = api_client.as_user(alice).put(f"/api/v2.0/users/{alice.pk}", body, format="json")

    assert response.status_code == 200
    alice.refresh_from_db()
    assert not alice.is_superuser and not alice.is_staff


def test_a_user_may_not_change_another(api_client, alice):
    bob = UserFactory(username="bob")

    response = api_client.as_user(alice).put(f"/api/v2.0/users/{bob.pk}", {"realname": "x"}, format="json")

    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.realname == ""


def test_an_admin_changes_anyones_profile(api_client, admin, alice):
    response = api_client.as_user(admin).put(
        f"/api/v2.0/users/{alice.pk}", {"email": "new@example.com"}, format="json"
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.email == "new@example.com"


@pytest.mark.parametrize(
    ("body", "status"), [({"email": "nope"}, 400), ({"email": "admin@example.com"}, 409)]
)
def test_a_bad_or_taken_email_address_is_refused(api_client, admin, alice, body, status):
    response = api_client.as_user(alice).put(f"/api/v2.0/users/{alice.pk}", body, format="json")

    assert response.status_code == status


def test_an_admin_deletes_a_user(api_client, admin, alice):
    response = api_client.as_user(admin).delete(f"/api/v2.0/users/{alice.pk}")

    assert response.status_code == 200
    assert not User.objects.filter(pk=alice.pk).exists()
    assert AuditEvent.objects.filter(operation="delete", resource_type="user", resource="alice").exists()


def test_an_admin_may_not_delete_itself(api_client, admin):
    response = api_client.as_user(admin).delete(f"/api/v2.0/users/{admin.pk}")

    assert response.status_code == 403
    assert User.objects.filter(pk=admin.pk).exists()


def test_a_normal_user_may_not_delete_anyone(api_client, alice):
    bob = UserFactory(username="bob")

    response = api_client.as_user(alice).delete(f"/api/v2.0/users/{bob.pk}")

    assert response.status_code == 403
    assert User.objects.filter(pk=bob.pk).exists()


def test_deleting_nobody_is_404(api_client, admin):
    assert api_client.as_user(admin).delete("/api/v2.0/users/999999").status_code == 404


# --- PUT /users/{id}/password ---------------------------------------------------------------------


def test_a_user_changes_its_password(api_client, alice):
    body = {"old_password": "Passw0rd!", "new_password": GOOD}

    response = api_client.as_user(alice).put(f"/api/v2.0/users/{alice.pk}/password", body, format="json")

    assert response.status_code == 200
    assert api_client.as_user(alice, GOOD).get("/api/v2.0/users/current").status_code == 200
    assert api_client.as_user(alice).get("/api/v2.0/users/current").status_code == 401


def test_a_wrong_old_password_is_403(api_client, alice):
    body = {"old_password": "Wr0ngPassword", "new_password": GOOD}

    response = api_client.as_user(alice).put(f"/api/v2.0/users/{alice.pk}/password", body, format="json")

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password("Passw0rd!")


def test_a_weak_new_password_is_400_with_a_clear_message(api_client, alice):
    body = {"old_password": "Passw0rd!", "new_password": "short"}

    response = api_client.as_user(alice).put(f"/api/v2.0/users/{alice.pk}/password", body, format="json")

    assert response.status_code == 400
    assert "8 to 128 characters" in response.json()["errors"][0]["message"]


def test_the_same_password_again_is_400(api_client, alice):
    body = {"old_password": "Passw0rd!", "new_password": "Passw0rd!"}

    response = api_client.as_user(alice).put(f"/api/v2.0/users/{alice.pk}/password", body, format="json")

    assert response.status_code == 400


def test_a_missing_new_password_is_400(api_client, alice):
    response = api_client.as_user(alice).put(
        f"/api/v2.0/users/{alice.pk}/password", {"old_password": "Passw0rd!"}, format="json"
    )

    assert response.status_code == 400


def test_an_admin_resets_a_password_without_the_old_one(api_client, admin, alice):
    response = api_client.as_user(admin).put(
        f"/api/v2.0/users/{alice.pk}/password", {"new_password": GOOD}, format="json"
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(GOOD)


def test_a_user_may_not_change_anothers_password(api_client, alice):
    bob = UserFactory(username="bob")

    response = api_client.as_user(alice).put(
        f"/api/v2.0/users/{bob.pk}/password",
        {"old_password": "Passw0rd!", "new_password": GOOD},
        format="json",
    )

    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.check_password("Passw0rd!")


def test_a_browser_stays_logged_in_after_changing_its_own_password(alice):
    client = APIClient()
    client.force_login(alice)

    client.put(
        f"/api/v2.0/users/{alice.pk}/password",
        {"old_password": "Passw0rd!", "new_password": GOOD},
        format="json",
    )

    assert client.get("/api/v2.0/users/current").status_code == 200


def test_other_sessions_end_when_the_password_changes(api_client, alice):
    other_browser = APIClient()
    other_browser.force_login(alice)

    api_client.as_user(alice).put(
        f"/api/v2.0/users/{alice.pk}/password",
        {"old_password": "Passw0rd!", "new_password": GOOD},
        format="json",
    )

    assert other_browser.get("/api/v2.0/users/current").status_code == 401


# --- PUT /users/{id}/sysadmin, /cli_secret --------------------------------------------------------


def test_an_admin_grants_the_admin_flag(api_client, admin, alice):
    response = api_client.as_user(admin).put(
        f"/api/v2.0/users/{alice.pk}/sysadmin", {"sysadmin_flag": True}, format="json"
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.is_superuser
    assert api_client.as_user(alice).get("/api/v2.0/users").status_code == 200


def test_a_normal_user_may_not_make_itself_admin(api_client, alice):
    response = api_client.as_user(alice).put(
        f"/api/v2.0/users/{alice.pk}/sysadmin", {"sysadmin_flag": True}, format="json"
    )

    assert response.status_code == 403
    alice.refresh_from_db()
    assert not alice.is_superuser


def test_anonymous_may_not_set_the_admin_flag(api_client, alice):
    response = api_client.put(f"/api/v2.0/users/{alice.pk}/sysadmin", {"sysadmin_flag": True}, format="json")

    assert response.status_code == 401


def test_the_last_admin_keeps_its_flag(api_client, admin):
    response = api_client.as_user(admin).put(
        f"/api/v2.0/users/{admin.pk}/sysadmin", {"sysadmin_flag": False}, format="json"
    )

    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.is_superuser


@pytest.mark.parametrize("body", [{}, {"sysadmin_flag": "perhaps"}])
def test_a_missing_or_bad_flag_is_400(api_client, admin, alice, body):
    response = api_client.as_user(admin).put(f"/api/v2.0/users/{alice.pk}/sysadmin", body, format="json")

    assert response.status_code == 400


def test_setting_the_flag_of_nobody_is_404(api_client, admin):
    response = api_client.as_user(admin).put(
        "/api/v2.0/users/999999/sysadmin", {"sysadmin_flag": True}, format="json"
    )

    assert response.status_code == 404


def test_cli_secrets_need_oidc_so_412(api_client, alice):
    response = api_client.as_user(alice).put(
        f"/api/v2.0/users/{alice.pk}/cli_secret", {"secret": "Abcdefgh1"}, format="json"
    )

    assert response.status_code == 412


def test_listing_users_costs_the_same_queries_for_few_or_many(api_client, admin, alice):
    api_client.as_user(admin).get("/api/v2.0/users")  # the credential is now remembered
    with CaptureQueriesContext(connection) as few:
        api_client.get("/api/v2.0/users")
    for n in range(10):
        UserFactory(username=f"user{n}")

    with CaptureQueriesContext(connection) as many:
        response = api_client.get("/api/v2.0/users?page_size=20")

    assert len(response.json()) == 12
    assert len(many) == len(few)
