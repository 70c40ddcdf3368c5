"""Projects and their members in the admin site: scoped by role, written through the services."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from projects.models import UNLIMITED, Project, ProjectMember, Role, SystemSettings
from projects.permissions import Action, can
from tests.admin.pages import listed, offered_actions, page_messages, submitted, with_new_inline_row
from tests.factories import ProjectFactory, RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/projects/project/"


def change_url(project: Project) -> str:
    return f"/admin/projects/project/{project.pk}/change/"


# --- What each one sees and is offered ---------------------------------------------------------


def test_a_system_admin_lists_every_project(login_as, admin, alpha, beta, library):
    assert set(listed(login_as(admin).get(CHANGELIST))) == {alpha, beta, library}


def test_a_project_admin_lists_its_project_and_no_other(login_as, alpha_admin, alpha, beta, library):
    assert listed(login_as(alpha_admin).get(CHANGELIST)) == [alpha]


def test_a_developer_lists_the_project_it_works_in(login_as, alpha_developer, alpha, beta):
    assert listed(login_as(alpha_developer).get(CHANGELIST)) == [alpha]


def test_the_list_counts_members_without_a_query_per_row(login_as, admin, alpha_admin, alpha_developer, beta):
    projects = {p.name: p for p in listed(login_as(admin).get(CHANGELIST))}

    assert projects["alpha"].member_total == 2
    assert projects["beta"].member_total == 0


def test_a_project_admin_is_offered_visibility_actions_and_deletion(login_as, alpha_admin):
    actions = offered_actions(login_as(alpha_admin).get(CHANGELIST))

    assert actions == {"make_public", "make_private", "delete_selected"}


@pytest.mark.parametrize("fixture", ["alpha_maintainer", "alpha_developer", "alpha_guest"])
def test_members_below_project_admin_are_offered_no_action(request, login_as, fixture):
    user = request.getfixturevalue(fixture)

    assert offered_actions(login_as(user).get(CHANGELIST)) == set()


def test_another_projects_page_is_a_404(login_as, alpha_admin, beta):
    client = login_as(alpha_admin)

    assert client.get(change_url(beta)).status_code == 404
    assert client.post(change_url(beta), {"is_public": "on"}).status_code == 404
    assert client.get(f"/admin/projects/project/{beta.pk}/delete/").status_code == 404
    assert client.get(f"/admin/projects/project/{beta.pk}/history/").status_code == 404


def test_a_developer_sees_the_project_read_only_and_cannot_post(login_as, alpha_developer, alpha):
    client = login_as(alpha_developer)

    page = client.get(change_url(alpha))
    refused = client.post(change_url(alpha), {"is_public": "on"})

    assert page.status_code == 200
    assert page.context["title"] == "View project"
    assert refused.status_code == 403
    assert not Project.objects.get(pk=alpha.pk).is_public


def test_a_developer_sees_the_members_but_cannot_change_them(login_as, alpha_developer, alpha_admin, alpha):
    page = login_as(alpha_developer).get(change_url(alpha))

    (members,) = page.context["inline_admin_formsets"]
    assert {form.instance.user for form in members.formset.forms} == {alpha_developer, alpha_admin}
    assert not members.has_change_permission
    assert not members.has_add_permission


def test_a_limited_guest_sees_the_project_but_not_its_members(login_as, alpha):
    from tests.admin.conftest import _member

    limited = _member("lim", alpha, Role.LIMITED_GUEST)

    page = login_as(limited).get(change_url(alpha))

    assert page.status_code == 200
    assert page.context["inline_admin_formsets"] == []


# --- Creating ----------------------------------------------------------------------------------


def test_creating_a_project_makes_its_creator_project_admin_and_is_audited(login_as, db):
    creator = UserFactory(username="cara", is_staff=True)

    response = login_as(creator).post(
        "/admin/projects/project/add/",
        {"name": "gamma", "is_public": "on", "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 302
    gamma = Project.objects.get(name="gamma")
    assert gamma.is_public and gamma.owner == creator and gamma.storage_limit == UNLIMITED
    assert ProjectMember.objects.get(project=gamma).role == Role.PROJECT_ADMIN
    assert can(creator, Action.ADMIN, gamma)
    event = AuditEvent.objects.get(resource_type="project", operation="create")
    assert (event.actor, event.resource, event.address) == ("cara", "gamma", "192.0.2.7")


def test_creating_a_project_with_members_gives_them_their_roles(login_as, admin):
    bob = UserFactory(username="bob")
    data = with_new_inline_row(
        {"name": "gamma", "storage_limit": "-1", "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"},
        "members",
        user=bob.pk,
        role=Role.DEVELOPER,
    )

    response = login_as(admin).post("/admin/projects/project/add/", data)

    assert response.status_code == 302
    gamma = Project.objects.get(name="gamma")
    assert can(bob, Action.PUSH, gamma) and not can(bob, Action.DELETE, gamma)


def test_a_system_admin_sets_the_quota_when_creating(login_as, admin):
    login_as(admin).post(
        "/admin/projects/project/add/",
        {
            "name": "gamma",
            "storage_limit": "1048576",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )

    assert Project.objects.get(name="gamma").storage_limit == 1048576


def test_an_invalid_project_name_is_a_form_error(login_as, admin):
    response = login_as(admin).post(
        "/admin/projects/project/add/",
        {
            "name": "Not Valid",
            "storage_limit": "-1",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "Use lowercase letters" in response.text
    assert not Project.objects.filter(name__iexact="not valid").exists()


def test_a_taken_project_name_is_a_form_error_whatever_its_case(login_as, admin, alpha):
    response = login_as(admin).post(
        "/admin/projects/project/add/",
        {"name": "alpha", "storage_limit": "-1", "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 200
    assert Project.objects.filter(name="alpha").count() == 1


def test_nobody_but_system_admins_creates_projects_when_the_settings_say_so(login_as, alpha_admin):
    SystemSettings.objects.create(
        pk=1, project_creation_restriction=SystemSettings.ProjectCreation.ADMIN_ONLY
    )

    response = login_as(alpha_admin).get("/admin/projects/project/add/")

    assert response.status_code == 403


# --- Changing ----------------------------------------------------------------------------------


def test_a_project_admin_makes_its_project_public_and_it_is_audited(login_as, alpha_admin, alpha):
    client = login_as(alpha_admin)
    data = submitted(client.get(change_url(alpha)), is_public=True)

    response = client.post(change_url(alpha), data)

    assert response.status_code == 302
    assert Project.objects.get(pk=alpha.pk).is_public
    event = AuditEvent.objects.get(resource_type="project", operation="update")
    assert (event.actor, event.detail, event.address) == ("pat", {"public": True}, "192.0.2.7")


def test_a_project_admin_cannot_change_the_quota(login_as, alpha_admin, alpha):
    client = login_as(alpha_admin)
    page = client.get(change_url(alpha))
    data = submitted(page, storage_limit="1024")

    client.post(change_url(alpha), data)

    assert "storage_limit" not in page.context["adminform"].form.fields
    assert Project.objects.get(pk=alpha.pk).storage_limit == UNLIMITED


def test_a_system_admin_changes_the_quota(login_as, admin, alpha):
    client = login_as(admin)
    data = submitted(client.get(change_url(alpha)), storage_limit="1024")

    client.post(change_url(alpha), data)

    assert Project.objects.get(pk=alpha.pk).storage_limit == 1024
    assert AuditEvent.objects.get(resource_type="project", operation="update").detail == {
        "storage_limit": 1024
    }


def test_the_project_page_shows_the_storage_used(login_as, admin, alpha):
    response = login_as(admin).get(change_url(alpha))

    assert "Storage used" in response.text


# --- Members -----------------------------------------------------------------------------------


def test_a_project_admin_adds_a_member_through_the_inline(login_as, alpha_admin, alpha):
    bob = UserFactory(username="bob")
    client = login_as(alpha_admin)
    data = with_new_inline_row(
        submitted(client.get(change_url(alpha))), "members", user=bob.pk, role=Role.GUEST
    )

    response = client.post(change_url(alpha), data)

    assert response.status_code == 302
    assert ProjectMember.objects.get(project=alpha, user=bob).role == Role.GUEST
    assert can(bob, Action.READ_LOGS, alpha) and not can(bob, Action.PUSH, alpha)
    event = AuditEvent.objects.get(resource_type="member", resource="bob")
    assert (event.operation, event.actor, event.address) == ("create", "pat", "192.0.2.7")


def test_a_project_admin_adds_a_group_as_member(login_as, alpha_admin, alpha):
    from django.contrib.auth.models import Group

    ops = Group.objects.create(name="ops")
    client = login_as(alpha_admin)
    data = with_new_inline_row(
        submitted(client.get(change_url(alpha))), "members", group=ops.pk, role=Role.MAINTAINER
    )

    client.post(change_url(alpha), data)

    assert ProjectMember.objects.get(project=alpha, group=ops).role == Role.MAINTAINER


def test_a_project_admin_changes_a_members_role_through_the_service(
    login_as, alpha_admin, alpha_developer, alpha
):
    client = login_as(alpha_admin)
    page = client.get(change_url(alpha))
    (members,) = page.context["inline_admin_formsets"]
    index = next(i for i, f in enumerate(members.formset.forms) if f.instance.user == alpha_developer)

    client.post(change_url(alpha), submitted(page, **{f"members-{index}-role": Role.MAINTAINER}))

    assert ProjectMember.objects.get(project=alpha, user=alpha_developer).role == Role.MAINTAINER
    assert can(alpha_developer, Action.DELETE, alpha)
    assert AuditEvent.objects.filter(resource_type="member", operation="update", resource="dev").exists()


def test_a_project_admin_removes_a_member_and_its_permissions(login_as, alpha_admin, alpha_developer, alpha):
    client = login_as(alpha_admin)
    page = client.get(change_url(alpha))
    (members,) = page.context["inline_admin_formsets"]
    index = next(i for i, f in enumerate(members.formset.forms) if f.instance.user == alpha_developer)

    client.post(change_url(alpha), submitted(page, **{f"members-{index}-DELETE": True}))

    assert not ProjectMember.objects.filter(project=alpha, user=alpha_developer).exists()
    assert not can(alpha_developer, Action.PULL, alpha)
    assert AuditEvent.objects.filter(resource_type="member", operation="delete", resource="dev").exists()


def test_an_existing_member_cannot_be_swapped_for_another_user(login_as, alpha_admin, alpha_developer, alpha):
    bob = UserFactory(username="bob")
    client = login_as(alpha_admin)
    page = client.get(change_url(alpha))
    (members,) = page.context["inline_admin_formsets"]
    index = next(i for i, f in enumerate(members.formset.forms) if f.instance.user == alpha_developer)

    client.post(change_url(alpha), submitted(page, **{f"members-{index}-user": bob.pk}))

    assert not ProjectMember.objects.filter(project=alpha, user=bob).exists()
    assert ProjectMember.objects.filter(project=alpha, user=alpha_developer).exists()


def test_a_member_row_with_neither_user_nor_group_is_a_form_error(login_as, alpha_admin, alpha):
    client = login_as(alpha_admin)
    data = with_new_inline_row(submitted(client.get(change_url(alpha))), "members", role=Role.GUEST)

    response = client.post(change_url(alpha), data)

    assert response.status_code == 200
    assert "Choose a user or a group." in response.text


def test_the_same_user_twice_is_a_form_error(login_as, alpha_admin, alpha):
    bob = UserFactory(username="bob")
    client = login_as(alpha_admin)
    data = with_new_inline_row(
        submitted(client.get(change_url(alpha))), "members", user=bob.pk, role=Role.GUEST
    )
    data = with_new_inline_row(data, "members", user=bob.pk, role=Role.DEVELOPER)

    response = client.post(change_url(alpha), data)

    assert response.status_code == 200
    assert "bob is listed twice." in response.text
    assert not ProjectMember.objects.filter(user=bob).exists()


# --- Actions -----------------------------------------------------------------------------------


def test_the_mark_private_action_goes_through_the_service(login_as, admin):
    public = [ProjectFactory(name="one", is_public=True), ProjectFactory(name="two", is_public=True)]

    response = login_as(admin).post(
        CHANGELIST, {"action": "make_private", "_selected_action": [p.pk for p in public]}, follow=True
    )

    assert not Project.objects.filter(is_public=True).exists()
    assert "2 projects are now private." in page_messages(response)
    assert AuditEvent.objects.filter(resource_type="project", operation="update").count() == 2


def test_the_mark_public_action_cannot_reach_another_project(login_as, alpha_admin, alpha, beta):
    response = login_as(alpha_admin).post(
        CHANGELIST, {"action": "make_public", "_selected_action": [alpha.pk, beta.pk]}, follow=True
    )

    assert Project.objects.get(pk=alpha.pk).is_public
    assert not Project.objects.get(pk=beta.pk).is_public  # not in the user's list: never selected
    assert "1 project is now public." in page_messages(response)


def test_a_developer_cannot_run_the_mark_public_action(login_as, alpha_developer, alpha):
    response = login_as(alpha_developer).post(
        CHANGELIST, {"action": "make_public", "_selected_action": [alpha.pk]}, follow=True
    )

    assert response.status_code == 200  # no action to run: the list again
    assert not Project.objects.get(pk=alpha.pk).is_public
    assert not AuditEvent.objects.filter(resource_type="project", operation="update").exists()


# --- Deleting ----------------------------------------------------------------------------------


def test_a_project_with_repositories_is_not_deleted_and_the_admin_says_why(login_as, admin, alpha):
    RepositoryFactory(project=alpha, name="alpha/app")

    response = login_as(admin).post(
        f"/admin/projects/project/{alpha.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert Project.objects.filter(pk=alpha.pk).exists()
    assert "The project alpha still holds repositories: delete them first." in page_messages(response)
    assert not AuditEvent.objects.filter(resource_type="project", operation="delete").exists()


def test_an_empty_project_is_deleted_through_the_service(login_as, alpha_admin, alpha):
    response = login_as(alpha_admin).post(f"/admin/projects/project/{alpha.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Project.objects.filter(pk=alpha.pk).exists()
    event = AuditEvent.objects.get(resource_type="project", operation="delete")
    assert (event.actor, event.resource) == ("pat", "alpha")


def test_bulk_deletion_deletes_what_it_may_and_reports_the_rest(login_as, admin, alpha, beta):
    RepositoryFactory(project=beta, name="beta/app")

    response = login_as(admin).post(
        CHANGELIST,
        {"action": "delete_selected", "post": "yes", "_selected_action": [alpha.pk, beta.pk]},
        follow=True,
    )

    assert list(Project.objects.values_list("name", flat=True)) == ["beta"]
    shown = page_messages(response)
    assert "Successfully deleted 1 project." in shown
    assert any("beta still holds repositories" in message for message in shown)


def test_bulk_deletion_asks_for_confirmation_first(login_as, admin, alpha):
    response = login_as(admin).post(CHANGELIST, {"action": "delete_selected", "_selected_action": [alpha.pk]})

    assert response.status_code == 200
    assert "Are you sure you want to delete the selected project?" in response.text
    assert Project.objects.filter(pk=alpha.pk).exists()


def test_a_developer_cannot_delete_the_project(login_as, alpha_developer, alpha):
    response = login_as(alpha_developer).post(f"/admin/projects/project/{alpha.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Project.objects.filter(pk=alpha.pk).exists()


def test_a_project_admins_project_page_links_to_no_user_page(login_as, alpha_admin, alpha):
    Project.objects.filter(pk=alpha.pk).update(owner=alpha_admin)

    page = login_as(alpha_admin).get(change_url(alpha))

    assert "/admin/projects/user/" not in page.text
