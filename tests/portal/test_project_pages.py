"""The projects list and a project's pages (repositories, members, logs), per role."""

from __future__ import annotations

import pytest

from tests.factories import ProjectFactory
from tests.portal.conftest import text

pytestmark = pytest.mark.django_db


def _listed(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [project.name for project in response.context["page"]]


def test_anonymous_visitors_see_the_public_projects_and_a_login_link(as_user, content):
    response = as_user(None).get("/")

    assert _listed(response) == ["library"]
    assert 'href="/login/?next=/"' in text(response)


def test_a_member_sees_its_projects_and_the_public_ones_with_its_role(as_user, content):
    response = as_user("dev").get("/")

    assert _listed(response) == ["alpha", "library"]
    rows = {project.name: project.my_role for project in response.context["page"]}
    assert rows["alpha"].label == "Developer"
    assert rows["library"] is None


def test_an_outsider_sees_only_the_public_projects(as_user, content):
    response = as_user("carol").get("/")

    assert _listed(response) == ["library"]


def test_a_system_admin_sees_every_project(as_user, content):
    response = as_user("root").get("/")

    assert _listed(response) == ["alpha", "beta", "library"]
    assert "System Admin" in text(response)


def test_the_list_shows_visibility_and_repository_counts(as_user, content):
    response = as_user("pat").get("/")

    rows = {project.name: project for project in response.context["page"]}
    assert rows["alpha"].repo_count == 2
    assert rows["library"].repo_count == 1
    assert "Private" in text(response) and "Public" in text(response)


def test_the_search_box_filters_by_a_part_of_the_name(as_user, content):
    response = as_user("pat").get("/", {"q": "lib"})

    assert _listed(response) == ["library"]


def test_the_list_is_paginated(as_user, people):
    for number in range(25):
        ProjectFactory(name=f"public{number:02d}", is_public=True)

    first = as_user(None).get("/")
    second = as_user(None).get("/", {"page": 2})

    assert len(_listed(first)) == 20
    assert len(_listed(second)) == 6  # 25 + library
    assert 'rel="next"' in text(first)


def test_the_list_costs_a_fixed_number_of_queries(as_user, people, django_assert_max_num_queries):
    for number in range(30):
        ProjectFactory(name=f"public{number:02d}", is_public=True)
    client = as_user("dev")

    with django_assert_max_num_queries(10):
        client.get("/")


def test_pages_declare_a_viewport_for_narrow_screens(as_user, content):
    response = as_user(None).get("/")

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text(response)


def test_pages_have_a_skip_link_to_the_main_content(as_user, content):
    response = as_user(None).get("/")

    assert '<a class="skip-link" href="#main">' in text(response)
    assert '<main id="main"' in text(response)


# --- A project's pages --------------------------------------------------------------------------


@pytest.mark.parametrize("username", [None, "carol"])
def test_a_private_project_is_not_found_for_those_who_may_not_see_it(as_user, content, username):
    response = as_user(username).get("/projects/alpha/")

    assert response.status_code == 404


def test_a_project_nobody_may_see_is_not_found_even_for_a_member_elsewhere(as_user, content):
    response = as_user("pat").get("/projects/beta/")

    assert response.status_code == 404


def test_a_public_project_opens_for_anonymous_visitors(as_user, content):
    response = as_user(None).get("/projects/library/")

    assert response.status_code == 200
    assert [repository.name for repository in response.context["page"]] == ["library/nginx"]


def test_a_project_lists_its_repositories_with_counts(as_user, content):
    response = as_user("lim").get("/projects/alpha/")

    repositories = {repository.name: repository for repository in response.context["page"]}
    assert set(repositories) == {"alpha/app", "alpha/multi"}
    # As their pages list them: an SBOM, a signature, an index's children are shown with their artifact.
    assert repositories["alpha/app"].artifact_count == 1
    assert repositories["alpha/multi"].artifact_count == 1
    assert repositories["alpha/app"].update_time is not None


def test_the_repository_search_filters_by_name(as_user, content):
    response = as_user("gus").get("/projects/alpha/", {"q": "mul"})

    assert [repository.name for repository in response.context["page"]] == ["alpha/multi"]


@pytest.mark.parametrize(
    ("username", "tabs"),
    [
        ("pat", {"members", "logs"}),
        ("gus", {"members", "logs"}),
        ("lim", set()),
        (None, set()),
    ],
)
def test_the_tabs_offered_follow_the_role(as_user, content, username, tabs):
    project = "alpha" if username else "library"

    body = text(as_user(username).get(f"/projects/{project}/"))

    offered = {tab for tab in ("members", "logs") if f'href="/projects/{project}/{tab}/"' in body}
    assert offered == tabs


def test_guests_see_the_members_and_their_roles(as_user, content):
    response = as_user("gus").get("/projects/alpha/members/")

    members = {member.entity_name: member.get_role_display() for member in response.context["page"]}
    assert members == {
        "dev": "Developer",
        "gus": "Guest",
        "lim": "Limited Guest",
        "max": "Maintainer",
        "pat": "Project Admin",
    }


@pytest.mark.parametrize("page", ["members", "logs"])
def test_a_limited_guest_may_not_open_members_or_logs(as_user, content, page):
    response = as_user("lim").get(f"/projects/alpha/{page}/")

    assert response.status_code == 403


@pytest.mark.parametrize("page", ["members", "logs"])
def test_anonymous_visitors_may_not_open_a_public_projects_members_or_logs(as_user, content, page):
    response = as_user(None).get(f"/projects/library/{page}/")

    assert response.status_code == 403


@pytest.mark.parametrize("page", ["members", "logs"])
def test_members_and_logs_of_an_invisible_project_are_not_found(as_user, content, page):
    response = as_user("carol").get(f"/projects/alpha/{page}/")

    assert response.status_code == 404


def test_guests_read_the_projects_audit_trail_newest_first(as_user, content):
    response = as_user("gus").get("/projects/alpha/logs/")

    events = list(response.context["page"])
    assert events and all(event.project_id == response.context["project"].pk for event in events)
    assert events == sorted(events, key=lambda event: (event.created_at, event.pk), reverse=True)
    assert "alpha/app:1.0" in text(response)
