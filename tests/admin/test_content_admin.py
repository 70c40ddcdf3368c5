"""Repositories, artifacts, tags and blobs in the admin site: listed per project, deleted through
manifest_delete by those whose role deletes (Maintainer and Project Admin), fast on long lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from images.models import Artifact, Tag
from tests.admin.pages import listed, offered_actions, page_messages
from tests.factories import ArtifactFactory, BlobFactory, TagFactory

pytestmark = pytest.mark.django_db

REPOSITORIES = "/admin/images/repository/"
ARTIFACTS = "/admin/images/artifact/"
TAGS = "/admin/images/tag/"
BLOBS = "/admin/images/blob/"


# --- Who sees what ---------------------------------------------------------------------------


def test_a_system_admin_lists_every_repository(login_as, admin, alpha_content, beta_content):
    assert set(listed(login_as(admin).get(REPOSITORIES))) == {
        alpha_content.repository,
        beta_content.repository,
    }


@pytest.mark.parametrize("fixture", ["alpha_admin", "alpha_maintainer", "alpha_developer", "alpha_guest"])
def test_members_list_their_projects_content_only(request, login_as, fixture, alpha_content, beta_content):
    client = login_as(request.getfixturevalue(fixture))

    assert listed(client.get(REPOSITORIES)) == [alpha_content.repository]
    assert listed(client.get(ARTIFACTS)) == [alpha_content.artifact]
    assert listed(client.get(TAGS)) == [alpha_content.tag]


def test_a_public_project_of_which_one_is_no_member_is_not_listed(
    login_as, alpha_admin, alpha_content, library
):
    from tests.admin.conftest import _content

    _content(library, "shared")

    assert listed(login_as(alpha_admin).get(REPOSITORIES)) == [alpha_content.repository]


@pytest.mark.parametrize(
    "url",
    [
        lambda c: f"/admin/images/repository/{c.repository.pk}/change/",
        lambda c: f"/admin/images/artifact/{c.artifact.pk}/change/",
        lambda c: f"/admin/images/tag/{c.tag.pk}/change/",
        lambda c: f"/admin/images/artifact/{c.artifact.pk}/delete/",
        lambda c: f"/admin/images/tag/{c.tag.pk}/delete/",
    ],
)
def test_another_projects_content_is_a_404(login_as, alpha_admin, beta_content, url):
    assert login_as(alpha_admin).get(url(beta_content)).status_code == 404


def test_the_artifact_page_shows_its_tags_size_and_manifest(login_as, alpha_developer, alpha_content):
    response = login_as(alpha_developer).get(f"/admin/images/artifact/{alpha_content.artifact.pk}/change/")

    assert response.status_code == 200
    assert response.context["title"] == "View artifact"
    assert "latest" in response.text
    assert "schemaVersion" in response.text
    assert f"{alpha_content.artifact.size}\xa0bytes" in response.text


def test_the_artifact_list_shows_tags_and_size(login_as, alpha_developer, alpha_content):
    TagFactory(artifact=alpha_content.artifact, repository=alpha_content.repository, name="v1")

    response = login_as(alpha_developer).get(ARTIFACTS)

    assert '<td class="field-tag_names">latest, v1</td>' in response.text
    assert f'<td class="field-size_shown">{alpha_content.artifact.size}\xa0bytes</td>' in response.text


def test_the_artifact_list_filters_by_project(login_as, admin, alpha, alpha_content, beta_content):
    assert listed(login_as(admin).get(ARTIFACTS, {"project": alpha.pk})) == [alpha_content.artifact]


def test_the_artifact_list_finds_a_repositorys_artifacts(login_as, admin, alpha_content, beta_content):
    assert listed(login_as(admin).get(ARTIFACTS, {"q": "alpha/app"})) == [alpha_content.artifact]


# --- Which actions each role is offered -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("admin", {"delete_selected"}),
        ("alpha_admin", {"delete_selected"}),
        ("alpha_maintainer", {"delete_selected"}),
        ("alpha_developer", set()),
        ("alpha_guest", set()),
    ],
)
def test_deletion_is_offered_to_roles_that_delete(request, login_as, alpha_content, fixture, expected):
    client = login_as(request.getfixturevalue(fixture))

    assert offered_actions(client.get(ARTIFACTS)) == expected
    assert offered_actions(client.get(TAGS)) == expected
    assert offered_actions(client.get(REPOSITORIES)) == set()


def test_a_developer_cannot_delete_a_tag(login_as, alpha_developer, alpha_content):
    response = login_as(alpha_developer).post(
        f"/admin/images/tag/{alpha_content.tag.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 403
    assert Tag.objects.filter(pk=alpha_content.tag.pk).exists()


# --- Deleting through manifest_delete ----------------------------------------------------------


def test_a_maintainer_deletes_tags_through_the_service(login_as, alpha_maintainer, alpha_content):
    other = TagFactory(artifact=alpha_content.artifact, repository=alpha_content.repository, name="v1")

    response = login_as(alpha_maintainer).post(
        TAGS,
        {"action": "delete_selected", "post": "yes", "_selected_action": [alpha_content.tag.pk, other.pk]},
        follow=True,
    )

    assert not Tag.objects.exists()
    assert Artifact.objects.filter(pk=alpha_content.artifact.pk).exists()  # a tag goes, its artifact stays
    assert "Successfully deleted 2 tags." in page_messages(response)
    events = AuditEvent.objects.filter(resource_type="tag", operation="delete")
    assert {(e.resource, e.actor, e.address, e.project_name) for e in events} == {
        ("alpha/app:latest", "max", "192.0.2.7", "alpha"),
        ("alpha/app:v1", "max", "192.0.2.7", "alpha"),
    }


def test_a_maintainer_deletes_an_artifact_with_its_tags(login_as, alpha_maintainer, alpha_content):
    artifact = alpha_content.artifact

    response = login_as(alpha_maintainer).post(
        f"/admin/images/artifact/{artifact.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Artifact.objects.exists() and not Tag.objects.exists()
    event = AuditEvent.objects.get(resource_type="artifact", operation="delete")
    assert event.resource == f"alpha/app@{artifact.digest}"


def test_deleting_an_artifact_an_index_references_is_refused_without_a_500(login_as, admin, alpha_content):
    from images.models import ArtifactReference

    child = alpha_content.artifact
    index = ArtifactFactory(repository=alpha_content.repository)
    ArtifactReference.objects.create(parent=index, child=child)

    response = login_as(admin).post(
        ARTIFACTS, {"action": "delete_selected", "post": "yes", "_selected_action": [child.pk]}, follow=True
    )

    assert response.status_code == 200
    assert Artifact.objects.filter(pk=child.pk).exists()
    (refusal,) = page_messages(response)
    assert "The manifest is referenced by an index; delete the index first." in refusal


# --- Long lists ----------------------------------------------------------------------------------


# Whatever the rows: the session, the user, the role questions of the page and its sidebar (one
# query each, asked once per request), one COUNT, the page of rows and their tags.
LIST_QUERIES_MAX = 15


@pytest.mark.parametrize("fixture", ["admin", "alpha_admin"])
def test_the_artifact_list_costs_as_many_queries_for_61_rows_as_for_1(
    request, login_as, fixture, alpha_content, django_assert_max_num_queries
):
    client = login_as(request.getfixturevalue(fixture))
    with CaptureQueriesContext(connection) as one_row:
        client.get(ARTIFACTS, {"all": ""})
    for number in range(60):
        TagFactory(
            repository=alpha_content.repository,
            artifact__repository=alpha_content.repository,
            name=f"t{number}",
        )

    with django_assert_max_num_queries(min(len(one_row), LIST_QUERIES_MAX)):
        response = client.get(ARTIFACTS, {"all": ""})

    assert len(listed(response)) == 61


@pytest.mark.parametrize("fixture", ["admin", "alpha_admin"])
def test_the_tag_list_costs_a_bounded_number_of_queries(
    request, login_as, fixture, alpha_content, django_assert_max_num_queries
):
    client = login_as(request.getfixturevalue(fixture))
    for number in range(60):
        TagFactory(
            repository=alpha_content.repository,
            artifact__repository=alpha_content.repository,
            name=f"t{number}",
        )

    with django_assert_max_num_queries(LIST_QUERIES_MAX):
        response = client.get(TAGS)

    assert len(listed(response)) == 50  # a page


def test_the_list_does_not_count_the_whole_table_twice(login_as, admin, alpha_content):
    response = login_as(admin).get(ARTIFACTS, {"q": "alpha/app"})

    assert response.context["cl"].full_result_count is None  # no "(N total)": one COUNT per page


# --- Blobs ---------------------------------------------------------------------------------------


def test_blobs_are_listed_for_system_admins(login_as, admin):
    blob = BlobFactory()

    assert listed(login_as(admin).get(BLOBS)) == [blob]


def test_blobs_are_hidden_from_project_admins(login_as, alpha_admin):
    blob = BlobFactory()

    assert login_as(alpha_admin).get(BLOBS).status_code == 403
    assert login_as(alpha_admin).get(f"/admin/images/blob/{blob.pk}/change/").status_code == 403


def test_nobody_deletes_a_blob_in_the_admin(login_as, admin):
    blob = BlobFactory()
    client = login_as(admin)

    assert offered_actions(client.get(BLOBS)) == set()
    assert client.post(f"/admin/images/blob/{blob.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize(
    ("media_type", "config", "artifact_type", "shown"),
    [
        ("application/vnd.oci.image.index.v1+json", "", "", "image index"),
        (
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.config.v1+json",
            "",
            "image",
        ),
        (
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.cncf.helm.config.v1+json",
            "",
            "application/vnd.cncf.helm.config.v1+json",
        ),
        (
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.empty.v1+json",
            "application/vnd.example.sbom",
            "application/vnd.example.sbom",
        ),
    ],
)
def test_the_artifact_list_names_the_kind_of_artifact(
    login_as, admin, alpha_content, media_type, config, artifact_type, shown
):
    Artifact.objects.filter(pk=alpha_content.artifact.pk).update(
        media_type=media_type, config_media_type=config, artifact_type=artifact_type
    )

    response = login_as(admin).get(ARTIFACTS)

    assert f'<td class="field-kind"><span title="{media_type}">{shown}</span></td>' in response.text
