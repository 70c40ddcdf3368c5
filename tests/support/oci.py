"""Building OCI image layouts and manifests for tests, with real gzip'd tar layers."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(files: dict[str, bytes]) -> tuple[bytes, str]:
    """A gzip'd tar layer holding `files`; returns (compressed bytes, diff_id of the tar)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o755 if name.startswith("bin/") else 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), sha256(tar_bytes)


@dataclass
class Image:
    """An image: config, layers and the manifest that ties them, all as bytes."""

    layers: list[bytes]
    config: bytes
    manifest: bytes
    media_type: str
    platform: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    @property
    def blobs(self) -> dict[str, bytes]:
        blobs = {sha256(self.config): self.config}
        blobs.update({sha256(layer): layer for layer in self.layers})
        return blobs


def make_image(
    *,
    layer_count: int = 2,
    layer_size: int = 4096,
    seed: str = "",
    docker: bool = False,
    architecture: str = "amd64",
    os_name: str = "linux",
    subject: dict | None = None,
) -> Image:
    """An image with `layer_count` layers of about `layer_size` random bytes each."""
    layers, diff_ids = [], []
    for i in range(layer_count):
        content = (
            os.urandom(layer_size)
            if not seed
            else hashlib.sha256(f"{seed}-{i}".encode()).digest() * (max(1, layer_size // 32))
        )
        layer, diff_id = layer_tar(
            {f"data/file{i}-{seed}": content, "etc/hello": f"layer {i} {seed}\n".encode()}
        )
        layers.append(layer)
        diff_ids.append(diff_id)
    config = json.dumps(
        {
            "architecture": architecture,
            "os": os_name,
            "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"harborpy test layer {i}"} for i in range(layer_count)],
        },
        sort_keys=True,
    ).encode()
    media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
    manifest_doc = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
            "digest": sha256(config),
            "size": len(config),
        },
        "layers": [
            {"mediaType": DOCKER_LAYER if docker else OCI_LAYER, "digest": sha256(layer), "size": len(layer)}
            for layer in layers
        ],
    }
    if subject:
        manifest_doc["subject"] = subject
    manifest = json.dumps(manifest_doc, indent=2).encode()
    return Image(layers, config, manifest, media_type, {"architecture": architecture, "os": os_name})


def make_index(images: list[Image], *, docker: bool = False) -> bytes:
    media_type = DOCKER_LIST if docker else OCI_INDEX
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": media_type,
            "manifests": [
                {
                    "mediaType": image.media_type,
                    "digest": image.digest,
                    "size": len(image.manifest),
                    "platform": image.platform,
                }
                for image in images
            ],
        },
        indent=2,
    ).encode()


def write_layout(
    path: Path, images: list[Image], *, index_manifest: bytes | None = None, tag: str = "latest"
) -> Path:
    """Write an OCI image layout holding `images` (or an index over them) under `tag`."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (path / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))

    def put(data: bytes) -> str:
        digest = sha256(data)
        (blobs / digest.split(":", 1)[1]).write_bytes(data)
        return digest

    for image in images:
        for data in image.blobs.values():
            put(data)
        put(image.manifest)
    if index_manifest is not None:
        top = {
            "mediaType": json.loads(index_manifest)["mediaType"],
            "digest": put(index_manifest),
            "size": len(index_manifest),
        }
    else:
        image = images[0]
        top = {"mediaType": image.media_type, "digest": image.digest, "size": len(image.manifest)}
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    return path


def image_from_layers(
    layers: list[tuple[bytes, str]], *, architecture: str = "amd64", os_name: str = "linux"
) -> Image:
    """An OCI image of (gzip'd layer, diff_id) pairs from layer_tar(), e.g. layers shared between images."""
    config = json.dumps(
        {
            "architecture": architecture,
            "os": os_name,
            "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id for _layer, diff_id in layers]},
        },
        sort_keys=True,
    ).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
        "layers": [
            {"mediaType": OCI_LAYER, "digest": sha256(layer), "size": len(layer)}
            for layer, _diff_id in layers
        ],
    }
    return Image(
        [layer for layer, _diff_id in layers],
        config,
        json.dumps(manifest, indent=2).encode(),
        OCI_MANIFEST,
        {"architecture": architecture, "os": os_name},
    )


