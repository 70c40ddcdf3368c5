"""Template helpers of the portal: digests, artifact kinds, platforms, pull commands and links."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from images.models import Artifact, Repository
from images.portal.kinds import IMAGE_CONFIGS, artifact_kind

register = template.Library()

# A digest is shown as its algorithm and this many hex digits (the whole digest in a tooltip).
DIGEST_SHOWN = 12


@register.filter
def short_digest(digest: str) -> str:
    algorithm, _sep, hex_digits = digest.partition(":")
    return f"{algorithm}:{hex_digits[:DIGEST_SHOWN]}"


@register.filter
def kind(artifact: Artifact) -> str:
    return artifact_kind(artifact)


@register.filter
def declared_type(artifact: Artifact) -> str:
    """The artifact's artifactType, unless it only says that the artifact is a container image."""
    return "" if artifact.artifact_type in IMAGE_CONFIGS else artifact.artifact_type


@register.filter
def platform(value: dict[str, Any]) -> str:
    """An OCI platform as `os/architecture/variant` (`linux/arm64/v8`), with its OS version if any."""
    parts = [value.get("os", ""), value.get("architecture", ""), value.get("variant", "")]
    shown = "/".join(part for part in parts if part)
    if value.get("os.version"):
        shown += f" ({value['os.version']})"
    return shown


def _short_path(repository: Repository) -> str:
    return repository.name.partition("/")[2]


@register.simple_tag
def repository_url(repository: Repository) -> str:
    return reverse("portal:repository", args=[repository.name.partition("/")[0], _short_path(repository)])


@register.simple_tag
def artifact_url(repository: Repository, digest: str, action: str = "") -> str:
    name = "portal:artifact-delete" if action == "delete" else "portal:artifact"
    return reverse(name, args=[repository.name.partition("/")[0], _short_path(repository), digest])


@register.simple_tag
def tag_delete_url(repository: Repository, tag: str) -> str:
    return reverse(
        "portal:tag-delete", args=[repository.name.partition("/")[0], _short_path(repository), tag]
    )


@register.simple_tag(takes_context=True)
def pull_command(context: template.Context, tool: str, repository: Repository, reference: str) -> str:
    """`docker pull <host>/<repository>:<tag>` (or `@<digest>`), for docker or podman."""
    separator = "@" if ":" in reference else ":"
    return f"{tool} pull {context['pull_host']}/{repository.name}{separator}{reference}"


# The audit trail's operation and resource type codes, in words; other codes are shown as they are.
OPERATIONS = {
    "create": _("Create"),
    "update": _("Update"),
    "delete": _("Delete"),
    "pull": _("Pull"),
    "login": _("Log in"),
    "refresh": _("Refresh"),
}
RESOURCE_TYPES = {
    "artifact": _("Artifact"),
    "tag": _("Tag"),
    "repository": _("Repository"),
    "project": _("Project"),
    "member": _("Member"),
    "robot": _("Robot account"),
    "user": _("User"),
    "usergroup": _("User group"),
    "configuration": _("Configuration"),
}


@register.filter
def operation(code: str) -> str:
    return str(OPERATIONS.get(code, code))


@register.filter
def resource_type(code: str) -> str:
    return str(RESOURCE_TYPES.get(code, code))
