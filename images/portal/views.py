"""The portal's pages. Thin: a selector reads, projects.permissions decides, a service writes.

A project, repository or artifact the user may not see is a 404; a page of a visible project that
the user's role does not open (members, logs, deleting) is a 403.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from harborpy.admin_options import client_address
from harborpy.errors import HarborError
from images.digests import is_digest
from images.models import Artifact, Repository
from images.portal import selectors
from images.portal.forms import RegistrationForm
from images.services.manifests import manifest_delete
from projects.forms import LoginForm
from projects.models import Project
from projects.permissions import Action, can_create_user, can_self_register, is_system_admin, project_actions
from projects.selectors import member_list, member_roles, project_list
from projects.services.users import user_create

PROJECTS_PER_PAGE = 20
REPOSITORIES_PER_PAGE = 20
ARTIFACTS_PER_PAGE = 10
MEMBERS_PER_PAGE = 50
LOGS_PER_PAGE = 50
SEARCH_MAX_LENGTH = 255


def _page(request: HttpRequest, items: QuerySet[Any], per_page: int) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _search(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]


def _pull_host(request: HttpRequest) -> str:
    """The registry's host as clients name it: the external URL's, else the one the browser used."""
    if settings.EXTERNAL_URL:
        return urlsplit(settings.EXTERNAL_URL).netloc
    return request.get_host()


class _Scope:
    """A visible project (and repository) and the user's actions there, from the URL's names."""

    def __init__(self, request: HttpRequest, project_name: str, repository_path: str | None = None) -> None:
        project = selectors.project_visible_get(principal=request.user, name=project_name)
        if project is None:
            raise Http404(_("No such project."))
        self.project: Project = project
        self.actions = project_actions(request.user, project)
        self.repository: Repository | None = None
        if repository_path is not None:
            self.repository = selectors.repository_visible_get(
                project=project, name=f"{project.name}/{repository_path}"
            )
            if self.repository is None:
                raise Http404(_("No such repository."))

    def require(self, action: Action) -> None:
        if action not in self.actions:
            raise PermissionDenied

    def context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {
            "project": self.project,
            "repository": self.repository,
            "can_read_members": Action.READ_MEMBERS in self.actions,
            "can_read_logs": Action.READ_LOGS in self.actions,
            "can_delete": Action.DELETE in self.actions,
            "my_role": selectors.highest_role(
                member_roles(principal=request.user, project_ids=[self.project.pk]).get(self.project.pk, [])
            ),
            "pull_host": _pull_host(request),
            **extra,
        }

    def artifact(self, digest: str) -> Artifact:
        assert self.repository is not None
        artifact = None
        if is_digest(digest):
            artifact = selectors.artifact_visible_get(repository=self.repository, digest=digest)
        if artifact is None:
            raise Http404(_("No such artifact."))
        return artifact


# --- Projects -----------------------------------------------------------------------------------


def project_list_view(request: HttpRequest) -> HttpResponse:
    """The projects the user can see: its own and the public ones (only those, anonymously)."""
    search = _search(request)
    page = _page(request, project_list(principal=request.user, name=search), PROJECTS_PER_PAGE)
    roles = member_roles(principal=request.user, project_ids=[project.pk for project in page])
    for project in page:
        project.my_role = selectors.highest_role(roles.get(project.pk, []))
    return render(
        request,
        "portal/project_list.html",
        {"page": page, "search": search, "system_admin": is_system_admin(request.user)},
    )


def project_detail(request: HttpRequest, project_name: str) -> HttpResponse:
    """A project's repositories."""
    scope = _Scope(request, project_name)
    search = _search(request)
    page = _page(
        request, selectors.repository_list(project=scope.project, name=search), REPOSITORIES_PER_PAGE
    )
    return render(
        request,
        "portal/project_detail.html",
        scope.context(request, page=page, search=search, tab="repositories"),
    )


def project_members(request: HttpRequest, project_name: str) -> HttpResponse:
    scope = _Scope(request, project_name)
    scope.require(Action.READ_MEMBERS)
    page = _page(request, member_list(project=scope.project), MEMBERS_PER_PAGE)
    return render(request, "portal/project_members.html", scope.context(request, page=page, tab="members"))


