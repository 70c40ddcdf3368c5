"""The token service, bearer and Basic authentication on /v2/, and request validation."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from django.contrib.auth.hashers import check_password

from images.registry.tokens import _load_private_key, parse_scopes, token_verify
from tests.conftest import RegistryClient, basic_auth, bearer
from tests.factories import UserFactory
from tests.support.oci import make_image
from tests.support.registry import errors, push_image

pytestmark = pytest.mark.django_db


def get_token(client, *scopes: str, authorization: str = "") -> dict:
    query = "&".join(f"scope={s}" for s in scopes)
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get(f"/service/token?service=harbor-registry&{query}", **extra)
    assert response.status_code == 200, response.content
    return response.json()


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_token_grants_requested_actions_to_an_admin(client, admin, library):
    data = get_token(client, "repository:library/app:pull,push", authorization=basic_auth("admin"))

    claims = claims_of(data["token"])
    assert data["access_token"] == data["token"]
    assert data["expires_in"] == 1800
    assert claims["sub"] == "admin"
    assert claims["aud"] == "harbor-registry"
    assert claims["access"] == [{"type": "repository", "name": "library/app", "actions": ["pull", "push"]}]
    assert jwt.get_unverified_header(data["token"])["alg"] == "RS256"


def test_anonymous_token_grants_pull_on_public_projects_only(client, library, private_project):
    data = get_token(client, "repository:library/app:pull,push", "repository:secret/app:pull")

    assert claims_of(data["token"])["access"] == [
        {"type": "repository", "name": "library/app", "actions": ["pull"]},
        {"type": "repository", "name": "secret/app", "actions": []},
    ]
    assert claims_of(data["token"])["sub"] == ""


def test_token_for_a_missing_project_grants_nothing(client, admin):
    data = get_token(client, "repository:nosuch/app:pull,push", authorization=basic_auth("admin"))

    assert claims_of(data["token"])["access"][0]["actions"] == []


def test_scope_with_registry_host_and_port_is_understood(client, admin, library):
    data = get_token(client, "repository:127.0.0.1:5000/library/app:pull", authorization=basic_auth("admin"))

    assert claims_of(data["token"])["access"] == [
        {"type": "repository", "name": "library/app", "actions": ["pull"]}
    ]


def test_parse_scopes_splits_multiple_and_keeps_colons_in_names():
    scopes = parse_scopes(
        ["repository:a/b:pull,push repository:localhost:5000/c/d:pull", "registry:catalog:*"]
    )

    assert [(s.type, s.name, sorted(s.actions)) for s in scopes] == [
        ("repository", "a/b", ["pull", "push"]),
        ("repository", "c/d", ["pull"]),
        ("registry", "catalog", ["*"]),
    ]


def test_token_with_wrong_password_is_401(client, admin):
    response = client.get(
        "/service/token?scope=repository:library/app:pull", HTTP_AUTHORIZATION=basic_auth("admin", "wrong")
    )

    assert response.status_code == 401
    assert errors(response) == ["UNAUTHORIZED"]


def test_oauth2_password_grant(client, admin, library):
    response = client.post(
        "/service/token",
        {
            "grant_type": "password",
            "username": "admin",
            "password": "Passw0rd!",
            "scope": "repository:library/app:pull",
            "service": "harbor-registry",
            "client_id": "containerd",
        },
    )

    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["access"][0]["actions"] == ["pull"]


def test_oauth2_refresh_grant_is_unsupported(client, admin):
    response = client.post("/service/token", {"grant_type": "refresh_token", "refresh_token": "x"})

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_docker_login_flow_base_endpoint(client, admin):
    challenge = client.get("/v2/")
    token = get_token(client, authorization=basic_auth("admin"))["token"]

    response = client.get("/v2/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert challenge.status_code == 401
    assert (
        challenge["WWW-Authenticate"]
        == 'Bearer realm="http://testserver/service/token",service="harbor-registry"'
    )
    assert response.status_code == 200
    assert response.json() == {}


def test_external_url_is_used_for_realm_and_locations(client, admin, library, settings):
    settings.EXTERNAL_URL = "https://registry.example.com"

    response = client.get("/v2/")

    assert response["WWW-Authenticate"].startswith(
        'Bearer realm="https://registry.example.com/service/token"'
    )


def test_bearer_token_is_checked_against_its_scopes(library):
    image = make_image()
    push_image(
        RegistryClient(
            bearer("admin", [{"type": "repository", "name": "library/app", "actions": ["pull", "push"]}])
        ),
        "library/app",
        "v1",
        image,
    )
    pull_only = RegistryClient(
        bearer("bob", [{"type": "repository", "name": "library/app", "actions": ["pull"]}])
    )

    assert pull_only.get("/v2/library/app/manifests/v1").status_code == 200
    response = pull_only.post("/v2/library/app/blobs/uploads/")
    assert response.status_code == 401
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_a_token_for_one_repository_does_not_open_another(library):
    client = RegistryClient(bearer("admin", [{"type": "repository", "name": "library/a", "actions": ["*"]}]))

    assert client.post("/v2/library/b/blobs/uploads/").status_code == 401


def _forge(claims: dict, key=None, algorithm="RS256", headers=None) -> str:
    if algorithm == "none":
        header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
        return (header + b"." + payload + b".").decode()
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def _claims(**overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": "harborpy-token-issuer",
        "sub": "mallory",
        "aud": "harbor-registry",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "access": [{"type": "repository", "name": "library/app", "actions": ["push", "pull"]}],
    }
    claims.update(overrides)
    return claims


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: _forge(_claims(), algorithm="none"), id="alg-none"),
        pytest.param(
            lambda: _forge(_claims(), key="a-guessed-secret-of-32-bytes-len", algorithm="HS256"),
            id="hs256-with-guessed-key",
        ),
        pytest.param(
            lambda: _forge(_claims(exp=int(time.time()) - 3600), key=_load_private_key()), id="expired"
        ),
        pytest.param(
            lambda: _forge(_claims(aud="another-registry"), key=_load_private_key()), id="wrong-audience"
        ),
        pytest.param(lambda: _forge(_claims(iss="someone-else"), key=_load_private_key()), id="wrong-issuer"),
        pytest.param(lambda: _tamper(_forge(_claims(), key=_load_private_key())), id="tampered-payload"),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
    ],
)
def test_forged_or_stale_tokens_are_refused(library, make_token):
    client = RegistryClient(f"Bearer {make_token()}")

    response = client.post("/v2/library/app/blobs/uploads/")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["access"][0]["name"] = "secret/app"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_valid_token_verifies():
    token = _forge(_claims(), key=_load_private_key())

    assert token_verify(token).allows("repository", "library/app", "push")


def test_basic_auth_on_v2_works_and_caches_the_verified_password(library, admin, monkeypatch):
    calls = []
    original = check_password

    def counting_check(password, encoded, *args, **kwargs):
        calls.append(1)
        return original(password, encoded, *args, **kwargs)

    monkeypatch.setattr("django.contrib.auth.base_user.check_password", counting_check)
    client = RegistryClient(basic_auth("admin"))

    for _ in range(5):
        assert client.get("/v2/").status_code == 200

    assert len(calls) == 1


def test_wrong_basic_password_is_401_with_challenge(library, admin):
    response = RegistryClient(basic_auth("admin", "nope")).get("/v2/library/app/tags/list")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer realm=")


def test_disabled_user_cannot_authenticate(library):
    UserFactory(username="gone", is_active=False)

    assert RegistryClient(basic_auth("gone")).get("/v2/").status_code == 401


def test_authenticated_user_without_project_is_told_name_unknown(admin_client, alice):
    response = RegistryClient(basic_auth("alice")).post("/v2/nosuch/app/blobs/uploads/")

    assert response.status_code == 404
    assert errors(response) == ["NAME_UNKNOWN"]


def test_token_caller_pushing_to_a_missing_project_gets_name_unknown(alice):
    client = RegistryClient(bearer("alice", [{"type": "repository", "name": "nosuch/app", "actions": []}]))

    response = client.post("/v2/nosuch/app/blobs/uploads/")

    assert response.status_code == 404
    assert errors(response) == ["NAME_UNKNOWN"]


@pytest.mark.parametrize(
    "name",
    [
        "Library/App",
        "library/../etc",
        "library//app",
        "library/app/",
        "-library/app",
        "library/" + "a" * 250,
        "single",
        "library/app:tag",
        "library/ap$p",
    ],
)
def test_invalid_repository_names_are_name_invalid(admin_client, library, name):
    response = admin_client.get(f"/v2/{name}/tags/list")

    assert response.status_code == 400
    assert errors(response) == ["NAME_INVALID"]


def test_unsupported_method_is_405_unsupported(admin_client, library):
    response = admin_client.post("/v2/library/app/tags/list")

    assert response.status_code == 405
    assert errors(response) == ["UNSUPPORTED"]


def test_unknown_v2_path_is_an_oci_error(admin_client):
    response = admin_client.get("/v2/library/app/whatever")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert errors(response) == ["NOT_FOUND"]


def test_registry_writes_are_exempt_from_csrf_even_through_the_full_middleware(admin, library):
    client = RegistryClient(basic_auth("admin"), enforce_csrf_checks=True)

    response = client.post("/v2/library/app/blobs/uploads/")

    assert response.status_code == 202
    assert (
        client.post(
            "/service/token", {"grant_type": "password", "username": "admin", "password": "Passw0rd!"}
        ).status_code
        == 200
    )
