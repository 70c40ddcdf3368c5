"""factory_boy factories for test data. BlobFactory writes real bytes to the blob storage."""

from __future__ import annotations

import hashlib
import os
import uuid

import factory
from django.contrib.auth import get_user_model

from images import blobstore
from images.models import Artifact, Blob, Repository, RepositoryBlob, Tag
from projects.models import Project

DEFAULT_PASSWORD = "Passw0rd!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"project{n}")
    is_public = False


class RepositoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repository
        django_get_or_create = ("name",)

    project = factory.SubFactory(ProjectFactory)
    name = factory.LazyAttributeSequence(lambda r, n: f"{r.project.name}/repo{n}")


def store_blob(data: bytes) -> Blob:
    """Write `data` to the blob storage and record it as a Blob (no repository link)."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    existing = Blob.objects.filter(digest=digest).first()
    if existing:
        return existing
    key = blobstore.storage_key_for_upload(uuid.uuid4().hex)
    state = blobstore.upload_start(key=key)

    class _Reader:
        def __init__(self, payload: bytes) -> None:
            self.payload, self.pos = payload, 0

        def read(self, size: int) -> bytes:
            chunk = self.payload[self.pos : self.pos + size]
            self.pos += len(chunk)
            return chunk

    size, state = blobstore.upload_write(
        key=key, backend_state=state, offset=0, body=_Reader(data), hasher=None, length=len(data)
    )
    blobstore.upload_commit(key=key, backend_state=state)
    return Blob.objects.create(digest=digest, size=size, storage_key=key)


class BlobFactory(factory.django.DjangoModelFactory):
    """A blob with real bytes in storage, linked into `repository` when one is given."""

    class Meta:
        model = Blob

    @classmethod
    def _create(
        cls, model_class, *args, data: bytes | None = None, repository: Repository | None = None, **kwargs
    ):
        blob = store_blob(data if data is not None else os.urandom(1024))
        if repository is not None:
            RepositoryBlob.objects.get_or_create(repository=repository, blob=blob)
        return blob


class ArtifactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artifact

    repository = factory.SubFactory(RepositoryFactory)
    manifest = factory.LazyFunction(
        lambda: (
            b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",'
            b'"manifests":[],"annotations":{"n":"' + uuid.uuid4().hex.encode() + b'"}}'
        )
    )
    digest = factory.LazyAttribute(lambda a: "sha256:" + hashlib.sha256(a.manifest).hexdigest())
    media_type = "application/vnd.oci.image.index.v1+json"
    size = factory.LazyAttribute(lambda a: len(a.manifest))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    artifact = factory.SubFactory(ArtifactFactory)
    repository = factory.LazyAttribute(lambda t: t.artifact.repository)
    name = factory.Sequence(lambda n: f"v{n}")
