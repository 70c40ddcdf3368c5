"""Labels: global ones (system admins) and a project's (its Maintainers and above), and artifacts' labels."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from images.models import Artifact, ArtifactLabel, Label
from projects.models import Role
from tests.images.api.conftest import artifacts_url, as_user

pytestmark = pytest.mark.django_db

LABELS = "/api/v2.0/labels"


@pytest.fixture
def labels(private_project, library):
    return {
        "global": Label.objects.create(name="production", scope="g", color="#FF0000"),
        "secret": Label.objects.create(name="qa", scope="p", project=private_project),
        "library": Label.objects.create(name="docs", scope="p", project=library),
    }


def _names(response) -> list[str]:
    return [label["name"] for label in response.json()]


def test_list_global_labels_by_default_in_harbors_shape(api_client, alice, labels):
    response = as_user(api_client, alice).get(LABELS)

    assert response.status_code == 200
    [label] = response.json()
    assert label == {
        "id": labels["global"].pk,
        "name": "production",
        "description": "",
        "color": "#FF0000",
        "scope": "g",
        "project_id": 0,
        "creation_time": label["creation_time"],
        "update_time": label["update_time"],
    }


@pytest.mark.parametrize(
    "params",
    [
        lambda p: {"scope": "p", "project_id": p.pk},
        lambda p: {"q": f"scope=p,project_id={p.pk}"},
    ],
)
def test_list_a_projects_labels(api_client, role_members, labels, private_project, params):
    response = as_user(api_client, role_members[Role.GUEST]).get(LABELS, params(private_project))

    assert _names(response) == ["qa"]


def test_list_by_name(api_client, alice, labels):
    response = as_user(api_client, alice).get(LABELS, {"name": "prod"})

    assert _names(response) == ["production"]


def test_list_labels_of_a_project_the_caller_cannot_see_is_404(api_client, alice, labels, private_project):
    response = as_user(api_client, alice).get(LABELS, {"scope": "p", "project_id": private_project.pk})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "params", [{"scope": "x"}, {"scope": "p"}, {"scope": "p", "project_id": "x"}, {"q": "color=red"}]
)
def test_list_with_bad_parameters_is_400(api_client, alice, labels, params):
    assert as_user(api_client, alice).get(LABELS, params).status_code == 400


def test_anonymous_callers_are_401(api_client, labels):
    assert api_client.get(LABELS).status_code == 401


def test_a_system_admin_creates_a_global_label(api_client, admin, db):
    response = as_user(api_client, admin).post(
        LABELS, {"name": "release", "color": "#0000FF", "scope": "g"}, format="json"
    )

    assert response.status_code == 201
    label = Label.objects.get()
    assert response["Location"] == f"/api/v2.0/labels/{label.pk}"
    assert (label.scope, label.project_id, label.color) == ("g", None, "#0000FF")
    event = AuditEvent.objects.filter(resource_type="label").get()
    assert (event.operation, event.resource_type, event.resource) == ("create", "label", "release")


def test_others_may_not_create_global_labels(api_client, alice, db):
    response = as_user(api_client, alice).post(LABELS, {"name": "release", "scope": "g"}, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PROJECT_ADMIN, 201),
        (Role.MAINTAINER, 201),
        (Role.DEVELOPER, 403),
        (Role.GUEST, 403),
        (Role.LIMITED_GUEST, 403),
        (None, 404),
    ],
)
def test_project_labels_are_created_by_maintainers_and_above(
    api_client, role_members, private_project, role, status
):
    response = as_user(api_client, role_members[role]).post(
        LABELS, {"name": "qa", "scope": "p", "project_id": private_project.pk}, format="json"
    )

    assert response.status_code == status


def test_a_duplicate_name_in_the_same_scope_is_409(api_client, admin, labels, private_project):
    client = as_user(api_client, admin)

    duplicate = client.post(
        LABELS, {"name": "qa", "scope": "p", "project_id": private_project.pk}, format="json"
    )
    elsewhere = client.post(LABELS, {"name": "qa", "scope": "g"}, format="json")

    assert duplicate.status_code == 409
    assert elsewhere.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "g"},
        {"name": "", "scope": "g"},
        {"name": "x" * 129, "scope": "g"},
        {"name": "x", "scope": "z"},
        {"name": "x", "scope": "p"},
        {"name": "x", "scope": "g", "color": "c" * 33},
    ],
)
def test_create_with_bad_input_is_400(api_client, admin, db, body):
    assert as_user(api_client, admin).post(LABELS, body, format="json").status_code == 400


def test_get_a_label(api_client, alice, labels):
    response = as_user(api_client, alice).get(f"{LABELS}/{labels['library'].pk}")

    assert response.json()["project_id"] == labels["library"].project_id


@pytest.mark.parametrize("label_id", ["secret", "missing"])
def test_get_a_label_the_caller_cannot_see_is_404(api_client, alice, labels, label_id):
    pk = labels[label_id].pk if label_id in labels else 99999999999999999

    assert as_user(api_client, alice).get(f"{LABELS}/{pk}").status_code == 404


def test_update_changes_name_color_and_description(api_client, role_members, labels):
    response = as_user(api_client, role_members[Role.MAINTAINER]).put(
        f"{LABELS}/{labels['secret'].pk}",
        {"name": "qa-ok", "color": "#111111", "description": "d"},
        format="json",
    )

    assert response.status_code == 200
    labels["secret"].refresh_from_db()
    assert (labels["secret"].name, labels["secret"].color, labels["secret"].description) == (
        "qa-ok",
        "#111111",
        "d",
    )
    assert AuditEvent.objects.filter(resource_type="label").get().operation == "update"


def test_update_by_a_developer_is_403(api_client, role_members, labels):
    response = as_user(api_client, role_members[Role.DEVELOPER]).put(
        f"{LABELS}/{labels['secret'].pk}", {"name": "x"}, format="json"
    )

    assert response.status_code == 403


def test_update_to_a_taken_name_is_409(api_client, admin, labels):
    Label.objects.create(name="taken", scope="g")

    response = as_user(api_client, admin).put(
        f"{LABELS}/{labels['global'].pk}", {"name": "taken"}, format="json"
    )

    assert response.status_code == 409


def test_delete_removes_the_label_from_artifacts(api_client, admin, labels, secret_app):
    ArtifactLabel.objects.create(artifact=Artifact.objects.first(), label=labels["global"])

    response = as_user(api_client, admin).delete(f"{LABELS}/{labels['global'].pk}")

    assert response.status_code == 200
    assert not ArtifactLabel.objects.exists()
    assert AuditEvent.objects.filter(resource_type="label").get().operation == "delete"


V1_LABELS = f"{artifacts_url('secret', 'app')}/v1/labels"


@pytest.mark.parametrize("which", ["global", "secret"])
def test_a_developer_adds_a_global_or_project_label_to_an_artifact(
    api_client, role_members, labels, secret_app, which
):
    response = as_user(api_client, role_members[Role.DEVELOPER]).post(
        V1_LABELS, {"id": labels[which].pk}, format="json"
    )

    assert response.status_code == 200
    assert ArtifactLabel.objects.get().label == labels[which]
    event = AuditEvent.objects.filter(resource_type="label").get()
    assert (event.operation, event.resource_type) == ("create", "label")
    assert event.resource == f"secret/app@{secret_app['v1'].digest}"


def test_adding_another_projects_label_is_404(api_client, admin, labels, secret_app):
    response = as_user(api_client, admin).post(V1_LABELS, {"id": labels["library"].pk}, format="json")

    assert response.status_code == 404
    assert not ArtifactLabel.objects.exists()


def test_adding_a_label_twice_is_409(api_client, admin, labels, secret_app):
    client = as_user(api_client, admin)
    client.post(V1_LABELS, {"id": labels["global"].pk}, format="json")

    response = client.post(V1_LABELS, {"id": labels["global"].pk}, format="json")

    assert response.status_code == 409


@pytest.mark.parametrize("body", [{}, {"id": "x"}, {"id": 0}, {"name": "qa"}])
def test_adding_with_a_bad_body_is_400(api_client, admin, labels, secret_app, body):
    assert as_user(api_client, admin).post(V1_LABELS, body, format="json").status_code == 400


def test_adding_an_unknown_label_is_404(api_client, admin, secret_app):
    assert as_user(api_client, admin).post(V1_LABELS, {"id": 12345}, format="json").status_code == 404


def test_removing_a_label(api_client, role_members, labels, secret_app):
    client = as_user(api_client, role_members[Role.DEVELOPER])
    client.post(V1_LABELS, {"id": labels["secret"].pk}, format="json")

    response = client.delete(f"{V1_LABELS}/{labels['secret'].pk}")

    assert response.status_code == 200
    assert not ArtifactLabel.objects.exists()


def test_removing_a_label_the_artifact_does_not_have_is_404(api_client, admin, labels, secret_app):
    assert as_user(api_client, admin).delete(f"{V1_LABELS}/{labels['secret'].pk}").status_code == 404


def test_a_project_label_goes_with_its_project(labels, library):
    labels["library"].project.delete()

    assert not Label.objects.filter(name="docs").exists()


def test_an_id_beyond_any_integer_column_is_404_not_500(api_client, admin, labels, secret_app):
    huge = 2**70
    client = as_user(api_client, admin)

    assert client.get(f"{LABELS}/{huge}").status_code == 404
    assert client.post(V1_LABELS, {"id": huge}, format="json").status_code == 404
    assert client.delete(f"{V1_LABELS}/{huge}").status_code == 404
