"""LDAP over TLS against a real slapd with a certificate from its own CA: StartTLS and ldaps://,
the CA file, and certificate verification on and off."""

from __future__ import annotations

import pytest

from projects.authentication import credentials_verify
from tests.support.slapd import PASSWORD, django_settings, make_certificates

pytestmark = pytest.mark.django_db


@pytest.fixture
def tls_server(slapd_tls, settings):
    slapd_tls.reset()
    for name, value in django_settings(slapd_tls).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = ["projects.ldap.LdapBackend", *settings.AUTHENTICATION_BACKENDS]
    settings.LDAP_TIMEOUT = 2
    return slapd_tls


def login(username: str = "bob"):
    return credentials_verify(username=username, password=PASSWORD)


def test_start_tls_with_the_ca_file_logs_in(tls_server, settings):
    settings.LDAP_START_TLS = True
    settings.LDAP_TLS_CA_FILE = str(tls_server.ca_file)

    assert login() is not None


def test_start_tls_refuses_a_certificate_it_cannot_verify(tls_server, settings, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(make_certificates(tmp_path / "other")[0].read_bytes())
    settings.LDAP_START_TLS = True
    settings.LDAP_TLS_CA_FILE = str(other_ca)

    assert login() is None


def test_start_tls_without_verification_logs_in(tls_server, settings, tmp_path):
    settings.LDAP_START_TLS = True
    settings.LDAP_TLS_CA_FILE = str(make_certificates(tmp_path / "other")[0])
    settings.LDAP_VERIFY_CERT = False

    assert login() is not None


def test_ldaps_with_the_ca_file_logs_in(tls_server, settings):
    settings.LDAP_URL = tls_server.ldaps_url
    settings.LDAP_TLS_CA_FILE = str(tls_server.ca_file)

    assert login() is not None


def test_ping_says_why_a_certificate_is_refused(api_client, admin, tls_server, settings, tmp_path):
    settings.LDAP_URL = tls_server.ldaps_url
    settings.LDAP_TLS_CA_FILE = str(make_certificates(tmp_path / "other")[0])

    refused = api_client.as_user(admin).post("/api/v2.0/ldap/ping", {}, format="json").json()
    accepted = api_client.post("/api/v2.0/ldap/ping", {"ldap_verify_cert": False}, format="json").json()

    assert refused["success"] is False
    assert "cannot be reached" in refused["message"], refused["message"]
    assert "certificate" in refused["message"].lower(), refused["message"]
    assert accepted["success"] is True
