"""A NUL character in a parameter is bad input (PostgreSQL cannot store or compare one)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.oci import OCI_MANIFEST, make_image, sha256
from tests.support.registry import errors, push_image, push_manifest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v2/library/app/tags/list?last=%00"),
        ("get", "/v2/_catalog?last=a%00b"),
        ("get", "/v2/library/app/referrers/sha256:" + "a" * 64 + "?artifactType=%00"),
        ("post", "/v2/library/app/blobs/uploads/?mount=sha256:" + "a" * 64 + "&from=library/x%00"),
    ],
)
def test_nul_characters_in_parameters_are_bad_requests(admin_client, library, method, path):
    push_image(admin_client, "library/app", "v1", make_image(layer_count=1))

    response = getattr(admin_client, method)(path)

    assert response.status_code == 400
    assert errors(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    "fields",
    [
        {"annotations": {"note": "a\u0000b"}},
        {"artifactType": "application/x\u0000"},
        {"annotations": {"\u0000": "v"}},
    ],
)
def test_nul_characters_in_a_manifest_are_manifest_invalid(admin_client, library, fields):
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2},
            "layers": [],
            **fields,
        }
    ).encode()

    response = push_manifest(admin_client, "library/app", "v1", manifest, OCI_MANIFEST)

    assert response.status_code == 400
    assert errors(response) == ["MANIFEST_INVALID"]


def test_nul_characters_in_credentials_are_just_wrong_credentials(client, library):
    authorization = "Basic " + base64.b64encode(b"ad\x00min:pass\x00word").decode()

    token = client.get("/service/token?scope=repository:library/app:pull", HTTP_AUTHORIZATION=authorization)
    registry = client.get("/v2/", HTTP_AUTHORIZATION=authorization)

    assert token.status_code == 401
    assert registry.status_code == 401
