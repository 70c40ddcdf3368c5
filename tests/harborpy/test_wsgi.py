"""The WSGI entry point sends registry traffic through the lean handler, the rest through Django's."""

from __future__ import annotations

import io

import pytest

from harborpy.wsgi import application, registry_application, site_application

pytestmark = pytest.mark.django_db(transaction=True)


def call(path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        **headers,
    }
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(response_headers)

    body = b"".join(application(environ, start_response))
    return captured["status"], captured["headers"], body


def test_registry_paths_skip_the_browser_middleware():
    status, headers, body = call("/v2/")
    assert b"UNAUTHORIZED" in body

    assert status.startswith("401")
    assert "X-Frame-Options" not in headers
    assert "Vary" not in headers
    assert headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_site_paths_keep_the_full_middleware():
    status, headers, _body = call("/admin/login/")

    assert status.startswith("200")
    assert headers["X-Frame-Options"] == "DENY"


def test_the_two_handlers_are_distinct():
    assert registry_application is not site_application
