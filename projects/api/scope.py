"""A project named in a REST API request, by name or by id, and the caller's right to act on it.

Harbor's `{project_name_or_id}`: with the header `X-Is-Resource-Name: true` the value is a name;
otherwise a value that parses as a 64-bit integer is an id, anything else a name. A project the
caller may not see answers 404 whether it exists or not (an API must not tell outsiders which
private projects exist); one it sees but may not act on, 403; an anonymous caller is asked to
log in (401) instead of either, as Harbor does.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request

from harborpy.apiviews import HarborApi
from harborpy.errors import BadRequest, Denied, NotFound
from harborpy.query import INT64_MAX
from projects.models import Project
from projects.permissions import Action, project_actions, project_visible
from projects.selectors import project_find

_INTEGER = re.compile(r"[+-]?[0-9]+")
# Go's strconv.ParseBool, which Harbor's generated server uses for boolean headers.
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def header_bool(request: Request, name: str) -> bool:
    """A boolean request header (absent: false). Raises BadRequest."""
    raw = request.headers.get(name)
    if raw is None or raw in _FALSE:
        return False
    if raw in _TRUE:
        return True
    raise BadRequest(_("The header %(name)s must be true or false.") % {"name": name})


def integer_id(raw: str, name: str) -> int:
    """A path parameter that must be an integer id; one out of range names nothing (404)."""
    if not _INTEGER.fullmatch(raw):
        raise BadRequest(_("%(name)s must be an integer.") % {"name": name})
    value = int(raw)
    if not 0 < value <= INT64_MAX:
        raise NotFound()
    return value


def project_locate(request: Request, name_or_id: str) -> Project | None:
    """The project `name_or_id` names under Harbor's rule (see the module docstring), or None."""
    if not header_bool(request, "X-Is-Resource-Name") and _INTEGER.fullmatch(name_or_id):
        pk = int(name_or_id)
        return project_find(pk=pk) if 0 < pk <= INT64_MAX else None
    return project_find(name=name_or_id)


def project_authorize(
    principal: Any,
    project: Project | None,
    action: Action | None,
    *,
    label: str,
    actions: frozenset[Action] | None = None,
) -> frozenset[Action]:
    """`principal`'s actions in `project` if it sees it and may perform `action` there.

    `actions`: the principal's actions in the project when the caller has them already (the
    content API reads them with the project in one query).

    Raises NotAuthenticated (anonymous), NotFound (no such project, or one it may not see) or
    Denied (it sees the project, may not perform `action`).
    """
    if actions is None:
        actions = project_actions(principal, project) if project is not None else frozenset()
    if project is None or not project_visible(principal, project, actions):
        if not principal.is_authenticated:
            raise exceptions.NotAuthenticated()
        raise NotFound(_("Project %(project)s not found.") % {"project": label})
    if action is not None and action not in actions:
        if not principal.is_authenticated:
            raise exceptions.NotAuthenticated()
        raise Denied(_("You are not allowed to do this in project %(name)s.") % {"name": label[:255]})
    return actions


class ProjectScopedApi(HarborApi):
    """A view under /projects/{project_name_or_id}: `self.project_for(action)` finds and authorizes."""

    def project_for(self, action: Action | None = None) -> Project:
        """The path's project, if the caller sees it and may perform `action` (None: just see it)."""
        name_or_id = self.kwargs["project_name_or_id"]
        project = project_locate(self.request, name_or_id)
        self.actions = project_authorize(self.request.user, project, action, label=name_or_id)
        assert project is not None  # project_authorize raised otherwise
        return project
