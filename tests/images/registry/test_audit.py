"""What the registry writes to the audit trail: pushes, pulls and deletes, with actor and address."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from images.models import Artifact, Repository
from tests.support.oci import make_image
from tests.support.registry import push_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(admin_client, library):
    image = make_image(layer_count=1)
    digest = push_image(admin_client, "library/app", "v1", image)
    return digest


def _events(operation: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(operation=operation).order_by("id"))


def test_a_push_by_tag_records_one_create_with_actor_project_and_address(pushed, library):
    (event,) = _events("create")

    assert (event.actor, event.actor_kind, event.resource_type) == ("admin", "user", "artifact")
    assert event.resource == "library/app:v1"
    assert (event.project_id, event.project_name) == (library.pk, "library")
    assert event.address == "127.0.0.1"
    assert event.detail["digest"] == pushed


def test_a_manifest_get_records_a_pull_and_counts_it(admin_client, pushed):
    admin_client.get("/v2/library/app/manifests/v1")
    admin_client.get(f"/v2/library/app/manifests/{pushed}")

    assert [e.resource for e in _events("pull")] == ["library/app:v1", f"library/app@{pushed}"]
    artifact = Artifact.objects.get(digest=pushed)
    assert artifact.pull_count == 2
    assert artifact.pulled_at is not None
    assert Repository.objects.get(name="library/app").pull_count == 2


def test_an_anonymous_pull_is_recorded_as_anonymous(anon_client, pushed):
    anon_client.get("/v2/library/app/manifests/v1")

    (event,) = _events("pull")
    assert (event.actor, event.actor_kind) == ("anonymous", "anonymous")


def test_a_manifest_head_is_not_a_pull(admin_client, pushed):
    admin_client.head("/v2/library/app/manifests/v1")

    assert _events("pull") == []
    assert Artifact.objects.get(digest=pushed).pull_count == 0


def test_pull_records_can_be_switched_off_but_pulls_are_still_counted(admin_client, pushed, settings):
    settings.AUDIT_PULL = False

    admin_client.get("/v2/library/app/manifests/v1")

    assert _events("pull") == []
    assert Artifact.objects.get(digest=pushed).pull_count == 1


def test_a_failed_pull_records_nothing(admin_client, pushed):
    admin_client.get("/v2/library/app/manifests/nope")

    assert _events("pull") == []


def test_deleting_a_tag_and_a_manifest_records_each(admin_client, pushed, library):
    admin_client.delete("/v2/library/app/manifests/v1")
    admin_client.delete(f"/v2/library/app/manifests/{pushed}")

    assert [(e.resource_type, e.resource, e.project_id) for e in _events("delete")] == [
        ("tag", "library/app:v1", library.pk),
        ("artifact", f"library/app@{pushed}", library.pk),
    ]


def test_a_refused_push_records_no_create(admin_client, library):
    admin_client.put(
        "/v2/library/app/manifests/v1",
        data=b"{}",
        content_type="application/vnd.oci.image.manifest.v1+json",
    )

    assert _events("create") == []
