"""Artifacts: Harbor's shape, q/sort/with_* on the list, read by tag or digest, delete, copy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from images.models import Artifact, ArtifactLabel, Blob, Label, Repository, RepositoryBlob, Tag
from images.selectors import project_storage_usage
from projects.models import Project, Role
from projects.services.members import member_set_role
from tests.images.api.conftest import COSIGN, artifacts_url, as_user, push_index, push_referrer
from tests.support.oci import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST, make_image, make_index
from tests.support.registry import push_image, push_manifest

pytestmark = pytest.mark.django_db

APP = artifacts_url("secret", "app")


def _tags(artifact: dict) -> list[str]:
    return sorted(tag["name"] for tag in artifact["tags"])


def test_list_gives_harbors_artifact_shape(api_client, admin, secret_app):
    response = as_user(api_client, admin).get(APP)

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    newest = response.json()[0]
    assert set(newest) == {
        "id",
        "type",
        "media_type",
        "manifest_media_type",
        "artifact_type",
        "project_id",
        "repository_id",
        "repository_name",
        "digest",
        "size",
        "icon",
        "push_time",
        "pull_time",
        "extra_attrs",
        "annotations",
        "references",
        "tags",
        "addition_links",
        "labels",
        "accessories",
    }
    image = secret_app["v2"]
    assert newest["digest"] == image.digest
    assert newest["type"] == "IMAGE"
    assert newest["media_type"] == "application/vnd.oci.image.config.v1+json"
    assert newest["manifest_media_type"] == OCI_MANIFEST
    assert newest["repository_name"] == "secret/app"
    assert newest["project_id"] == Project.objects.get(name="secret").pk
    assert newest["size"] == len(image.manifest) + sum(len(b) for b in image.blobs.values())
    assert newest["pull_time"] is None
    assert newest["labels"] is None and newest["accessories"] is None
    [tag] = newest["tags"]
    assert tag["name"] == "v2" and tag["artifact_id"] == newest["id"] and tag["immutable"] is False
    assert set(tag) == {"id", "repository_id", "artifact_id", "name", "push_time", "pull_time", "immutable"}


def test_list_is_newest_push_first(api_client, admin, secret_app):
    response = as_user(api_client, admin).get(APP)

    assert [_tags(a) for a in response.json()] == [["v2"], ["latest", "v1"]]


def test_pull_time_shows_after_a_pull(api_client, admin, admin_client, secret_app):
    admin_client.get("/v2/secret/app/manifests/v1")

    response = as_user(api_client, admin).get(f"{APP}/v1")

    assert response.json()["pull_time"] is not None
    assert response.json()["tags"][0]["pull_time"] is not None


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tags=v1", [["latest", "v1"]]),
        ("tags=~v", [["v2"], ["latest", "v1"]]),
        ("tags={v2 latest}", [["v2"], ["latest", "v1"]]),
        ("tags=(v1 latest)", [["latest", "v1"]]),
        ("tags=(v1 v2)", []),
        ("tags=*", [["v2"], ["latest", "v1"]]),
        ("tags=nil", []),
        ("type=IMAGE", [["v2"], ["latest", "v1"]]),
        ("type=CHART", []),
        ("media_type=application/vnd.oci.image.config.v1+json", [["v2"], ["latest", "v1"]]),
        ("manifest_media_type=~docker", []),
    ],
)
def test_list_query(api_client, admin, secret_app, q, expected):
    response = as_user(api_client, admin).get(APP, {"q": q})

    assert response.status_code == 200, response.content
    assert [_tags(a) for a in response.json()] == expected


def test_list_query_by_digest(api_client, admin, secret_app):
    response = as_user(api_client, admin).get(APP, {"q": f"digest={secret_app['v1'].digest}"})

    assert [_tags(a) for a in response.json()] == [["latest", "v1"]]


def test_list_query_by_push_time_range(api_client, admin, secret_app):
    old = Artifact.objects.get(digest=secret_app["v1"].digest)
    Artifact.objects.filter(pk=old.pk).update(pushed_at=timezone.make_aware(dt.datetime(2020, 1, 1), dt.UTC))

    response = as_user(api_client, admin).get(
        APP, {"q": "push_time=[2019-12-31 00:00:00~2020-01-02 00:00:00]"}
    )

    assert [a["id"] for a in response.json()] == [old.pk]


def test_untagged_artifacts_are_found_with_tags_nil(api_client, admin, admin_client, secret_app):
    untagged = make_image(layer_count=1, seed="untagged")
    push_image(admin_client, "secret/app", untagged.digest, untagged)

    response = as_user(api_client, admin).get(APP, {"q": "tags=nil"})

    assert [a["digest"] for a in response.json()] == [untagged.digest]
    assert response.json()[0]["tags"] == []


@pytest.fixture
def qa_label(private_project, secret_app):
    label = Label.objects.create(name="qa", scope="p", project=private_project, color="#00FF00")
    ArtifactLabel.objects.create(artifact=Artifact.objects.get(digest=secret_app["v1"].digest), label=label)
    return label


@pytest.mark.parametrize("key", ["labels", "label_id"])
def test_list_query_by_label(api_client, admin, secret_app, qa_label, key):
    response = as_user(api_client, admin).get(APP, {"q": f"{key}={qa_label.pk}"})

    assert [_tags(a) for a in response.json()] == [["latest", "v1"]]


def test_with_label_shows_the_labels(api_client, admin, secret_app, qa_label):
    response = as_user(api_client, admin).get(APP, {"with_label": "true"})

    labels = {tuple(_tags(a)): a["labels"] for a in response.json()}
    assert labels[("v2",)] == []
    [label] = labels[("latest", "v1")]
    assert (label["id"], label["name"], label["scope"], label["color"]) == (qa_label.pk, "qa", "p", "#00FF00")


def test_with_tag_false_leaves_the_tags_out(api_client, admin, secret_app):
    response = as_user(api_client, admin).get(APP, {"with_tag": "false"})

    assert [a["tags"] for a in response.json()] == [None, None]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "name=x"},
        {"q": "type=[a~b]"},
        {"q": "labels=abc"},
        {"q": "labels=~1"},
        {"q": "base=all"},
        {"q": "tags=[a~b]"},
        {"q": "push_time=[yesterday~]"},
        {"sort": "name"},
        {"with_tag": "maybe"},
        {"with_signature": "perhaps"},
        {"page_size": "-1"},
        {"page": "99999999999999999999"},
        {"q": "tags=(v1"},
        {"q": "labels=99999999999999999999999"},
        {"q": "size=[1~99999999999999999999999]"},
        {"q": "push_time=[2020-13-45 00:00:00~]"},
        {"q": "type=["},
    ],
)
def test_bad_list_parameters_are_400(api_client, admin, secret_app, params):
    response = as_user(api_client, admin).get(APP, params)

    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_sort_by_size(api_client, admin, admin_client, secret_app):
    big = make_image(layer_count=3, layer_size=20000, seed="big")
    push_image(admin_client, "secret/app", "big", big)

    response = as_user(api_client, admin).get(APP, {"sort": "-size"})

    assert response.json()[0]["digest"] == big.digest


@pytest.fixture
def signed(admin_client, secret_app):
    """Two referrers of v1: a cosign signature and an SBOM."""
    subject = secret_app["v1"]
    return {
        "signature": push_referrer(admin_client, "secret/app", subject, COSIGN, "sig"),
        "sbom": push_referrer(admin_client, "secret/app", subject, "application/spdx+json", "sbom"),
    }


def test_accessories_are_listed_with_their_subject_not_on_their_own(api_client, admin, secret_app, signed):
    response = as_user(api_client, admin).get(APP, {"with_accessory": "true"})

    assert response["X-Total-Count"] == "2"
    by_tags = {tuple(_tags(a)): a for a in response.json()}
    accessories = {a["digest"]: a for a in by_tags[("latest", "v1")]["accessories"]}
    assert set(accessories) == {signed["signature"], signed["sbom"]}
    signature = accessories[signed["signature"]]
    assert signature["type"] == "signature.cosign"
    assert accessories[signed["sbom"]]["type"] == "subject.accessory"
    assert signature["subject_artifact_digest"] == secret_app["v1"].digest
    assert signature["subject_artifact_repo"] == "secret/app"
    assert signature["artifact_id"] == Artifact.objects.get(digest=signed["signature"]).pk
    assert by_tags[("v2",)]["accessories"] == []


def test_base_star_lists_accessories_too(api_client, admin, secret_app, signed):
    response = as_user(api_client, admin).get(APP, {"q": "base=*"})

    assert response["X-Total-Count"] == "4"


def test_accessories_endpoint(api_client, admin, secret_app, signed):
    response = as_user(api_client, admin).get(f"{APP}/v1/accessories")

    assert response["X-Total-Count"] == "2"
    assert {a["digest"] for a in response.json()} == set(signed.values())


@pytest.fixture
def multi(admin_client, private_project):
    amd = make_image(layer_count=1, seed="amd")
    arm = make_image(layer_count=1, seed="arm", architecture="arm64")
    return {"index": push_index(admin_client, "secret/multi", "v1", [amd, arm]), "amd": amd, "arm": arm}


def test_an_index_lists_its_references(api_client, admin, multi):
    response = as_user(api_client, admin).get(f"{artifacts_url('secret', 'multi')}/v1")

    artifact = response.json()
    assert artifact["type"] == "IMAGE"
    assert artifact["media_type"] == artifact["manifest_media_type"] == OCI_INDEX
    assert [(r["child_digest"], r["platform"]["architecture"]) for r in artifact["references"]] == [
        (multi["amd"].digest, "amd64"),
        (multi["arm"].digest, "arm64"),
    ]
    assert artifact["references"][0]["child_id"] == Artifact.objects.get(digest=multi["amd"].digest).pk


def test_get_by_tag_and_by_digest(api_client, admin, secret_app):
    client = as_user(api_client, admin)

    by_tag = client.get(f"{APP}/latest")
    by_digest = client.get(f"{APP}/{secret_app['v1'].digest}")

    assert by_tag.status_code == by_digest.status_code == 200
    assert by_tag.json()["id"] == by_digest.json()["id"]


def test_get_reads_the_image_config_into_extra_attrs(api_client, admin, admin_client, private_project):
    image = make_image(layer_count=1, seed="arm", architecture="arm64")
    push_image(admin_client, "secret/arm", "v1", image)

    response = as_user(api_client, admin).get(f"{artifacts_url('secret', 'arm')}/v1")

    extra = response.json()["extra_attrs"]
    assert (extra["architecture"], extra["os"]) == ("arm64", "linux")
    assert extra["config"] == {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]}


def test_get_without_the_config_blob_in_storage_still_answers(api_client, admin, secret_app, blob_storage):
    for path in blob_storage.rglob("*"):
        if path.is_file():
            path.unlink()

    response = as_user(api_client, admin).get(f"{APP}/v1")

    assert response.status_code == 200
    assert response.json()["extra_attrs"] == {}


@pytest.mark.parametrize(
    ("reference", "status"),
    [
        ("v9", 404),
        ("sha256:" + "0" * 64, 404),
        ("sha256:abc", 400),
        ("md5:" + "0" * 32, 400),
        ("-bad", 400),
        ("a" * 129, 400),
    ],
)
def test_get_of_an_unknown_or_malformed_reference(api_client, admin, secret_app, reference, status):
    response = as_user(api_client, admin).get(f"{APP}/{reference}")

    assert response.status_code == status


def test_delete_by_tag_removes_the_artifact_and_all_its_tags(api_client, admin, admin_client, secret_app):
    blobs = set(RepositoryBlob.objects.values_list("blob_id", flat=True))

    response = as_user(api_client, admin).delete(f"{APP}/latest")

    assert response.status_code == 200
    assert not Artifact.objects.filter(digest=secret_app["v1"].digest).exists()
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["v2"]
    assert set(RepositoryBlob.objects.values_list("blob_id", flat=True)) == blobs  # left to the collector
    assert admin_client.get("/v2/secret/app/manifests/v1").status_code == 404
    assert admin_client.get("/v2/secret/app/manifests/v2").status_code == 200


def test_delete_is_audited(api_client, admin, secret_app):
    as_user(api_client, admin).delete(f"{APP}/v1")

    event = AuditEvent.objects.get()
    assert (event.actor, event.operation, event.resource_type, event.resource, event.project_name) == (
        "admin",
        "delete",
        "artifact",
        f"secret/app@{secret_app['v1'].digest}",
        "secret",
    )


def test_a_deleted_artifact_can_be_pushed_again(api_client, admin, admin_client, secret_app):
    as_user(api_client, admin).delete(f"{APP}/v1")

    push_image(admin_client, "secret/app", "v1", secret_app["v1"])

    assert admin_client.get("/v2/secret/app/manifests/v1").status_code == 200


def test_deleting_a_child_of_an_index_is_412(api_client, admin, multi):
    response = as_user(api_client, admin).delete(f"{artifacts_url('secret', 'multi')}/{multi['amd'].digest}")

    assert response.status_code == 412
    assert response.json()["errors"][0]["code"] == "VIOLATE_FOREIGN_KEY_CONSTRAINT"
    assert Artifact.objects.filter(digest=multi["amd"].digest).exists()


def test_deleting_an_index_deletes_its_untagged_children_and_keeps_tagged_ones(
    api_client, admin, admin_client, multi
):
    repository = Repository.objects.get(name="secret/multi")
    Tag.objects.create(
        repository=repository, name="arm", artifact=Artifact.objects.get(digest=multi["arm"].digest)
    )

    response = as_user(api_client, admin).delete(f"{artifacts_url('secret', 'multi')}/v1")

    assert response.status_code == 200
    assert list(Artifact.objects.filter(repository=repository).values_list("digest", flat=True)) == [
        multi["arm"].digest
    ]
    assert admin_client.get("/v2/secret/multi/manifests/arm").status_code == 200


def test_deleting_a_subject_deletes_its_accessories(api_client, admin, secret_app, signed):
    response = as_user(api_client, admin).delete(f"{APP}/v1")

    assert response.status_code == 200
    assert not Artifact.objects.filter(digest__in=signed.values()).exists()


def test_copy_by_tag_creates_the_artifact_and_the_tag_without_copying_bytes(
    api_client, admin, admin_client, secret_app, library
):
    blobs = Blob.objects.count()

    response = as_user(api_client, admin).post(f"{artifacts_url('library', 'copied')}?from=secret/app:v1")

    assert response.status_code == 201, response.content
    digest = secret_app["v1"].digest
    assert response["Location"] == f"/api/v2.0/projects/library/repositories/copied/artifacts/{digest}"
    assert Blob.objects.count() == blobs
    copy = Artifact.objects.get(repository__name="library/copied")
    assert copy.digest == digest and list(copy.tags.values_list("name", flat=True)) == ["v1"]
    pulled = admin_client.get("/v2/library/copied/manifests/v1")
    assert pulled.status_code == 200 and pulled.content == secret_app["v1"].manifest
    layer = next(iter(secret_app["v1"].blobs))
    assert admin_client.get(f"/v2/library/copied/blobs/{layer}").status_code == 200


def test_copy_by_digest_creates_no_tag_and_is_audited(api_client, admin, secret_app, library):
    digest = secret_app["v2"].digest

    response = as_user(api_client, admin).post(
        f"{artifacts_url('library', 'copied')}?from=secret/app@{digest}"
    )

    assert response.status_code == 201
    assert not Tag.objects.filter(repository__name="library/copied").exists()
    event = AuditEvent.objects.get()
    assert (event.operation, event.resource_type, event.resource, event.project_name) == (
        "create",
        "artifact",
        f"library/copied@{digest}",
        "library",
    )


def test_copy_into_a_nested_repository_name(api_client, admin, secret_app, library):
    response = as_user(api_client, admin).post(
        f"{artifacts_url('library', 'team%252Fcopied')}?from=secret/app:v2"
    )

    assert response.status_code == 201
    assert response["Location"].startswith("/api/v2.0/projects/library/repositories/team%252Fcopied/")
    assert Repository.objects.filter(name="library/team/copied").exists()


def test_copy_of_an_index_copies_its_children(api_client, admin, admin_client, multi, library):
    response = as_user(api_client, admin).post(f"{artifacts_url('library', 'multi')}?from=secret/multi:v1")

    assert response.status_code == 201
    assert Artifact.objects.filter(repository__name="library/multi").count() == 3
    assert admin_client.get(f"/v2/library/multi/manifests/{multi['arm'].digest}").status_code == 200


def test_copy_takes_the_accessories_along(api_client, admin, secret_app, signed, library):
    as_user(api_client, admin).post(f"{artifacts_url('library', 'copied')}?from=secret/app:v1")

    copied = set(Artifact.objects.filter(repository__name="library/copied").values_list("digest", flat=True))
    assert copied == {secret_app["v1"].digest, *signed.values()}


def test_copy_over_the_quota_is_refused(api_client, admin, secret_app, library):
    Project.objects.filter(name="library").update(storage_limit=10)

    response = as_user(api_client, admin).post(f"{artifacts_url('library', 'copied')}?from=secret/app:v1")

    assert response.status_code == 403
    assert not Artifact.objects.filter(repository__name="library/copied").exists()


@pytest.mark.parametrize(
    ("source", "status"),
    [
        ("", 400),
        ("secret/app", 400),
        ("secret/app:", 400),
        ("app:v1", 400),
        ("secret/app@sha256:abc", 400),
        ("secret/app:-bad", 400),
        ("secret/app:v9", 404),
        ("secret/nothing:v1", 404),
        ("nowhere/app:v1", 404),
    ],
)
def test_copy_from_a_bad_or_missing_source(api_client, admin, secret_app, library, source, status):
    response = as_user(api_client, admin).post(
        f"{artifacts_url('library', 'copied')}", QUERY_STRING=f"from={source}"
    )

    assert response.status_code == status, response.content


def test_copy_from_a_project_the_caller_cannot_see_is_404(api_client, alice, secret_app, library):
    member_set_role(project=library, role=Role.DEVELOPER, user=alice, actor=None)

    response = as_user(api_client, alice).post(f"{artifacts_url('library', 'copied')}?from=secret/app:v1")

    assert response.status_code == 404


def test_copy_to_an_invalid_repository_name_is_400(api_client, admin, secret_app, library):
    response = as_user(api_client, admin).post(f"{artifacts_url('library', 'UPPER')}?from=secret/app:v1")

    assert response.status_code == 400


def test_docker_manifest_lists_are_images_too(api_client, admin, admin_client, private_project):
    image = make_image(layer_count=1, seed="docker", docker=True)
    push_image(admin_client, "secret/docker", image.digest, image)
    push_manifest(admin_client, "secret/docker", "v1", make_index([image], docker=True), DOCKER_LIST)

    response = as_user(api_client, admin).get(artifacts_url("secret", "docker"), {"q": "tags=*"})

    [index] = response.json()
    assert (index["type"], index["media_type"]) == ("IMAGE", DOCKER_LIST)


def test_copy_within_a_project_at_its_quota_adds_nothing_to_it(api_client, admin, secret_app):
    project = Project.objects.get(name="secret")
    Project.objects.filter(pk=project.pk).update(storage_limit=project_storage_usage(project_id=project.pk))

    response = as_user(api_client, admin).post(f"{artifacts_url('secret', 'copied')}?from=secret/app:v1")

    assert response.status_code == 201
