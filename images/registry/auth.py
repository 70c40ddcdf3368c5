"""Who is calling `/v2/`, what they may do there, and the Docker token service that tells them.

`/v2/` accepts three kinds of caller: a bearer token from `/service/token` (the normal case for
docker, podman, skopeo...), HTTP Basic credentials, or nobody. A bearer token is checked against
its own scopes only, without a database query; Basic and anonymous callers go through
`projects.permissions`, the same code the token service uses to grant scopes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from harborpy.errors import Denied
from images.errors import NameUnknown, RegistryUnauthorized
from images.names import REPOSITORY_NAME_RE, project_name_of
from images.registry.tokens import (
    InvalidToken,
    ScopeRequest,
    TokenClaims,
    parse_scopes,
    token_issue,
    token_verify,
)
from projects.authentication import credentials_verify
from projects.models import Project
from projects.permissions import (
    REGISTRY_ACTIONS,
    can,
    projects_visible_to,
    registry_actions_granted,
)
from projects.selectors import principal_by_username, project_get_by_name


def external_base_url(request: HttpRequest) -> str:
    """The registry's URL as clients see it: HARBORPY_EXTERNAL_URL, else the request's own host."""
    return settings.EXTERNAL_URL or f"{request.scheme}://{request.get_host()}"


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """The (username, password) of an `Authorization: Basic` header, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


@dataclass
class RegistryCaller:
    """An authenticated (or anonymous) `/v2/` caller."""

    username: str = ""
    user: object = field(default_factory=AnonymousUser)
    claims: TokenClaims | None = None

    @property
    def is_anonymous(self) -> bool:
        return not self.username

    def get_user(self) -> Any:
        """The caller's principal (user, robot or anonymous); for a token caller, loaded on demand."""
        if self.claims is not None and self.username and isinstance(self.user, AnonymousUser):
            principal = principal_by_username(self.username)
            if principal is not None:
                self.user = principal
        return self.user

    def may(self, repository_name: str, action: str, project: Project | None = None) -> bool:
        """Whether the caller may perform registry `action` ("pull", "push", "delete") on the repository."""
        if self.claims is not None:
            return self.claims.allows("repository", repository_name, action)
        if project is None:
            project = project_get_by_name(project_name_of(repository_name))
            if project is None:
                return False
        return can(self.user, REGISTRY_ACTIONS[action], project)


def authenticate_caller(request: HttpRequest) -> RegistryCaller:
    """Identify the caller from its Authorization header; raises RegistryUnauthorized for bad credentials."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return RegistryCaller()
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer":
        try:
            claims = token_verify(value.strip())
        except InvalidToken as exc:
            raise RegistryUnauthorized(
                _("The bearer token is invalid: %(reason)s") % {"reason": exc},
                challenge=challenge(request, error="invalid_token"),
            ) from None
        return RegistryCaller(username=claims.subject, claims=claims)
    credentials = basic_credentials(request)
    if credentials is None:
        raise RegistryUnauthorized(_("Unsupported Authorization header."), challenge=challenge(request))
    user = credentials_verify(username=credentials[0], password=credentials[1], request=request)
    if user is None:
        raise RegistryUnauthorized(_("Invalid username or password."), challenge=challenge(request))
    return RegistryCaller(username=user.get_username(), user=user)


def challenge(request: HttpRequest, scopes: list[str] | None = None, error: str = "") -> str:
    """The `WWW-Authenticate: Bearer` challenge pointing clients at the token service."""
    parts = [
        f'realm="{external_base_url(request)}/service/token"',
        f'service="{settings.REGISTRY_SERVICE}"',
    ]
    if scopes:
        parts.append(f'scope="{" ".join(scopes)}"')
    if error:
        parts.append(f'error="{error}"')
    return "Bearer " + ",".join(parts)


def require(
    request: HttpRequest,
    caller: RegistryCaller,
    repository_name: str,
    actions: list[str],
    project: Project | None = None,
    also: list[str] | None = None,
) -> None:
    """Raise unless the caller may perform every one of `actions` on the repository.

    An anonymous caller gets 401 with a challenge (log in, then retry). An authenticated caller
    who cannot see the project gets NAME_UNKNOWN, the same answer as for a project that does not
    exist, so private projects are not revealed; one who can see it but lacks the action gets 401
    `insufficient_scope` (token) or 403 DENIED (Basic). `also` lists further scopes the request
    can use (a mount's source) for the challenge to ask for, so that one token covers them all.
    """
    if all(caller.may(repository_name, action, project) for action in actions):
        return
    scope = f"repository:{repository_name}:{','.join(actions)}"
    scopes = [scope, *(also or [])]
    if caller.is_anonymous:
        raise RegistryUnauthorized(challenge=challenge(request, scopes), detail={"scope": scope})
    user = caller.get_user()
    project_name = project_name_of(repository_name)
    if not projects_visible_to(user).filter(name=project_name).exists():
        raise NameUnknown(
            _("Project %(project)s does not exist or you cannot see it.") % {"project": project_name},
            detail={"name": repository_name},
        )
    if caller.claims is not None:
        raise RegistryUnauthorized(
            _("The token does not grant %(scope)s.") % {"scope": scope},
            challenge=challenge(request, scopes, error="insufficient_scope"),
            detail={"scope": scope},
        )
    raise Denied(detail={"scope": scope})


def mount_source_scope(request: HttpRequest, repository_name: str) -> list[str]:
    """The pull scope of a cross-repository mount's source (`?mount=&from=`), to add to a challenge.

    distribution asks for it too: a client then gets one token for both repositories, and the
    mount can succeed (201) instead of falling back to an upload session (202). An invalid name
    is left out: it is never put in a header.
    """
    source = request.GET.get("from", "")
    if not request.GET.get("mount") or source == repository_name or not REPOSITORY_NAME_RE.match(source):
        return []
    return [f"repository:{source}:pull"]


def _grant(user: object, scope: ScopeRequest) -> set[str]:
    if scope.type == "repository":
        if not REPOSITORY_NAME_RE.match(scope.name):
            return set()
        return registry_actions_granted(user, project_name_of(scope.name), set(scope.actions))
    if scope.type == "registry" and scope.name == "catalog":
        # The catalog lists only what the caller can see, so any caller may ask for it.
        return {"*"} if "*" in scope.actions else set()
    return set()


def _push_reads_too(scope: ScopeRequest) -> ScopeRequest:
    """A repository scope asking for push asks for pull as well.

    A push also reads (HEAD of blobs, GET of manifests), but the challenge of an upload names
    push alone, and clients request exactly the challenged scope; some (oras-py) never come back
    for an action their token lacks. Harbor's token service grants pull with push too; the user
    still gets pull only where pull is allowed.
    """
    if scope.type == "repository" and "push" in scope.actions:
        return ScopeRequest(scope.type, scope.name, scope.actions | {"pull"})
    return scope


def token_for(*, user: object, username: str, scopes: list[str]) -> dict[str, object]:
    """Issue a token granting the intersection of the requested scopes and the caller's rights."""
    access = []
    for scope in parse_scopes(scopes):
        granted = _grant(user, _push_reads_too(scope))
        # Listing a requested scope with no actions is how distribution says "none granted".
        access.append({"type": scope.type, "name": scope.name, "actions": sorted(granted)})
    token, expires_in, issued_at = token_issue(
        subject=username, audience=settings.REGISTRY_SERVICE, access=access
    )
    return {"token": token, "access_token": token, "expires_in": expires_in, "issued_at": issued_at}
