"""NUL characters in a path or a query are bad input: a 400, never a 500 (PostgreSQL cannot compare them)."""

from __future__ import annotations

import pytest

from tests.images.api.conftest import as_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2.0/projects/se%00cret/repositories",
        "/api/v2.0/projects/secret/repositories?q=name%3D~a%00b",
        "/api/v2.0/projects/secret/repositories/a%00b",
        "/api/v2.0/projects/secret/repositories/a%2500b",
        "/api/v2.0/labels/1%00",
        "/api/v2.0/projects/secret/repositories/app/artifacts?q=tags%3Da%00b",
        "/api/v2.0/search?q=a%00b",
        "/api/v2.0/labels?name=a%00b",
        "/api/v2.0/audit-logs?q=username%3Da%00b",
    ],
)
def test_a_nul_character_is_400_or_404(api_client, admin, secret_app, path):
    response = as_user(api_client, admin).get(path)

    assert response.status_code in (400, 404), response.content
