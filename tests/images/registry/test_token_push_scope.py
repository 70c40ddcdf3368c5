"""A token requested for push carries pull too: a push also reads, and clients ask for exactly the
challenged scope (an upload's challenge names push alone); oras-py never asks again."""

from __future__ import annotations

import pytest

from images.registry.tokens import token_verify
from tests.conftest import basic_auth

pytestmark = pytest.mark.django_db


def _granted(client, scope: str, **headers: str) -> frozenset[str]:
    response = client.get("/service/token", {"service": "harbor-registry", "scope": scope}, **headers)
    assert response.status_code == 200, response.content
    name = scope.split(":")[1]
    return token_verify(response.json()["token"]).access.get(("repository", name), frozenset())


def test_a_token_requested_for_push_also_grants_pull(client, admin, library):
    granted = _granted(client, "repository:library/app:push", HTTP_AUTHORIZATION=basic_auth("admin"))

    assert granted == {"pull", "push"}


def test_a_push_request_grants_no_pull_the_caller_may_not_have(client, private_project):
    granted = _granted(client, "repository:secret/app:push")

    assert granted == frozenset()


def test_a_pull_request_still_grants_pull_only(client, admin, library):
    granted = _granted(client, "repository:library/app:pull", HTTP_AUTHORIZATION=basic_auth("admin"))

    assert granted == {"pull"}