def project_logs(request: HttpRequest, project_name: str) -> HttpResponse:
    scope = _Scope(request, project_name)
    scope.require(Action.READ_LOGS)
    page = _page(request, selectors.audit_events_of(project=scope.project), LOGS_PER_PAGE)
    return render(request, "portal/project_logs.html", scope.context(request, page=page, tab="logs"))


# --- Repositories and artifacts -----------------------------------------------------------------


def repository_detail(request: HttpRequest, project_name: str, repository_path: str) -> HttpResponse:
    """A repository's artifacts, their tags and pull commands."""
    scope = _Scope(request, project_name, repository_path)
    assert scope.repository is not None
    page = _page(request, selectors.artifact_list(repository=scope.repository), ARTIFACTS_PER_PAGE)
    return render(request, "portal/repository_detail.html", scope.context(request, page=page))


def artifact_detail(
    request: HttpRequest, project_name: str, repository_path: str, digest: str
) -> HttpResponse:
    """An artifact: its tags, manifest, layers, config, referrers and, for an index, its children."""
    scope = _Scope(request, project_name, repository_path)
    artifact = scope.artifact(digest)
    content = selectors.artifact_content(artifact=artifact)
    return render(
        request, "portal/artifact_detail.html", scope.context(request, artifact=artifact, content=content)
    )


def _repository_url(scope: _Scope) -> str:
    assert scope.repository is not None
    return reverse(
        "portal:repository",
        args=[scope.project.name, scope.repository.name.removeprefix(f"{scope.project.name}/")],
    )


def _delete(request: HttpRequest, scope: _Scope, reference: str, done: str, back: str) -> HttpResponse:
    """Delete a tag or an artifact through the registry's own service (audited), then say so."""
    assert scope.repository is not None
    try:
        manifest_delete(
            repository_name=scope.repository.name,
            reference=reference,
            actor=request.user.get_username(),
            address=client_address(request),
        )
    except HarborError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    messages.success(request, done)
    return redirect(_repository_url(scope))


@require_http_methods(["GET", "POST"])
def tag_delete(request: HttpRequest, project_name: str, repository_path: str, tag_name: str) -> HttpResponse:
    """GET: ask to confirm; POST: delete the tag (its artifact stays)."""
    scope = _Scope(request, project_name, repository_path)
    assert scope.repository is not None
    tag = selectors.tag_visible_get(repository=scope.repository, name=tag_name)
    if tag is None:
        raise Http404(_("No such tag."))
    scope.require(Action.DELETE)
    if request.method == "POST":
        done = _("Tag %(tag)s deleted.") % {"tag": tag.name}
        return _delete(request, scope, tag.name, done, back=_repository_url(scope))
    return render(request, "portal/tag_delete.html", scope.context(request, tag=tag))


@require_http_methods(["GET", "POST"])
def artifact_delete(
    request: HttpRequest, project_name: str, repository_path: str, digest: str
) -> HttpResponse:
    """GET: ask to confirm; POST: delete the artifact and every tag pointing at it."""
    scope = _Scope(request, project_name, repository_path)
    artifact = scope.artifact(digest)
    scope.require(Action.DELETE)
    if request.method == "POST":
        done = _("Artifact %(digest)s deleted.") % {"digest": artifact.digest}
        back = reverse("portal:artifact", args=[project_name, repository_path, artifact.digest])
        return _delete(request, scope, artifact.digest, done, back=back)
    return render(request, "portal/artifact_delete.html", scope.context(request, artifact=artifact))


# --- Accounts -----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Database and LDAP users log in through credentials_verify (throttled, audited); robots never."""

    form_class = LoginForm
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "can_register": _can_register(self.request),
            "ldap_enabled": settings.LDAP_ENABLED,
        }


def _can_register(request: HttpRequest) -> bool:
    return can_self_register(request.user) and can_create_user(request.user)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Self-registration, when the system settings allow it: a local user, never an admin."""
    if not _can_register(request):
        raise Http404(_("Self-registration is off."))
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user_create(actor=request.user, address=client_address(request), **form.user_fields())
        except HarborError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your account is ready: log in."))
            return redirect("portal:login")
    return render(request, "portal/register.html", {"form": form})
