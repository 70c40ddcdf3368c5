"""/api/v2.0/systeminfo, /systeminfo/volumes and /health."""

from __future__ import annotations

import shutil
import threading

import pytest
from django.core.files.storage import Storage
from django.db import OperationalError

from harborpy import health
from projects.models import SystemSettings

pytestmark = pytest.mark.django_db

ANONYMOUS_KEYS = {"auth_mode", "primary_auth_mode", "self_registration", "harbor_version"}


class UnreachableStorage(Storage):
    """A remote blob store that refuses every request."""

    def exists(self, name: str) -> bool:
        raise ConnectionError("connection refused")


_release = threading.Event()


class HangingStorage(Storage):
    """A remote blob store that never answers (until the test lets it go)."""

    def exists(self, name: str) -> bool:
        _release.wait(10)
        return False


def use_blob_storage(settings, backend: str) -> None:
    settings.STORAGES = {**settings.STORAGES, "blobs": {"BACKEND": backend}}


# --- /systeminfo ----------------------------------------------------------------------------------


def test_anonymous_gets_the_reduced_system_info(api_client):
    SystemSettings.objects.create(pk=1, self_registration=True)

    response = api_client.get("/api/v2.0/systeminfo")

    assert response.status_code == 200
    info = response.json()
    assert set(info) == ANONYMOUS_KEYS
    assert (info["auth_mode"], info["primary_auth_mode"], info["self_registration"]) == (
        "db_auth",
        False,
        True,
    )
    assert info["harbor_version"].startswith("v")


def test_a_logged_in_user_gets_the_registry_and_the_policies(api_client, alice, settings):
    settings.EXTERNAL_URL = "https://registry.example.com"
    SystemSettings.objects.create(pk=1, project_creation_restriction="adminonly")

    info = api_client.as_user(alice).get("/api/v2.0/systeminfo").json()

    assert set(info) > ANONYMOUS_KEYS
    assert info["external_url"] == "https://registry.example.com"
    assert info["registry_url"] == "registry.example.com"
    assert info["project_creation_restriction"] == "adminonly"
    assert (info["has_ca_root"], info["read_only"], info["with_notary"]) == (False, False, False)
    assert info["registry_storage_provider_name"] == "filesystem"
    assert "current_time" in info


def test_without_an_external_url_the_registry_is_where_the_caller_reached(api_client, alice, settings):
    settings.EXTERNAL_URL = ""

    info = api_client.as_user(alice).get("/api/v2.0/systeminfo", HTTP_HOST="localhost:8000").json()

    assert (info["external_url"], info["registry_url"]) == ("http://localhost:8000", "localhost:8000")


def test_auth_mode_is_ldap_auth_when_ldap_is_on(api_client, settings):
    settings.LDAP_ENABLED = True

    assert api_client.get("/api/v2.0/systeminfo").json()["auth_mode"] == "ldap_auth"


def test_wrong_credentials_on_systeminfo_are_401(api_client, alice):
    api_client.as_user(alice, "wrong")

    assert api_client.get("/api/v2.0/systeminfo").status_code == 401


# --- /systeminfo/volumes --------------------------------------------------------------------------


def test_an_admin_sees_the_data_disk(api_client, admin, settings, tmp_path):
    settings.DATA_DIR = tmp_path

    response = api_client.as_user(admin).get("/api/v2.0/systeminfo/volumes")

    assert response.status_code == 200
    (storage,) = response.json()["storage"]
    assert storage["total"] == shutil.disk_usage(tmp_path).total
    assert 0 < storage["free"] <= storage["total"]


def test_a_normal_user_may_not_see_the_volumes(api_client, alice):
    assert api_client.as_user(alice).get("/api/v2.0/systeminfo/volumes").status_code == 403


def test_anonymous_may_not_see_the_volumes(api_client):
    assert api_client.get("/api/v2.0/systeminfo/volumes").status_code == 401


# --- /health --------------------------------------------------------------------------------------


def test_health_checks_each_component_for_anyone(api_client, settings):
    settings.REDIS_URL = ""

    response = api_client.get("/api/v2.0/health")

    assert response.status_code == 200
    assert response.json() == {
        "status": "healthy",
        "components": [
            {"name": "core", "status": "healthy"},
            {"name": "database", "status": "healthy"},
            {"name": "storage", "status": "healthy"},
        ],
    }


def test_health_ignores_credentials_even_wrong_ones(api_client, alice):
    api_client.as_user(alice, "wrong")

    assert api_client.get("/api/v2.0/health").status_code == 200


def test_redis_is_checked_when_configured(api_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"  # the test cache stays in-process

    components = api_client.get("/api/v2.0/health").json()["components"]

    assert {"name": "redis", "status": "healthy"} in components


def test_a_broken_cache_is_unhealthy_but_still_200(api_client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(health.cache, "get", lambda key: None)

    response = api_client.get("/api/v2.0/health")

    assert response.status_code == 200
    assert response.json()["status"] == "unhealthy"
    assert {"name": "redis", "status": "unhealthy", "error": "CheckFailed"} in response.json()["components"]


def test_a_failing_database_is_unhealthy(api_client, monkeypatch):
    def broken_cursor():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)

    response = api_client.get("/api/v2.0/health")

    assert response.status_code == 200
    assert response.json()["status"] == "unhealthy"
    assert {"name": "database", "status": "unhealthy", "error": "OperationalError"} in response.json()[
        "components"
    ]


def test_an_unwritable_blob_directory_is_unhealthy(api_client, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "blobs")},
        },
    }

    response = api_client.get("/api/v2.0/health")

    assert response.json()["status"] == "unhealthy"
    assert response.json()["components"][-1]["name"] == "storage"
    assert response.json()["components"][-1]["status"] == "unhealthy"


def test_a_missing_blob_directory_is_created_and_healthy(api_client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "fresh" / "blobs")},
        },
    }

    response = api_client.get("/api/v2.0/health")

    assert response.json()["status"] == "healthy"
    assert (tmp_path / "fresh" / "blobs").is_dir()


def test_an_unreachable_remote_store_is_unhealthy(api_client, settings):
    use_blob_storage(settings, f"{__name__}.UnreachableStorage")

    response = api_client.get("/api/v2.0/health")

    assert {"name": "storage", "status": "unhealthy", "error": "ConnectionError"} in response.json()[
        "components"
    ]


def test_a_remote_store_that_does_not_answer_in_time_is_unhealthy(api_client, settings, monkeypatch):
    use_blob_storage(settings, f"{__name__}.HangingStorage")
    monkeypatch.setattr(health, "STORAGE_TIMEOUT_SECONDS", 0.2)
    _release.clear()

    try:
        response = api_client.get("/api/v2.0/health")
    finally:
        _release.set()

    assert {"name": "storage", "status": "unhealthy", "error": "CheckFailed"} in response.json()["components"]
