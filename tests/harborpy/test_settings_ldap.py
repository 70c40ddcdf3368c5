"""HARBORPY_LDAP_*: a wrong or missing value stops the process at start; a good one switches LDAP on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.slapd import Slapd, django_settings, harborpy_environment

ROOT = Path(__file__).resolve().parents[2]
LDAP = {
    "HARBORPY_LDAP_URL": "ldap://ldap.example.org",
    "HARBORPY_LDAP_USER_BASE_DN": "ou=people,dc=example,dc=org",
}


def run(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("HARBORPY_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(
        {"HARBORPY_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "harborpy.settings", **env}
    )
    return subprocess.run(
        [sys.executable, "-c", f"import django\n{code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_of(tmp_path: Path, *names: str, **env: str) -> dict:
    code = (
        "import json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {list(names)!r}}}, default=str))"
    )
    result = run(tmp_path, code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HARBORPY_LDAP_URL": "ldap://ldap.example.org"}, "HARBORPY_LDAP_USER_BASE_DN must be set"),
        ({**LDAP, "HARBORPY_LDAP_URL": "http://ldap.example.org"}, "HARBORPY_LDAP_URL must look like"),
        (
            {**LDAP, "HARBORPY_LDAP_BIND_DN": "cn=svc,dc=example,dc=org"},
            "HARBORPY_LDAP_BIND_PASSWORD must be set",
        ),
        (
            {**LDAP, "HARBORPY_LDAP_SCOPE": "everything"},
            "HARBORPY_LDAP_SCOPE must be base, onelevel or subtree",
        ),
        ({**LDAP, "HARBORPY_LDAP_GROUP_TYPE": "teams"}, "HARBORPY_LDAP_GROUP_TYPE must be one of"),
        ({**LDAP, "HARBORPY_LDAP_TIMEOUT": "soon"}, "HARBORPY_LDAP_TIMEOUT must be an integer"),
        ({**LDAP, "HARBORPY_LDAP_TIMEOUT": "0"}, "HARBORPY_LDAP_TIMEOUT must be at least 1"),
        ({**LDAP, "HARBORPY_LDAP_START_TLS": "maybe"}, "HARBORPY_LDAP_START_TLS must be a boolean"),
        ({**LDAP, "HARBORPY_LDAP_VERIFY_CERT": "maybe"}, "HARBORPY_LDAP_VERIFY_CERT must be a boolean"),
        ({**LDAP, "HARBORPY_LDAP_TLS_CA_FILE": "/nonexistent/ca.pem"}, "HARBORPY_LDAP_TLS_CA_FILE"),
        ({**LDAP, "HARBORPY_LDAP_BIND_PASSWORD_FILE": "/nonexistent/pw"}, "HARBORPY_LDAP_BIND_PASSWORD_FILE"),
        ({**LDAP, "HARBORPY_LDAP_SYNC_INTERVAL": "-1"}, "HARBORPY_LDAP_SYNC_INTERVAL must be at least 0"),
    ],
)
def test_bad_ldap_values_fail_at_start_naming_the_variable(tmp_path, env, message):
    result = run(tmp_path, "django.setup()", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_ldap_without_django_auth_ldap_installed_says_how_to_install_it(tmp_path):
    result = run(tmp_path, "import sys; sys.modules['django_auth_ldap'] = None; django.setup()", **LDAP)

    assert result.returncode != 0
    assert "pip install 'harborpy[ldap]'" in result.stderr


def test_ldap_is_off_by_default(tmp_path):
    values = settings_of(tmp_path, "LDAP_ENABLED", "AUTHENTICATION_BACKENDS", "CELERY_BEAT_SCHEDULE")

    assert values["LDAP_ENABLED"] is False
    assert "projects.ldap.LdapBackend" not in values["AUTHENTICATION_BACKENDS"]
    assert "ldap-sync" not in values["CELERY_BEAT_SCHEDULE"]


def test_an_ldap_url_puts_the_ldap_backend_first(tmp_path):
    values = settings_of(tmp_path, "LDAP_ENABLED", "AUTHENTICATION_BACKENDS", **LDAP)

    assert values["LDAP_ENABLED"] is True
    assert values["AUTHENTICATION_BACKENDS"] == [
        "projects.ldap.LdapBackend",
        "django.contrib.auth.backends.ModelBackend",
        "guardian.backends.ObjectPermissionBackend",
    ]


def test_ldap_sync_runs_every_interval(tmp_path):
    values = settings_of(tmp_path, "CELERY_BEAT_SCHEDULE", **LDAP, HARBORPY_LDAP_SYNC_INTERVAL="600")

    assert values["CELERY_BEAT_SCHEDULE"]["ldap-sync"] == {
        "task": "projects.tasks.ldap_sync_task",
        "schedule": 600,
    }


def test_an_ldap_sync_interval_of_zero_turns_the_periodic_sync_off(tmp_path):
    values = settings_of(tmp_path, "CELERY_BEAT_SCHEDULE", **LDAP, HARBORPY_LDAP_SYNC_INTERVAL="0")

    assert "ldap-sync" not in values["CELERY_BEAT_SCHEDULE"]


def test_the_bind_password_may_come_from_a_file(tmp_path):
    secret = tmp_path / "bind-password"
    secret.write_text("from-a-file\n")

    values = settings_of(
        tmp_path,
        "LDAP_BIND_PASSWORD",
        **LDAP,
        HARBORPY_LDAP_BIND_DN="cn=svc,dc=example,dc=org",
        HARBORPY_LDAP_BIND_PASSWORD_FILE=str(secret),
    )

    assert values["LDAP_BIND_PASSWORD"] == "from-a-file"


def test_groups_are_searched_under_the_user_base_dn_by_default(tmp_path):
    values = settings_of(tmp_path, "LDAP_GROUP_BASE_DN", **LDAP)

    assert values["LDAP_GROUP_BASE_DN"] == "ou=people,dc=example,dc=org"


def test_the_test_servers_environment_makes_the_settings_the_tests_use(tmp_path):
    server = Slapd(root=tmp_path / "slapd", port=3899)

    values = settings_of(tmp_path, *django_settings(server), **harborpy_environment(server))

    assert values == django_settings(server)
