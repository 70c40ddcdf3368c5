"""A wrong setting stops the process at start, with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(tmp_path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("HARBORPY_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(
        {"HARBORPY_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "harborpy.settings"}
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HARBORPY_DEBUG": "maybe"}, "HARBORPY_DEBUG must be a boolean"),
        ({"HARBORPY_TOKEN_EXPIRATION": "soon"}, "HARBORPY_TOKEN_EXPIRATION must be an integer"),
        ({"HARBORPY_TOKEN_EXPIRATION": "5"}, "HARBORPY_TOKEN_EXPIRATION must be at least 60"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL must be a postgres:// or sqlite:// URL"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL must be a redis:// URL"),
        ({"HARBORPY_AUDIT_SYSLOG_URL": "syslog.example.com:514"}, "HARBORPY_AUDIT_SYSLOG_URL must look like"),
        (
            {"HARBORPY_AUDIT_SYSLOG_URL": "udp://syslog.example.com"},
            "HARBORPY_AUDIT_SYSLOG_URL must look like",
        ),
        ({"HARBORPY_AUDIT_PULL": "sometimes"}, "HARBORPY_AUDIT_PULL must be a boolean"),
        ({"HARBORPY_EXTERNAL_URL": "registry.example.com"}, "HARBORPY_EXTERNAL_URL must look like"),
        ({"HARBORPY_S3_ENABLED": "true"}, "HARBORPY_S3_BUCKET must be set when HARBORPY_S3_ENABLED"),
        ({"HARBORPY_S3_PART_SIZE": "1024"}, "HARBORPY_S3_PART_SIZE must be at least"),
        ({"HARBORPY_SECRET_KEY_FILE": "/nonexistent/secret"}, "HARBORPY_SECRET_KEY_FILE"),
        ({"HARBORPY_LOG_LEVEL": "LOUD"}, "HARBORPY_LOG_LEVEL"),
    ],
)
def test_bad_values_fail_at_start_naming_the_variable(tmp_path, env, message):
    result = start(tmp_path, **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_defaults_start(tmp_path):
    result = start(tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "secret_key").exists()


def test_secret_key_from_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-0123456789")

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "HARBORPY_DATA_DIR": str(tmp_path / "d"),
            "HARBORPY_SECRET_KEY_FILE": str(secret),
            "DJANGO_SETTINGS_MODULE": "harborpy.settings",
        },
    )

    assert result.stdout.strip() == "from-a-file-0123456789"
