"""`manage.py ldap_sync` and its Celery task against a real slapd: groups and the admin flag follow
the directory between logins, and users it lost are deactivated, their rows kept."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from projects.authentication import credentials_verify
from projects.models import ProjectMember, Role, User
from projects.permissions import Action, project_actions
from projects.services.ldap import ldap_sync_all, ldap_usergroup_ensure
from projects.services.members import member_set_role
from projects.tasks import ldap_sync_task
from tests.factories import UserFactory
from tests.support.slapd import ADMIN_GROUP, PASSWORD, group_dn, user_dn

pytestmark = pytest.mark.django_db


def login(username: str):
    return credentials_verify(username=username, password=PASSWORD)


def sync(*args: str) -> str:
    out = io.StringIO()
    call_command("ldap_sync", *args, stdout=out)
    return out.getvalue()


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def bob(ldap_server, private_project) -> User:
    """bob, logged in once, whose LDAP group `developers` is Developer of `secret`."""
    group = ldap_usergroup_ensure(dn=group_dn("developers"), name="developers")
    member_set_role(project=private_project, role=Role.DEVELOPER, group=group.group, actor=None)
    return login("bob")


def test_sync_takes_away_a_group_the_user_left_in_ldap(bob, ldap_server, private_project):
    ldap_server.remove_member(group_dn("backend"), user_dn("bob"))

    sync()

    assert project_actions(fresh(bob), private_project) == frozenset()
    assert not bob.groups.exists()


def test_sync_keeps_the_groups_project_role(bob, ldap_server, private_project):
    ldap_server.remove_member(group_dn("backend"), user_dn("bob"))

    sync()

    assert ProjectMember.objects.filter(project=private_project, group__name="developers").exists()


def test_sync_gives_a_group_the_user_joined_in_ldap(ldap_server, private_project):
    dora = login("dora")
    group = ldap_usergroup_ensure(dn=group_dn("developers"), name="developers")
    member_set_role(project=private_project, role=Role.DEVELOPER, group=group.group, actor=None)
    ldap_server.add_member(group_dn("developers"), user_dn("dora"))

    sync()

    assert Action.PUSH in project_actions(fresh(dora), private_project)


def test_sync_revokes_system_admin_from_a_user_who_left_the_admin_group(ldap_server):
    ann = login("ann")
    ldap_server.remove_member(ADMIN_GROUP, user_dn("ann"))

    sync()

    assert (fresh(ann).is_superuser, fresh(ann).is_staff) == (False, False)


def test_sync_grants_system_admin_to_a_user_who_joined_the_admin_group(ldap_server):
    bob = login("bob")
    ldap_server.add_member(ADMIN_GROUP, group_dn("backend"))

    sync()

    assert fresh(bob).is_superuser


def test_sync_deactivates_a_user_deleted_from_ldap_and_keeps_its_rows(bob, ldap_server, private_project):
    ldap_server.delete(user_dn("bob"))

    output = sync()

    user = fresh(bob)
    assert not user.is_active
    assert user.groups.filter(name="developers").exists()
    assert "bob: deactivated (not found in LDAP)" in output
    assert AuditEvent.objects.filter(resource="bob", detail__active=False).exists()


def test_a_deactivated_users_remembered_credential_stops_working(
    bob, ldap_server, django_capture_on_commit_callbacks
):
    assert login("bob") is not None  # remembered for CREDENTIAL_CACHE_SECONDS
    ldap_server.delete(user_dn("bob"))

    with django_capture_on_commit_callbacks(execute=True):
        sync()

    assert login("bob") is None


def test_sync_deactivates_a_user_the_user_filter_no_longer_matches(ldap_server, settings):
    settings.LDAP_USER_FILTER = "(&(objectClass=inetOrgPerson)(!(employeeType=disabled)))"
    bob = login("bob")
    ldap_server.modify(
        f"dn: {user_dn('bob')}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n"
    )

    sync()

    assert not fresh(bob).is_active


def test_sync_leaves_database_users_alone(ldap_server, admin):
    output = sync()

    assert fresh(admin).is_active
    assert "admin" not in output


def test_sync_prints_each_user_and_a_summary(ldap_server):
    login("bob")
    login("cleo")
    ldap_server.remove_member(group_dn("backend"), user_dn("bob"))

    output = sync()

    assert output.splitlines() == [
        "bob: updated: -backend, -developers",
        "cleo: unchanged",
        "LDAP sync: 2 users checked, 1 updated, 1 unchanged, 0 deactivated, 0 skipped",
    ]


def test_dry_run_reports_and_changes_nothing(bob, ldap_server):
    ldap_server.delete(user_dn("bob"))

    output = sync("--dry-run")

    assert "bob: deactivated (not found in LDAP)" in output
    assert output.splitlines()[-1].startswith("LDAP sync (dry run): 1 users checked")
    assert fresh(bob).is_active


def test_sync_with_the_directory_down_fails_and_deactivates_nobody(bob, ldap_server, settings):
    settings.LDAP_URL = "ldap://127.0.0.1:1/"
    settings.LDAP_TIMEOUT = 1

    with pytest.raises(CommandError, match="cannot be reached"):
        sync()

    assert fresh(bob).is_active


def test_sync_with_a_wrong_bind_password_fails_and_deactivates_nobody(bob, ldap_server, settings):
    settings.LDAP_BIND_PASSWORD = "wrong"

    with pytest.raises(CommandError, match="refused the bind DN"):
        sync()

    assert fresh(bob).is_active


def test_sync_without_ldap_configured_says_so(db, settings):
    settings.LDAP_ENABLED = False

    with pytest.raises(CommandError, match="LDAP is not configured"):
        sync()


def test_sync_skips_inactive_users(bob, ldap_server):
    User.objects.filter(pk=bob.pk).update(is_active=False)
    ldap_server.remove_member(group_dn("backend"), user_dn("bob"))

    summary = ldap_sync_all()

    assert summary.checked == 0
    assert bob.groups.exists()


def test_the_task_syncs_and_returns_the_summary(bob, ldap_server):
    ldap_server.delete(user_dn("bob"))

    result = ldap_sync_task()

    assert result == {"checked": 1, "updated": 0, "unchanged": 0, "deactivated": 1, "skipped": 0}
    assert not fresh(bob).is_active


def test_sync_reports_progress_per_user(ldap_server):
    login("bob")
    UserFactory(username="db-user")
    seen = []

    ldap_sync_all(progress=lambda username, outcome: seen.append((username, outcome)))

    assert seen == [("bob", "unchanged")]
