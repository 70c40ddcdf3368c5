"""Fixtures of the REST API tests: API clients acting as a given user, robot or nobody."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import basic_auth


@pytest.fixture
def api_as(db):
    """`api_as(user)`: a new API client with that user's (or robot's, with `password`) Basic credentials;
    `api_as(None)`: an anonymous one."""

    def make(principal: object = None, password: str = "Passw0rd!") -> APIClient:
        client = APIClient()
        if principal is not None:
            client.credentials(HTTP_AUTHORIZATION=basic_auth(principal.get_username(), password))
        return client

    return make


def error_code(response) -> str:
    return response.json()["errors"][0]["code"]
