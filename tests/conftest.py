"""Shared fixtures: real filesystem blob storage per test, actors, projects and a registry client."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from images.registry.tokens import token_issue
from projects.models import Project, Role
from projects.services.members import member_set_role
from tests.factories import ProjectFactory, UserFactory
from tests.support import slapd as slapd_support


@pytest.fixture(autouse=True)
def blob_storage(settings, tmp_path_factory):
    """Every test gets its own blob directory on the real filesystem."""
    location = tmp_path_factory.mktemp("blobs")
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 with Django's iteration count costs ~0.5 s per password; tests do not need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _pulls_written_at_once(settings):
    """Pull records are batched in production (images/pulls.py); tests see each one written at once."""
    settings.PULL_FLUSH_SECONDS = 0


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def library(db) -> Project:
    return ProjectFactory(name="library", is_public=True)


@pytest.fixture
def private_project(db) -> Project:
    return ProjectFactory(name="secret", is_public=False)


@pytest.fixture
def role_members(private_project) -> dict[int, object]:
    """One user per Harbor role in the private project `secret` (username = role name), and carol
    with no role at all (key None)."""
    users: dict[int | None, object] = {}
    for role in Role:
        user = UserFactory(username=role.name.lower().replace("_", ""))
        member_set_role(project=private_project, role=role, user=user, actor=None)
        users[role] = user
    users[None] = UserFactory(username="carol")
    return users


def basic_auth(username: str, password: str = "Passw0rd!") -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def bearer(username: str, access: list[dict]) -> str:
    token, _expires, _issued = token_issue(subject=username, audience="harbor-registry", access=access)
    return f"Bearer {token}"


class RegistryClient(Client):
    """Django's test client with a default Authorization header for /v2/ calls."""

    def __init__(self, authorization: str = "", **kwargs):
        super().__init__(**kwargs)
        self.authorization = authorization

    def request(self, **request):
        if self.authorization and "HTTP_AUTHORIZATION" not in request:
            request["HTTP_AUTHORIZATION"] = self.authorization
        return super().request(**request)


@pytest.fixture
def admin_client(admin) -> RegistryClient:
    """A /v2/ client authenticated as the system admin with Basic credentials."""
    return RegistryClient(basic_auth("admin"))


@pytest.fixture
def anon_client(db) -> RegistryClient:
    return RegistryClient()


@pytest.fixture
def client_for(db):
    """Make a /v2/ client: Basic credentials of a (new) user, or a bearer token with `access`."""

    def make(
        *, username: str = "", access: list[dict] | None = None, is_superuser: bool = False
    ) -> RegistryClient:
        user = UserFactory(
            username=username or ("root" if is_superuser else "someone"), is_superuser=is_superuser
        )
        if access is not None:
            return RegistryClient(bearer(user.username, access))
        return RegistryClient(basic_auth(user.username))

    return make


@pytest.fixture
def api_client(db):
    """A DRF test client for /api/v2.0/; `api_client.as_user(user)` sends that user's Basic credentials."""
    from rest_framework.test import APIClient

    class HarborApiClient(APIClient):
        def as_user(self, user, password: str = "Passw0rd!"):
            self.credentials(HTTP_AUTHORIZATION=basic_auth(user.get_username(), password))
            return self

    return HarborApiClient()


# --- LDAP: a real slapd -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def slapd(tmp_path_factory) -> Iterator[slapd_support.Slapd]:
    """An OpenLDAP server on loopback for the whole session (skips when OpenLDAP or python-ldap is
    missing; with HARBORPY_REQUIRE_LDAP=1, as in CI, that fails instead)."""
    yield from _slapd(tmp_path_factory, tls=False)


@pytest.fixture(scope="session")
def slapd_tls(tmp_path_factory) -> Iterator[slapd_support.Slapd]:
    """Another slapd, with a certificate from its own CA: StartTLS on `url`, TLS on `ldaps_url`."""
    yield from _slapd(tmp_path_factory, tls=True)


def _slapd(tmp_path_factory, *, tls: bool) -> Iterator[slapd_support.Slapd]:
    if missing := slapd_support.missing_tools():
        slapd_support.ldap_unavailable(
            f"OpenLDAP is not installed ({', '.join(missing)} missing): apt-get install slapd ldap-utils"
        )
    try:
        import django_auth_ldap  # noqa: F401
        import ldap  # noqa: F401
    except ImportError:
        slapd_support.ldap_unavailable(
            "django-auth-ldap/python-ldap is not installed: pip install -e '.[ldap]' "
            "(needs libldap2-dev and libsasl2-dev)"
        )
    server = slapd_support.Slapd(root=tmp_path_factory.mktemp("slapd"), tls=tls)
    try:
        try:
            server.start()
        except slapd_support.SlapdError as exc:
            pytest.fail(f"slapd did not start: {exc}", pytrace=False)
        yield server
    finally:
        server.stop()


@pytest.fixture
def ldap_server(slapd, settings, db) -> slapd_support.Slapd:
    """The session's slapd with its baseline directory back, and harborpy using it for logins."""
    slapd.reset()
    for name, value in slapd_support.django_settings(slapd).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [
        "projects.ldap.LdapBackend",
        *(backend for backend in settings.AUTHENTICATION_BACKENDS if backend != "projects.ldap.LdapBackend"),
    ]
    return slapd
