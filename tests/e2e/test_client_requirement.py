"""A missing client skips its tests on a developer's machine and fails them in CI."""

from __future__ import annotations

import pytest

from tests.support.commands import client_binary

pytestmark = pytest.mark.e2e


def test_a_missing_client_skips_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("HARBORPY_REQUIRE_CLIENTS", raising=False)

    with pytest.raises(pytest.skip.Exception, match="skopeo is not installed"):
        client_binary("skopeo")


def test_a_missing_client_fails_when_clients_are_required(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HARBORPY_REQUIRE_CLIENTS", "1")

    with pytest.raises(pytest.fail.Exception, match=r"skopeo is not installed.*HARBORPY_REQUIRE_CLIENTS=1"):
        client_binary("skopeo")


def test_an_installed_client_is_found(monkeypatch, tmp_path):
    binary = tmp_path / "skopeo"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HARBORPY_REQUIRE_CLIENTS", "1")

    assert client_binary("skopeo") == str(binary)
