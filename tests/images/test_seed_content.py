"""manage.py seed_content: the benchmark's data set, straight into the database, and reused."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from images.models import Artifact, ArtifactLabel, Repository, Tag

pytestmark = pytest.mark.django_db

OPTIONS = ["--artifacts", "60", "--tags", "300", "--repositories", "11", "--hot-tags", "40", "--audit", "70"]


def _seed(*extra: str) -> str:
    out = io.StringIO()
    call_command("seed_content", *OPTIONS, *extra, stdout=out)
    return out.getvalue()


def test_seeds_the_requested_rows():
    _seed()

    assert Repository.objects.filter(project__name="bench").count() == 11
    assert Artifact.objects.filter(repository__project__name="bench").count() == 60
    assert Artifact.objects.filter(repository__name="bench/big").count() == 50
    assert Tag.objects.count() == 300
    assert AuditEvent.objects.filter(actor="seed").count() == 70
    assert ArtifactLabel.objects.count() == 5


def test_the_newest_artifact_carries_the_hot_tags():
    _seed()

    newest = Artifact.objects.filter(repository__name="bench/big").order_by("-pushed_at").first()
    assert newest.tags.count() >= 40


def test_digests_are_those_of_the_manifests_and_the_registry_serves_them(admin_client):
    _seed()
    artifact = Artifact.objects.filter(repository__name="bench/big").first()

    response = admin_client.get(f"/v2/bench/big/manifests/{artifact.digest}")

    assert artifact.digest == "sha256:" + hashlib.sha256(bytes(artifact.manifest)).hexdigest()
    assert response.status_code == 200


def test_seeding_again_reuses_what_is_there():
    _seed()

    output = _seed()

    assert "already" in output
    assert Artifact.objects.count() == 60 and Tag.objects.count() == 300
    assert AuditEvent.objects.filter(actor="seed").count() == 70


def test_the_api_lists_the_seeded_artifacts_newest_first(api_client, admin):
    _seed()
    api_client.force_authenticate(admin)

    response = api_client.get("/api/v2.0/projects/bench/repositories/big/artifacts", {"page_size": 100})

    assert response["X-Total-Count"] == "50"
    times = [artifact["push_time"] for artifact in response.json()]
    assert times == sorted(times, reverse=True)
