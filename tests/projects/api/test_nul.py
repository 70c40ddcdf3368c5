"""A NUL character anywhere in an API request is bad input, not a 500 (PostgreSQL cannot hold one)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2.0/projects?name=%00",
        "/api/v2.0/projects?owner=a%00",
        "/api/v2.0/projects?q=name%3D~%00",
        "/api/v2.0/projects/a%00b",
        "/api/v2.0/projects/a%00b/summary",
        "/api/v2.0/projects/secret/members?entityname=%00",
        "/api/v2.0/robots?q=Level=project,ProjectID=1,name=~%00",
    ],
)
def test_a_nul_in_the_path_or_query_is_400(api_as, admin, private_project, url):
    response = api_as(admin).get(url)

    assert response.status_code == 400


def test_a_nul_in_a_head_query_is_400(api_as, admin):
    response = api_as(admin).head("/api/v2.0/projects?project_name=%00")

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v2.0/projects", {"project_name": "a\x00"}),
        ("/api/v2.0/projects/secret/members", {"role_id": 1, "member_user": {"username": "a\x00"}}),
        ("/api/v2.0/projects/secret/members", {"role_id": 1, "member_group": {"ldap_group_dn": "cn=\x00"}}),
        (
            "/api/v2.0/robots",
            {
                "name": "r",
                "level": "project",
                "permissions": [
                    {
                        "kind": "project",
                        "namespace": "se\x00",
                        "access": [{"resource": "repository", "action": "pull"}],
                    }
                ],
            },
        ),
    ],
)
def test_a_nul_in_a_json_body_is_400(api_as, admin, private_project, url, body):
    response = api_as(admin).post(url, body, format="json")

    assert response.status_code == 400
