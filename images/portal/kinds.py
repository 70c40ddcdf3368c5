"""What kind of thing an artifact is, in words: an image, an index, a signature, an SBOM..."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from images import media_types
from images.models import Artifact

# Config media types of container images.
IMAGE_CONFIGS = frozenset(
    {"application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json"}
)
# artifactType (or config media type) -> what it is, for the types registries commonly hold.
KNOWN_TYPES: dict[str, Promise] = {
    "application/vnd.dev.cosign.artifact.sig.v1+json": _("Cosign signature"),
    "application/vnd.dev.cosign.simplesigning.v1+json": _("Cosign signature"),
    "application/vnd.dev.sigstore.bundle.v0.3+json": _("Sigstore bundle"),
    "application/vnd.dev.sigstore.bundle+json;version=0.3": _("Sigstore bundle"),
    "application/vnd.cncf.notary.signature": _("Notation signature"),
    "application/spdx+json": _("SBOM (SPDX)"),
    "text/spdx": _("SBOM (SPDX)"),
    "application/vnd.cyclonedx+json": _("SBOM (CycloneDX)"),
    "application/vnd.cyclonedx+xml": _("SBOM (CycloneDX)"),
    "application/vnd.goharbor.harbor.sbom.v1": _("SBOM"),
    "application/vnd.in-toto+json": _("Attestation (in-toto)"),
    "application/vnd.cncf.helm.config.v1+json": _("Helm chart"),
    "application/vnd.wasm.config.v0+json": _("WebAssembly module"),
}


def artifact_kind(artifact: Artifact) -> str:
    """A short name of what the artifact is; its media or artifact type when nothing better is known."""
    declared = artifact.artifact_type or artifact.config_media_type
    if declared in KNOWN_TYPES:
        return str(KNOWN_TYPES[declared])
    if artifact.media_type in media_types.INDEXES:
        return str(_("Image index"))
    if declared and declared not in IMAGE_CONFIGS:
        return declared
    if artifact.media_type in media_types.IMAGE_MANIFESTS:
        return str(_("Image"))
    return artifact.media_type
