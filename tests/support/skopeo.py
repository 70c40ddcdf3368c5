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


def oci(layout: Path, tag: str) -> str:
    """The `oci:` transport reference of `tag` in an OCI layout."""
    return f"oci:{layout}:{tag}"


def copy_in(
    skopeo: Client,
    server: LiveServer,
    source: str,
    reference: str,
    *options: str,
    check: bool = True,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Copy `source` (e.g. `oci(layout, tag)`) to `reference` on the server, as admin over plain HTTP."""
    return skopeo(
        "copy",
        *options,
        "--dest-tls-verify=false",
        "--dest-creds",
        creds(server),
        source,
        remote(server, reference),
        check=check,
        timeout=timeout,
    )


def copy_out(
    skopeo: Client, server: LiveServer, reference: str, destination: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """Copy `reference` from the server to `destination`, e.g. `oci(layout, tag)` or `dir:<path>`."""
    return skopeo(
        "copy",
        *options,
        "--src-tls-verify=false",
        "--src-creds",
        creds(server),
        remote(server, reference),
        destination,
    )
