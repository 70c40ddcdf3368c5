"""Deleting a tag or an artifact from the portal: a confirmation page, then a POST with the CSRF token,
for the roles that hold the DELETE action; the registry's own service does it, audited."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from images.models import Artifact, Tag
from tests.admin.pages import page_messages
from tests.portal.conftest import text

pytestmark = pytest.mark.django_db

APP = "/projects/alpha/repositories/app/"
TAG_DELETE = APP + "-/tags/latest/delete/"


def _artifact_delete(digest: str, repository: str = "app") -> str:
    return f"/projects/alpha/repositories/{repository}/-/artifacts/{digest}/delete/"


def test_the_tag_confirmation_page_asks_before_deleting(as_user, content):
    response = as_user("pat").get(TAG_DELETE)

    assert response.status_code == 200
    assert '<form method="post">' in text(response)
    assert Tag.objects.filter(repository__name="alpha/app", name="latest").exists()


def test_a_project_admin_deletes_a_tag_and_the_artifact_stays(as_user, content):
    response = as_user("pat").post(TAG_DELETE, follow=True)

    assert response.redirect_chain == [(APP, 302)]
    assert page_messages(response) == ["Tag latest deleted."]
    assert not Tag.objects.filter(repository__name="alpha/app", name="latest").exists()
    assert Artifact.objects.filter(digest=content.app.images["1.0"].digest).exists()


def test_a_deleted_tag_is_audited_with_the_user_and_address(as_user, content):
    as_user("pat").post(TAG_DELETE)

    event = AuditEvent.objects.get(operation="delete", resource_type="tag")
    assert (event.actor, event.resource, event.address) == ("pat", "alpha/app:latest", "192.0.2.7")
    assert event.project_name == "alpha"


def test_a_maintainer_deletes_an_artifact_with_its_tags(as_user, content):
    digest = content.app.images["1.0"].digest

    response = as_user("max").post(_artifact_delete(digest), follow=True)

    assert page_messages(response) == [f"Artifact {digest} deleted."]
    assert not Artifact.objects.filter(digest=digest).exists()
    assert not Tag.objects.filter(repository__name="alpha/app").exists()
    event = AuditEvent.objects.get(operation="delete", resource_type="artifact")
    assert (event.actor, event.resource) == ("max", f"alpha/app@{digest}")


def test_the_artifact_confirmation_page_names_the_tags_deleted_with_it(as_user, content):
    body = text(as_user("pat").get(_artifact_delete(content.app.images["1.0"].digest)))

    assert "<code>1.0</code>" in body and "<code>latest</code>" in body


def test_a_child_of_an_index_is_not_deleted_alone_and_the_user_is_told(as_user, content):
    child = content.multi_children[0].digest
    page = f"/projects/alpha/repositories/multi/-/artifacts/{child}/"

    response = as_user("pat").post(_artifact_delete(child, "multi"), follow=True)

    assert response.redirect_chain == [(page, 302)]
    assert [message.level_tag for message in response.context["messages"]] == ["error"]
    assert Artifact.objects.filter(digest=child).exists()


@pytest.mark.parametrize("username", ["dev", "gus", "lim"])
def test_deleting_a_tag_is_forbidden_without_the_delete_action(as_user, content, username):
    client = as_user(username)

    page = client.get(TAG_DELETE)
    response = client.post(TAG_DELETE)

    assert (page.status_code, response.status_code) == (403, 403)
    assert Tag.objects.filter(repository__name="alpha/app", name="latest").exists()
    assert not AuditEvent.objects.filter(operation="delete").exists()


@pytest.mark.parametrize("username", ["dev", "gus"])
def test_deleting_an_artifact_is_forbidden_without_the_delete_action(as_user, content, username):
    digest = content.app.images["1.0"].digest

    response = as_user(username).post(_artifact_delete(digest))

    assert response.status_code == 403
    assert Artifact.objects.filter(digest=digest).exists()


def test_anonymous_visitors_may_not_delete_in_a_public_project(as_user, content):
    response = as_user(None).post("/projects/library/repositories/nginx/-/tags/stable/delete/")

    assert response.status_code == 403
    assert Tag.objects.filter(repository__name="library/nginx", name="stable").exists()


def test_deleting_in_an_invisible_project_is_not_found(as_user, content):
    response = as_user("carol").post(TAG_DELETE)

    assert response.status_code == 404
    assert Tag.objects.filter(repository__name="alpha/app", name="latest").exists()


def test_deleting_an_unknown_tag_is_not_found(as_user, content):
    response = as_user("pat").post(APP + "-/tags/nope/delete/")

    assert response.status_code == 404


def test_a_delete_without_the_csrf_token_is_refused(people, content):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["pat"])

    response = client.post(TAG_DELETE)

    assert response.status_code == 403
    assert Tag.objects.filter(repository__name="alpha/app", name="latest").exists()


def test_a_delete_with_the_csrf_token_of_the_confirmation_page_is_done(people, content):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["pat"])
    client.get(TAG_DELETE)

    response = client.post(TAG_DELETE, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert response.status_code == 302
    assert not Tag.objects.filter(repository__name="alpha/app", name="latest").exists()
