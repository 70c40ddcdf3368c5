"""Writes need the `pull` and `push` scope actions together, as in Docker's distribution.

Clients ask the token service for exactly the scope of the challenge. A push also reads (HEAD
of blobs, GET of manifests), so a challenge for `push` alone gives a token that fails the next
read: oras-py, which does not ask again on such a 401, then aborts the push.
"""

from __future__ import annotations

import pytest

from tests.conftest import RegistryClient, bearer

pytestmark = pytest.mark.django_db

DIGEST = "sha256:" + "a" * 64


def test_upload_start_challenge_asks_for_pull_and_push(anon_client, library):
    response = anon_client.post("/v2/library/app/blobs/uploads/")

    assert response.status_code == 401
    assert 'scope="repository:library/app:pull,push"' in response["WWW-Authenticate"]


def test_manifest_put_challenge_asks_for_pull_and_push(anon_client, library):
    response = anon_client.put("/v2/library/app/manifests/v1", data=b"{}", content_type="application/json")

    assert response.status_code == 401
    assert 'scope="repository:library/app:pull,push"' in response["WWW-Authenticate"]


def test_upload_start_refuses_a_token_without_pull(admin, library):
    access = [{"type": "repository", "name": "library/app", "actions": ["push"]}]
    client = RegistryClient(bearer("admin", access))

    response = client.post("/v2/library/app/blobs/uploads/")

    assert response.status_code == 401
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_upload_start_accepts_a_token_with_pull_and_push(admin, library):
    access = [{"type": "repository", "name": "library/app", "actions": ["pull", "push"]}]
    client = RegistryClient(bearer("admin", access))

    response = client.post("/v2/library/app/blobs/uploads/")

    assert response.status_code == 202
