"""An artifact's page: manifest, layers, config, referrers (signatures, SBOMs) and index children."""

from __future__ import annotations

import json

import pytest

from images.models import Blob
from tests.portal.conftest import text
from tests.support.content import COSIGN_SIGNATURE, SPDX
from tests.support.oci import sha256

pytestmark = pytest.mark.django_db


def _url(repository: str, digest: str) -> str:
    return f"/projects/alpha/repositories/{repository}/-/artifacts/{digest}/"


def test_the_manifest_is_shown_pretty_printed(as_user, content):
    image = content.app.images["1.0"]

    response = as_user("gus").get(_url("app", image.digest))

    assert response.status_code == 200
    assert response.context["content"].manifest_text == json.dumps(json.loads(image.manifest), indent=2)


def test_the_layers_are_listed_with_digest_and_size(as_user, content):
    image = content.app.images["1.0"]

    response = as_user("gus").get(_url("app", image.digest))

    layers = response.context["content"].layers
    assert [(layer.digest, layer.size) for layer in layers] == [
        (sha256(data), len(data)) for data in image.layers
    ]
    assert sha256(image.layers[0])[:19] in text(response)


def test_the_config_is_read_from_storage_and_pretty_printed(as_user, content):
    image = content.app.images["1.0"]

    response = as_user("gus").get(_url("app", image.digest))

    shown = response.context["content"]
    assert shown.config_note == ""
    assert json.loads(shown.config_text) == json.loads(image.config)
    assert '\n  "architecture": "amd64"' in shown.config_text


def test_a_config_missing_from_storage_is_noted(as_user, content, blob_storage):
    image = content.app.images["1.0"]
    blob = Blob.objects.get(digest=sha256(image.config))
    (blob_storage / blob.storage_key).unlink()

    response = as_user("gus").get(_url("app", image.digest))

    assert response.status_code == 200
    assert response.context["content"].config_text == ""
    assert "missing" in response.context["content"].config_note


def test_a_config_too_large_to_show_is_noted_and_not_read(as_user, content, monkeypatch):
    monkeypatch.setattr("images.portal.selectors.CONFIG_SHOWN_MAX_BYTES", 10)
    image = content.app.images["1.0"]

    response = as_user("gus").get(_url("app", image.digest))

    assert "too large" in response.context["content"].config_note


def test_signatures_and_sboms_are_listed_as_referrers_with_their_kind(as_user, content):
    response = as_user("gus").get(_url("app", content.app.images["1.0"].digest))

    referrers = {
        referrer.digest: referrer.artifact_type for referrer in response.context["content"].referrers
    }
    assert referrers == {
        content.app.referrers["sbom"]: SPDX,
        content.app.referrers["signature"]: COSIGN_SIGNATURE,
    }
    body = text(response)
    assert "SBOM (SPDX)" in body and "Cosign signature" in body


def test_a_referrer_links_back_to_its_subject(as_user, content):
    image = content.app.images["1.0"]

    body = text(as_user("gus").get(_url("app", content.app.referrers["sbom"])))

    assert f'href="{_url("app", image.digest)}"' in body


def test_an_index_lists_its_children_with_their_platforms(as_user, content):
    response = as_user("gus").get(_url("multi", content.multi_index))

    children = response.context["content"].children
    assert [child.child.digest for child in children] == [image.digest for image in content.multi_children]
    body = text(response)
    assert "linux/amd64" in body and "linux/arm64" in body
    assert f'href="{_url("multi", content.multi_children[1].digest)}"' in body


def test_an_index_has_no_layers_or_config_section(as_user, content):
    body = text(as_user("gus").get(_url("multi", content.multi_index)))

    assert 'id="layers-heading"' not in body
    assert 'id="config-heading"' not in body


def test_an_artifact_of_a_private_project_is_not_found_for_outsiders(as_user, content):
    response = as_user("carol").get(_url("app", content.app.images["1.0"].digest))

    assert response.status_code == 404


def test_an_unknown_digest_is_not_found(as_user, content):
    response = as_user("gus").get(_url("app", "sha256:" + "0" * 64))

    assert response.status_code == 404


def test_an_artifact_of_another_repository_is_not_found_here(as_user, content):
    response = as_user("gus").get(_url("multi", content.app.images["1.0"].digest))

    assert response.status_code == 404


def test_a_malformed_digest_is_not_found(as_user, content):
    response = as_user("gus").get(_url("app", "sha256:zz"))

    assert response.status_code == 404
