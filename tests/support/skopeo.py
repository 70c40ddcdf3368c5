"""skopeo command lines shared by the end-to-end tests: copies between OCI layouts and a live server."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.commands import Client
from tests.support.live_server import LiveServer


def creds(server: LiveServer) -> str:
    return ":".join(server.admin_credentials)


def remote(server: LiveServer, reference: str) -> str:
    """A `docker://` transport reference on the live server, e.g. `library/app:v1`."""
    return f"docker://{server.host}/{reference}"


def copy_in(
    skopeo: Client,
    server: LiveServer,
    layout: Path,
    tag: str,
    reference: str,
    *options: str,
    check: bool = True,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Copy `tag` of an OCI layout to `reference` on the server, as admin over plain HTTP."""
    return skopeo(
        "copy",
        *options,
        "--dest-tls-verify=false",
        "--dest-creds",
        creds(server),
        f"oci:{layout}:{tag}",
        remote(server, reference),
        check=check,
        timeout=timeout,
    )


def copy_out(
    skopeo: Client, server: LiveServer, reference: str, layout: Path, tag: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """Copy `reference` from the server into `tag` of an OCI layout (created if absent)."""
    return skopeo(
        "copy",
        *options,
        "--src-tls-verify=false",
        "--src-creds",
        creds(server),
        remote(server, reference),
        f"oci:{layout}:{tag}",
    )
