"""Repository names, tags and references, as the OCI distribution-spec defines them."""

from __future__ import annotations

import re
from typing import Final

from django.utils.translation import gettext as _

from images.digests import DIGEST_GRAMMAR_RE, is_digest
from images.errors import DigestInvalid, NameInvalid, TagInvalid

_COMPONENT: Final = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
REPOSITORY_NAME_RE: Final = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})+$")
TAG_RE: Final = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
# Harbor's limit on a repository name, including the project.
REPOSITORY_NAME_MAX_LENGTH: Final = 255


def validate_repository_name(name: str) -> str:
    """Return `name` if it is a valid `<project>/<repository>` name; raises NameInvalid."""
    if len(name) > REPOSITORY_NAME_MAX_LENGTH:
        raise NameInvalid(
            _("The repository name is longer than %(max)d characters.") % {"max": REPOSITORY_NAME_MAX_LENGTH},
            detail={"name": name[:REPOSITORY_NAME_MAX_LENGTH] + "..."},
        )
    if not REPOSITORY_NAME_RE.match(name):
        raise NameInvalid(
            _(
                "Invalid repository name %(name)s: it must be <project>/<repository>, in lowercase letters, "
                "digits and separators (. _ __ -)."
            )
            % {"name": name},
            detail={"name": name},
        )
    return name


def project_name_of(repository_name: str) -> str:
    """The project a repository belongs to: the first path component of its name."""
    return repository_name.split("/", 1)[0]


def normalize_scope_name(name: str) -> str:
    """Drop a leading `host:port` some clients put in token scopes (`127.0.0.1:5000/lib/a`).

    A repository name cannot contain a colon, so a first component with one is a registry host.
    """
    first, sep, rest = name.partition("/")
    if sep and ":" in first:
        return rest
    return name


def is_tag(reference: str) -> bool:
    return bool(TAG_RE.match(reference))


def validate_reference(reference: str) -> str:
    """A manifest reference is a tag or a digest; raises TagInvalid or DigestInvalid."""
    if ":" in reference:
        if not is_digest(reference):
            raise DigestInvalid(
                _("Unsupported or malformed digest %(digest)s.") % {"digest": reference[:200]},
                detail={"digest": reference[:200]},
            )
        return reference
    if not is_tag(reference):
        raise TagInvalid(
            _("Invalid tag %(tag)s.") % {"tag": reference[:200]}, detail={"tag": reference[:200]}
        )
    return reference


def validate_digest(value: str) -> str:
    """Raise DigestInvalid unless `value` is a supported digest (sha256 or sha512)."""
    if not is_digest(value):
        message = (
            _("Unsupported digest algorithm in %(digest)s; use sha256 or sha512.")
            if DIGEST_GRAMMAR_RE.match(value)
            else _("Malformed digest %(digest)s.")
        )
        raise DigestInvalid(message % {"digest": value[:200]}, detail={"digest": value[:200]})
    return value
