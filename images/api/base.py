"""What the content views share: the project in the path and the caller's access to it, the
repository name (which Harbor's clients encode twice), artifact references and boolean options.

Access is decided by projects.permissions alone; projects.api.scope.project_authorize turns its
answer into Harbor's statuses, as for every project-scoped API: a project the caller cannot see is
a 404 (a 401 for an anonymous caller, who may log in), a visible one where the action is not
granted a 403.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from django.utils.translation import gettext as _
from rest_framework.permissions import AllowAny

from harborpy.apiviews import HarborApi
from harborpy.errors import BadRequest
from harborpy.query import query_sort
from images.digests import is_digest
from images.models import Artifact, Repository
from images.names import is_tag
from images.selectors import artifact_by_reference, artifact_list, repository_in_project
from projects.api.scope import project_authorize
from projects.models import Project
from projects.permissions import Action, project_with_actions

# Options Harbor's clients send that harborpy has nothing for (no scanner, no immutability rules yet):
# checked to be booleans, then ignored.
IGNORED_FLAGS = (
    "with_signature",
    "with_immutable_status",
    "with_scan_overview",
    "with_sbom_overview",
    "with_inherited_accessory",
)
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def encode_repository_name(name: str) -> str:
    """A repository name (without its project) as Harbor's clients put it in a path: encoded twice."""
    return quote(quote(name, safe=""), safe="")


def validate_reference(reference: str) -> str:
    """A tag or a digest; raises BadRequest."""
    if ":" in reference:
        if not is_digest(reference):
            raise BadRequest(_("Invalid digest %(digest)s.") % {"digest": reference[:200]})
    elif not is_tag(reference):
        raise BadRequest(_("Invalid tag %(tag)s.") % {"tag": reference[:200]})
    return reference


class ContentApi(HarborApi):
    """A view under /projects/{project_name}/: `required_actions` says what each method needs there."""

    permission_classes = [AllowAny]  # anonymous callers may read public projects; see `project`
    required_actions: ClassVar[dict[str, Action]] = {}

    @cached_property
    def project(self) -> Project:
        """The project in the path, once the caller's access to it is checked."""
        name = self.kwargs["project_name"]
        user = self.request.user
        project, actions = project_with_actions(user, name)
        action = self.required_actions.get(self.request.method, Action.PULL)
        project_authorize(user, project, action, label=name, actions=actions)
        assert project is not None  # project_authorize raised otherwise
        return project

    @property
    def repository_name(self) -> str:
        """The repository name in the path, without its project; a "/" in it arrives as %2F."""
        name = unquote(self.kwargs["repository_name"])
        if "\x00" in name:
            raise BadRequest(_("The repository name must not contain NUL characters."))
        return name

    @cached_property
    def repository(self) -> Repository:
        return repository_in_project(project=self.project, name=self.repository_name)

    def flag(self, name: str, default: bool) -> bool:
        """A boolean query parameter (true/false); raises BadRequest."""
        raw = self.request.query_params.get(name)
        if raw in (None, ""):
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise BadRequest(_("%(name)s must be true or false.") % {"name": name})

    def artifact_options(self) -> dict[str, bool]:
        """What an artifact's representation includes: with_tag, with_label, with_accessory."""
        for name in IGNORED_FLAGS:
            self.flag(name, False)
        return {
            "with_tag": self.flag("with_tag", True),
            "with_label": self.flag("with_label", False),
            "with_accessory": self.flag("with_accessory", False),
        }

    def artifact(self, *, with_label: bool = False, with_references: bool = False) -> Artifact:
        """The artifact the `reference` in the path names (a tag or a digest)."""
        reference = validate_reference(self.kwargs["reference"])
        artifacts = artifact_list(
            repository=self.repository, with_label=with_label, with_references=with_references
        )
        artifact = artifact_by_reference(artifacts=artifacts, reference=reference)
        artifact.repository = self.repository
        return artifact


def ordered(queryset: Any, sort: str, fields: dict[str, str], default: list[str]) -> Any:
    """`queryset` in the order `sort` asks (Harbor's sort parameter), the id breaking ties, so that
    pages never overlap or skip a row."""
    queryset = query_sort(queryset, sort, fields, default)
    order = [str(item) for item in queryset.query.order_by]
    if not any(item.lstrip("-") in {"id", "pk"} for item in order):
        descending = bool(order) and order[0].startswith("-")
        queryset = queryset.order_by(*order, "-id" if descending else "id")
    return queryset
