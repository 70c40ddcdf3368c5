"""Parsing and validating manifests: pure functions, no database and no storage."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from images import media_types as mt
from images.digests import DIGEST_RE, EMPTY_JSON_DIGEST
from images.errors import ManifestInvalid


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    urls: tuple[str, ...] = ()
    artifact_type: str = ""
    platform: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_foreign(self) -> bool:
        """A layer the registry need not hold: it is fetched from its URLs."""
        return self.media_type in mt.FOREIGN_LAYERS or bool(self.urls)

    @property
    def is_empty_json(self) -> bool:
        """The OCI empty descriptor, `{}`, which clients need not upload."""
        return self.digest == EMPTY_JSON_DIGEST and self.size == 2


@dataclass(frozen=True)
class ParsedManifest:
    media_type: str
    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()
    manifests: tuple[Descriptor, ...] = ()
    subject: Descriptor | None = None
    artifact_type: str = ""
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_index(self) -> bool:
        return self.media_type in mt.INDEXES

    def required_blobs(self) -> list[Descriptor]:
        """Config and layers that must exist in the repository before the manifest may."""
        blobs = [self.config] if self.config is not None and not self.config.is_empty_json else []
        return blobs + [layer for layer in self.layers if not layer.is_foreign and not layer.is_empty_json]

    @property
    def effective_artifact_type(self) -> str:
        """The artifactType the referrers API reports: the field, else the config's media type."""
        if self.artifact_type:
            return self.artifact_type
        if self.config is not None and self.media_type == mt.OCI_MANIFEST:
            return self.config.media_type
        return ""


def _invalid(message: str, **detail: Any) -> ManifestInvalid:
    return ManifestInvalid(message, detail=detail)


def _string_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _invalid(_("%(where)s must map strings to strings.") % {"where": where})
    return dict(value)


def _descriptor(value: Any, where: str) -> Descriptor:
    if not isinstance(value, dict):
        raise _invalid(_("%(where)s must be a descriptor object.") % {"where": where})
    media_type, digest, size = value.get("mediaType"), value.get("digest"), value.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise _invalid(_("%(where)s has no mediaType.") % {"where": where})
    if not isinstance(digest, str) or not DIGEST_RE.match(digest):
        raise _invalid(_("%(where)s has an invalid digest.") % {"where": where}, digest=str(digest))
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise _invalid(_("%(where)s has an invalid size.") % {"where": where}, digest=digest)
    urls = value.get("urls") or []
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise _invalid(_("%(where)s has invalid urls.") % {"where": where}, digest=digest)
    platform = value.get("platform") or {}
    if not isinstance(platform, dict):
        raise _invalid(_("%(where)s has an invalid platform.") % {"where": where}, digest=digest)
    artifact_type = value.get("artifactType") or ""
    if not isinstance(artifact_type, str):
        raise _invalid(_("%(where)s has an invalid artifactType.") % {"where": where}, digest=digest)
    return Descriptor(
        media_type=media_type,
        digest=digest,
        size=size,
        urls=tuple(urls),
        artifact_type=artifact_type,
        platform=platform,
        annotations=_string_map(value.get("annotations"), where),
    )


def _descriptor_list(value: Any, where: str) -> tuple[Descriptor, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _invalid(_("%(where)s must be a list.") % {"where": where})
    return tuple(_descriptor(item, f"{where}[{i}]") for i, item in enumerate(value))


def _media_type(content_type: str, document: dict[str, Any]) -> str:
    declared = document.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise _invalid(_("mediaType must be a string."))
    if (
        content_type in mt.SCHEMA1 - {"application/json"}
        or declared in mt.SCHEMA1
        or (document.get("schemaVersion") == 1)
    ):
        raise _invalid(_("Docker image manifest schema 1 is not supported; push schema 2 or OCI."))
    if content_type in mt.MANIFESTS:
        if declared and declared != content_type:
            raise _invalid(
                _("The manifest's mediaType %(declared)s does not match Content-Type %(content_type)s.")
                % {"declared": declared, "content_type": content_type}
            )
        return content_type
    if content_type not in {"", "application/json", "application/octet-stream"}:
        raise _invalid(_("Unsupported manifest media type %(type)s.") % {"type": content_type})
    if declared:
        if declared not in mt.MANIFESTS:
            raise _invalid(_("Unsupported manifest media type %(type)s.") % {"type": declared})
        return declared
    # OCI allows omitting mediaType; the shape tells which document it is.
    return mt.OCI_INDEX if "manifests" in document else mt.OCI_MANIFEST


def parse_manifest(content_type: str, payload: bytes) -> ParsedManifest:
    """Validate a manifest or index payload; raises ManifestInvalid."""
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise _invalid(_("The manifest is not valid JSON.")) from None
    if not isinstance(document, dict):
        raise _invalid(_("The manifest must be a JSON object."))
    if b"\\u0000" in payload:  # the only way JSON can carry a NUL, which PostgreSQL cannot store
        raise _invalid(_("The manifest must not contain NUL characters."))
    content_type = content_type.split(";", 1)[0].strip().lower()
    media_type = _media_type(content_type, document)
    if document.get("schemaVersion") != 2:
        raise _invalid(_("schemaVersion must be 2."))
    artifact_type = document.get("artifactType") or ""
    if not isinstance(artifact_type, str):
        raise _invalid(_("artifactType must be a string."))
    subject = _descriptor(document["subject"], "subject") if document.get("subject") is not None else None
    annotations = _string_map(document.get("annotations"), "annotations")
    if media_type in mt.INDEXES:
        if "manifests" not in document:
            raise _invalid(_("An index must list its manifests."))
        manifests = _descriptor_list(document.get("manifests"), "manifests")
        return ParsedManifest(
            media_type=media_type,
            manifests=manifests,
            subject=subject,
            artifact_type=artifact_type,
            annotations=annotations,
        )
    if "config" not in document:
        raise _invalid(_("An image manifest must have a config descriptor."))
    return ParsedManifest(
        media_type=media_type,
        config=_descriptor(document["config"], "config"),
        layers=_descriptor_list(document.get("layers"), "layers"),
        subject=subject,
        artifact_type=artifact_type,
        annotations=annotations,
    )