@dataclass(frozen=True)
class LayoutEntry:
    """The descriptor an OCI layout's index.json gives one tag, and the layout it is in."""

    path: Path
    media_type: str
    digest: str
    size: int

    def _path_of(self, digest: str) -> Path:
        algorithm, hex_digest = digest.split(":", 1)
        return self.path / "blobs" / algorithm / hex_digest

    def blob(self, digest: str) -> bytes:
        """A blob (or manifest) of the layout; asserts that it hashes to its digest."""
        data = self._path_of(digest).read_bytes()
        assert sha256(data) == digest, f"layout blob {digest} does not hash to its name"
        return data

    @property
    def manifest(self) -> bytes:
        data = self.blob(self.digest)
        assert len(data) == self.size
        return data

    def digests(self) -> set[str]:
        """Digests of every manifest and blob reachable from this entry, each checked against its bytes."""
        found: set[str] = set()
        manifests = [self.digest]
        while manifests:
            digest = manifests.pop()
            found.add(digest)
            document = json.loads(self.blob(digest))
            manifests += [child["digest"] for child in document.get("manifests", [])]
            for descriptor in [document.get("config"), *document.get("layers", [])]:
                if descriptor:
                    self.blob(descriptor["digest"])
                    found.add(descriptor["digest"])
        return found


def read_layout(path: Path, tag: str = "latest") -> LayoutEntry:
    """The entry of `tag` in the OCI layout at `path` (as skopeo or podman wrote it)."""
    index = json.loads((path / "index.json").read_text())
    for descriptor in index["manifests"]:
        if descriptor.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return LayoutEntry(path, descriptor["mediaType"], descriptor["digest"], descriptor["size"])
    raise AssertionError(f"no tag {tag!r} in {path}/index.json: {index}")


class DirEntry(LayoutEntry):
    """An image or list in containers/image's `dir:` format: manifest.json, <hex>.manifest.json, <hex>."""

    def _path_of(self, digest: str) -> Path:
        if digest == self.digest:
            return self.path / "manifest.json"
        hex_digest = digest.split(":", 1)[1]
        instance = self.path / f"{hex_digest}.manifest.json"
        return instance if instance.exists() else self.path / hex_digest


def read_dir(path: Path) -> DirEntry:
    """The image or list of a `dir:` directory (as skopeo wrote it)."""
    data = (path / "manifest.json").read_bytes()
    return DirEntry(path, json.loads(data).get("mediaType", ""), sha256(data), len(data))


def write_dir(path: Path, images: list[Image], *, index_manifest: bytes | None = None) -> Path:
    """Write `images` (or an index over them) for skopeo's `dir:` transport, which takes any media type.

    skopeo's OCI layout source only finds OCI media types under a tag, so Docker manifest lists
    go in through this format.
    """
    path.mkdir(parents=True)
    (path / "version").write_text("Directory Transport Version: 1.1\n")
    for image in images:
        for digest, data in image.blobs.items():
            (path / digest.split(":", 1)[1]).write_bytes(data)
        if index_manifest is not None:
            (path / f"{image.digest.split(':', 1)[1]}.manifest.json").write_bytes(image.manifest)
    (path / "manifest.json").write_bytes(index_manifest if index_manifest is not None else images[0].manifest)
    return path


def write_docker_archive(path: Path, image: Image, repo_tag: str) -> Path:
    """Write `image` as a `docker save` archive (uncompressed layers) for `docker load`."""
    config_name = sha256(image.config).split(":", 1)[1] + ".json"
    members: dict[str, bytes] = {config_name: image.config}
    layer_names = []
    for layer in image.layers:
        tar_bytes = gzip.decompress(layer)
        name = sha256(tar_bytes).split(":", 1)[1] + "/layer.tar"
        members[name] = tar_bytes
        layer_names.append(name)
    manifest = [{"Config": config_name, "RepoTags": [repo_tag], "Layers": layer_names}]
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return path
