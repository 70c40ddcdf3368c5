"""List endpoints cost a fixed number of queries, whatever the page size: no query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from images.models import ArtifactLabel, ArtifactReference, Label
from tests.factories import ArtifactFactory, RepositoryFactory, TagFactory
from tests.images.api.conftest import COSIGN, artifacts_url, as_user

pytestmark = pytest.mark.django_db

ROWS = 24


@pytest.fixture
def crowded(library):
    """library/many: ROWS artifacts with two tags and a label each, an index over two of them, and
    a signature of the newest; library/repoN: ROWS more repositories."""
    repository = RepositoryFactory(project=library, name="library/many")
    label = Label.objects.create(name="qa", scope="g")
    artifacts = []
    for n in range(ROWS):
        artifact = ArtifactFactory(repository=repository)
        TagFactory(artifact=artifact, repository=repository, name=f"v{n}")
        TagFactory(artifact=artifact, repository=repository, name=f"w{n}")
        ArtifactLabel.objects.create(artifact=artifact, label=label)
        artifacts.append(artifact)
    index = artifacts[-1]
    for child in artifacts[:2]:
        ArtifactReference.objects.create(parent=index, child=child, platform={"os": "linux"})
    ArtifactFactory(repository=repository, subject_digest=index.digest, artifact_type=COSIGN)
    for n in range(ROWS):
        RepositoryFactory(project=library, name=f"library/repo{n}")
    return artifacts


def _queries(client, path: str, params: dict) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(queries), response


ARTIFACTS = artifacts_url("library", "many")
LISTS = {
    "artifacts": (ARTIFACTS, {"with_label": "true", "with_accessory": "true"}),
    "artifacts by tag query": (ARTIFACTS, {"q": "tags=~v", "with_label": "true"}),
    "repositories": ("/api/v2.0/projects/library/repositories", {}),
    "all repositories": ("/api/v2.0/repositories", {}),
    "search": ("/api/v2.0/search", {"q": "library/"}),
}
# Authentication is forced: what is counted is the view. A list costs the project, the repository,
# the count, the page and one query per related set (references, tags, labels, accessories).
MAX_QUERIES = 8


@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_costs_the_same_queries_for_3_rows_as_for_24(api_client, admin, crowded, name):
    path, params = LISTS[name]
    client = as_user(api_client, admin)

    small, _response = _queries(client, path, {**params, "page_size": 3})
    large, response = _queries(client, path, {**params, "page_size": ROWS})

    assert len(response.json()) >= ROWS if name != "search" else True
    assert small == large
    assert large <= MAX_QUERIES


def test_the_artifact_list_with_everything_stays_under_its_bound(
    api_client, admin, crowded, django_assert_max_num_queries
):
    client = as_user(api_client, admin)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(ARTIFACTS, {"page_size": 100, "with_label": "true", "with_accessory": "true"})

    newest = response.json()[0]
    assert len(newest["tags"]) == 2 and len(newest["labels"]) == 1
    assert len(newest["references"]) == 2 and len(newest["accessories"]) == 1


def test_the_tag_list_is_a_fixed_number_of_queries(api_client, admin, crowded, django_assert_max_num_queries):
    artifact = crowded[0]
    for n in range(ROWS):
        TagFactory(artifact=artifact, repository=artifact.repository, name=f"extra{n}")
    client = as_user(api_client, admin)

    with django_assert_max_num_queries(5):
        response = client.get(f"{ARTIFACTS}/{artifact.digest}/tags", {"page_size": 100})

    assert len(response.json()) == ROWS + 2


def test_the_label_list_is_a_fixed_number_of_queries(api_client, admin, db, django_assert_max_num_queries):
    for n in range(ROWS):
        Label.objects.create(name=f"label{n}", scope="g")
    client = as_user(api_client, admin)

    with django_assert_max_num_queries(2):
        response = client.get("/api/v2.0/labels", {"page_size": 100})

    assert len(response.json()) == ROWS
