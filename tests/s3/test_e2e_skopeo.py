"""End to end on S3: a live gunicorn configured only through HARBORPY_S3_* and skopeo copying an image.

The server gets a fresh data directory with its own SQLite database (DATABASE_URL is removed from
its environment, so the run never touches another database), runs `migrate` and `bootstrap`,
and stores blobs in the SeaweedFS bucket of the session. skopeo pushes an OCI layout into it
and pulls it back through the 307 redirects to presigned URLs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.s3.conftest import BUCKET, LOCATION, PART_SIZE, S3Blobs
from tests.support.commands import client_unavailable
from tests.support.oci import make_image, sha256, write_layout
from tests.support.seaweedfs import S3Credentials, free_ports

pytestmark = [pytest.mark.s3, pytest.mark.e2e]

BASE_DIR = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


@dataclass
class LiveServer:
    """A gunicorn serving harborpy on 127.0.0.1, with the environment it was started with."""

    url: str
    host: str
    password: str
    data_dir: Path
    access_log: Path
    redirect: bool


def _server_env(
    credentials: S3Credentials, data_dir: Path, port: int, password: str, access_log: Path, redirect: bool
) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "HARBORPY_TEST_SQLITE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "harborpy.settings",
            "HARBORPY_DATA_DIR": str(data_dir),
            "HARBORPY_ADMIN_PASSWORD": password,
            "HARBORPY_S3_ENABLED": "true",
            "HARBORPY_S3_BUCKET": BUCKET,
            "HARBORPY_S3_ENDPOINT_URL": credentials.endpoint_url,
            "HARBORPY_S3_ACCESS_KEY": credentials.access_key,
            "HARBORPY_S3_SECRET_KEY": credentials.secret_key,
            "HARBORPY_S3_REGION": credentials.region,
            "HARBORPY_S3_PART_SIZE": str(PART_SIZE),
            "HARBORPY_S3_REDIRECT": "true" if redirect else "false",
            "PORT": str(port),
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
            "GUNICORN_ACCESSLOG": str(access_log),
        }
    )
    return env


@pytest.fixture(params=["redirect", "stream"])
def s3_registry(
    request: pytest.FixtureRequest, seaweedfs: S3Credentials, s3_blobs: S3Blobs, tmp_path: Path
) -> Iterator[LiveServer]:
    """migrate, bootstrap, then gunicorn on a free port, pulls redirected to S3 or streamed.

    The whole process group is stopped afterwards.
    """
    if shutil.which("skopeo") is None:
        client_unavailable("skopeo is not installed")
    redirect = request.param == "redirect"
    data_dir = tmp_path / "data"
    port = free_ports(1)[0]
    password = "s3-e2e-" + secrets.token_hex(8)
    access_log = tmp_path / "access.log"
    env = _server_env(seaweedfs, data_dir, port, password, access_log, redirect)
    for command in (["migrate", "--noinput"], ["bootstrap"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "harborpy/gunicorn.conf.py",
                "harborpy.wsgi",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/v2/", timeout=10).status_code == 401:
                    break
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or a worker still importing Django on a busy machine.
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer on {url}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield LiveServer(
            url=url,
            host=f"127.0.0.1:{port}",
            password=password,
            data_dir=data_dir,
            access_log=access_log,
            redirect=redirect,
        )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def _skopeo(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    env = {**os.environ, "TMPDIR": str(tmp_path), "REGISTRY_AUTH_FILE": str(tmp_path / "auth.json")}
    return subprocess.run(
        ["skopeo", "--policy", str(policy), *args], env=env, capture_output=True, text=True, timeout=600
    )


def test_skopeo_copies_an_image_into_s3_and_back(s3_registry, s3_blobs, tmp_path):
    # Each layer spans two 5 MiB parts; the config is a single small part.
    image = make_image(layer_count=2, layer_size=6 * MiB)
    layout = write_layout(tmp_path / "layout", [image])
    creds = f"admin:{s3_registry.password}"
    reference = f"docker://{s3_registry.host}/library/app:1"

    pushed = _skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        creds,
        f"oci:{layout}:latest",
        reference,
        tmp_path=tmp_path,
    )
    assert pushed.returncode == 0, pushed.stderr
    pulled = _skopeo(
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        creds,
        reference,
        f"oci:{tmp_path / 'back'}:latest",
        tmp_path=tmp_path,
    )
    assert pulled.returncode == 0, pulled.stderr

    index = json.loads((tmp_path / "back" / "index.json").read_text())
    assert [m["digest"] for m in index["manifests"]] == [image.digest]
    for digest, data in image.blobs.items():
        copied = (tmp_path / "back" / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()
        assert sha256(copied) == digest and copied == data
    with sqlite3.connect(s3_registry.data_dir / "harborpy.sqlite3") as db:
        rows = dict(db.execute("SELECT digest, storage_key FROM images_blob").fetchall())
    assert set(rows) == set(image.blobs)
    assert s3_blobs.keys() == sorted(f"{LOCATION}/{key}" for key in rows.values())
    assert s3_blobs.uploads() == []
    for digest in image.blobs:
        assert s3_blobs.read(rows[digest]) == image.blobs[digest]
    # With redirects the pull went to presigned S3 URLs; without, gunicorn streamed from S3.
    blob_gets = [
        line
        for line in s3_registry.access_log.read_text().splitlines()
        if "GET /v2/library/app/blobs/" in line
    ]
    assert len(blob_gets) == len(image.blobs)
    status = "307" if s3_registry.redirect else "200"
    assert all(f'" {status} ' in line for line in blob_gets), blob_gets
