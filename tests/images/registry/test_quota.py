"""Per-project storage quota, enforced when a blob enters the project."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from images.models import Blob, BlobUpload
from tests.factories import ProjectFactory
from tests.support.oci import sha256
from tests.support.registry import errors, push_blob

pytestmark = pytest.mark.django_db

OCTET = "application/octet-stream"


@pytest.fixture
def small(db):
    return ProjectFactory(name="small", storage_limit=10_000)


def test_blobs_within_the_quota_are_accepted(admin_client, small):
    push_blob(admin_client, "small/app", os.urandom(6_000))

    response = admin_client.post(
        f"/v2/small/app/blobs/uploads/?digest={sha256(data := os.urandom(3_000))}",
        data=data,
        content_type=OCTET,
    )

    assert response.status_code == 201


def test_a_blob_that_would_exceed_the_quota_is_denied_and_leaves_nothing(admin_client, small, blob_storage):
    push_blob(admin_client, "small/app", os.urandom(6_000))
    data = os.urandom(5_000)
    location = admin_client.post("/v2/small/app/blobs/uploads/")["Location"]
    admin_client.patch(location, data=data, content_type=OCTET)

    response = admin_client.put(f"{location}?digest={sha256(data)}")

    assert response.status_code == 403
    assert errors(response) == ["DENIED"]
    assert "quota" in response.json()["errors"][0]["message"]
    assert not Blob.objects.filter(digest=sha256(data)).exists()
    assert not BlobUpload.objects.exists()
    assert len([p for p in blob_storage.rglob("*") if p.is_file()]) == 1


def test_a_blob_already_in_the_project_is_not_counted_twice(admin_client, small):
    data = os.urandom(8_000)
    push_blob(admin_client, "small/one", data)

    response = admin_client.post(
        f"/v2/small/two/blobs/uploads/?digest={sha256(data)}", data=data, content_type=OCTET
    )

    assert response.status_code == 201


def test_a_mount_counts_against_the_quota(admin_client, small, library):
    data = os.urandom(12_000)
    digest = push_blob(admin_client, "library/big", data)

    response = admin_client.post(f"/v2/small/app/blobs/uploads/?mount={digest}&from=library/big")

    assert response.status_code == 403
    assert errors(response) == ["DENIED"]


def test_unlimited_projects_cost_no_usage_query(admin_client, library):
    push_blob(admin_client, "library/app", os.urandom(100))

    with CaptureQueriesContext(connection) as queries:
        push_blob(admin_client, "library/app", os.urandom(100))

    assert not [q for q in queries.captured_queries if "SUM(" in q["sql"]]
