"""Harbor's artifact types and media types, derived from what a manifest says about itself.

Harbor calls an artifact's "media type" the media type of its config (image manifests), or of
the manifest itself (indexes, where the `org.opencontainers.artifactType` annotation may name
another type, as CNAB bundles do). Its "type" (IMAGE, CHART, ...) follows from that media type:
a known one, else the `<name>` of `application/vnd.<vendor>.<name>.config.<version>+json`
upper-cased, else UNKNOWN. Nothing of this is stored: it is computed from the artifact's row, in
Python for a response and as an SQL expression for a `q=type=...` filter, from the same table.
"""

from __future__ import annotations

import re
from typing import Any, Final

from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, NullIf

from images import media_types as mt

ARTIFACT_TYPE_ANNOTATION: Final = "org.opencontainers.artifactType"
UNKNOWN: Final = "UNKNOWN"

# Harbor's processors, by the media type each one registers.
KNOWN_TYPES: Final[dict[str, str]] = {
    "application/vnd.oci.image.config.v1+json": "IMAGE",
    "application/vnd.docker.container.image.v1+json": "IMAGE",
    mt.OCI_INDEX: "IMAGE",
    mt.DOCKER_MANIFEST_LIST: "IMAGE",
    "application/vnd.cncf.helm.config.v1+json": "CHART",
    "application/vnd.cnab.manifest.v1": "CNAB",
    "application/vnd.wasm.config.v1+json": "WASM",
    "application/vnd.goharbor.harbor.sbom.v1": "SBOM",
    "application/vnd.cncf.model.config.v1+json": "CNAI",
}
# Harbor's fallback for config media types of other tools (its default processor).
_CONFIG_TYPE_PATTERN: Final = r"^application/vnd\.[^.]*\.(.*)\.config\.[^.]*\+json$"
_CONFIG_TYPE_RE: Final = re.compile(_CONFIG_TYPE_PATTERN)

# Accessory types, by the artifactType of a manifest whose subject is another artifact.
ACCESSORY_TYPES: Final[dict[str, str]] = {
    "application/vnd.dev.cosign.artifact.sig.v1+json": "signature.cosign",
    "application/vnd.cncf.notary.signature": "signature.notation",
    "application/vnd.goharbor.harbor.sbom.v1": "harbor.sbom",
}
SUBJECT_ACCESSORY: Final = "subject.accessory"


def harbor_media_type(*, media_type: str, config_media_type: str, annotations: dict[str, Any]) -> str:
    """What Harbor calls the artifact's media type (see the module docstring)."""
    if config_media_type:
        return config_media_type
    if media_type in mt.INDEXES:
        annotated = (annotations or {}).get(ARTIFACT_TYPE_ANNOTATION)
        if isinstance(annotated, str) and annotated:
            return annotated
    return media_type


def artifact_type_of(harbor_type: str) -> str:
    """Harbor's type name (IMAGE, CHART, ...) for a Harbor media type."""
    if known := KNOWN_TYPES.get(harbor_type):
        return known
    match = _CONFIG_TYPE_RE.match(harbor_type)
    return match.group(1).upper() if match else UNKNOWN


def accessory_type_of(artifact_type: str) -> str:
    return ACCESSORY_TYPES.get(artifact_type, SUBJECT_ACCESSORY)


def harbor_media_type_expression() -> Case:
    """harbor_media_type() as an SQL expression over an Artifact row."""
    annotated = NullIf(KeyTextTransform(ARTIFACT_TYPE_ANNOTATION, "annotations"), Value(""))
    return Case(
        When(~Q(config_media_type=""), then=F("config_media_type")),
        When(media_type__in=sorted(mt.INDEXES), then=Coalesce(annotated, F("media_type"))),
        default=F("media_type"),
        output_field=CharField(),
    )


def artifact_type_condition(type_name: str, field: str) -> Q:
    """Rows whose Harbor media type, annotated as `field`, gives the type `type_name`."""
    type_name = type_name.upper()
    known_of_type = sorted(m for m, t in KNOWN_TYPES.items() if t == type_name)
    if type_name == UNKNOWN:
        return ~Q(**{f"{field}__in": sorted(KNOWN_TYPES)}) & ~Q(**{f"{field}__regex": _CONFIG_TYPE_PATTERN})
    condition = Q(**{f"{field}__in": known_of_type}) if known_of_type else Q(pk__in=[])
    if re.fullmatch(r"[A-Z0-9_.+-]+", type_name):
        # Config media types of other tools: application/vnd.<vendor>.<name>.config.<v>+json.
        pattern = rf"^application/vnd\.[^.]*\.{re.escape(type_name.lower())}\.config\.[^.]*\+json$"
        condition |= Q(**{f"{field}__iregex": pattern}) & ~Q(**{f"{field}__in": sorted(KNOWN_TYPES)})
    return condition
