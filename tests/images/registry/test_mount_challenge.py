"""A mount's challenge asks for the source's pull scope too, so that a token client's mount succeeds.

Clients that take their token scope from the challenge (reggie, which the OCI conformance suite
uses) otherwise get a token for the target only, and every mount falls back to an upload session.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.conftest import RegistryClient, basic_auth

pytestmark = pytest.mark.django_db

DATA = b"mount me" * 100
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()
MOUNT_URL = f"/v2/library/other/blobs/uploads/?mount={DIGEST}&from=library/source"


@pytest.fixture
def source_blob(admin_client, library):
    url = f"/v2/library/source/blobs/uploads/?digest={DIGEST}"
    response = admin_client.post(url, data=DATA, content_type="application/octet-stream")
    assert response.status_code == 201, response.content


def _scope_of(challenge: str) -> str:
    match = re.search(r'scope="([^"]*)"', challenge)
    assert match, challenge
    return match.group(1)


def _token(client, scope: str) -> str:
    query = {"service": "harbor-registry", "scope": scope}
    return client.get("/service/token", query, HTTP_AUTHORIZATION=basic_auth("admin")).json()["token"]


def test_anonymous_mount_challenge_asks_for_the_source_pull_scope(anon_client, source_blob):
    response = anon_client.post(MOUNT_URL)

    assert response.status_code == 401
    assert _scope_of(response["WWW-Authenticate"]).split() == [
        "repository:library/other:push",
        "repository:library/source:pull",
    ]


@pytest.mark.parametrize(
    "query",
    [
        f"mount={DIGEST}",  # no source
        f"mount={DIGEST}&from=library/other",  # the target itself
        f"mount={DIGEST}&from=Bad%22Name",  # not a repository name: never echoed in a header
        "from=library/source",  # not a mount
    ],
)
def test_other_upload_challenges_ask_for_the_target_only(anon_client, library, query):
    response = anon_client.post(f"/v2/library/other/blobs/uploads/?{query}")

    assert response.status_code == 401
    assert _scope_of(response["WWW-Authenticate"]) == "repository:library/other:push"


def test_token_from_the_challenge_scope_mounts_the_blob(anon_client, admin, source_blob):
    scope = _scope_of(anon_client.post(MOUNT_URL)["WWW-Authenticate"])
    token = _token(anon_client, scope)
    client = RegistryClient(f"Bearer {token}")

    response = client.post(MOUNT_URL)

    assert response.status_code == 201, response.content
    assert response["Location"].endswith(f"/v2/library/other/blobs/{DIGEST}")
    assert RegistryClient(basic_auth("admin")).head(f"/v2/library/other/blobs/{DIGEST}").status_code == 200


def test_a_token_without_the_source_scope_still_gets_an_upload_session(anon_client, admin, source_blob):
    token = _token(anon_client, "repository:library/other:push")

    response = RegistryClient(f"Bearer {token}").post(MOUNT_URL)

    assert response.status_code == 202
    assert "/v2/library/other/blobs/uploads/" in response["Location"]
