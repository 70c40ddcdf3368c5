"""The OCI distribution-spec `/v2/` API and the Docker token service.

Views are adapters: authenticate, check the caller's scope, parse, call a service or selector,
render. Every error is a HarborError rendered by `RegistryView.dispatch` as the OCI envelope.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from harborpy.errors import BadRequest, HarborError, NotFound, Unsupported
from images import media_types as mt
from images.errors import BlobUploadUnknown, PaginationNumberInvalid, RegistryUnauthorized
from images.names import validate_digest, validate_repository_name
from images.pulls import pull_record
from images.registry import responses
from images.registry.auth import (
    authenticate_caller,
    basic_credentials,
    challenge,
    external_base_url,
    mount_source_scope,
    require,
    token_for,
)
from images.registry.streams import RequestBody, read_bounded
from images.selectors import (
    ManifestRef,
    artifact_children,
    blob_get,
    blob_upload_get,
    manifest_get,
    referrers_list,
    repository_names,
    tag_names,
)
from images.services.manifests import manifest_delete, manifest_push
from images.services.uploads import (
    Body,
    blob_mount,
    blob_unlink,
    blob_upload_append,
    blob_upload_cancel,
    blob_upload_finish,
    blob_upload_monolithic,
    blob_upload_start,
    upload_range_header,
)
from projects.authentication import credentials_verify
from projects.permissions import projects_visible_to

log = logging.getLogger(__name__)


class RegistryView(View):
    """Base of `/v2/` views: authentication, scope checks and the OCI error envelope."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        # Registry clients authenticate with tokens, never with a session cookie: no CSRF. Exempt
        # once here rather than with method_decorator, which wraps dispatch again on every request.
        return csrf_exempt(super().as_view(**initkwargs))

    # Registry action required per HTTP method; views with a repository name check it.
    actions: ClassVar[dict[str, list[str]]] = {}

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        head = request.method == "HEAD"
        try:
            if request.method.lower() not in self.http_method_names or not hasattr(
                self, request.method.lower()
            ):
                raise Unsupported(
                    _("Method %(method)s is not supported here.") % {"method": request.method[:20]},
                )
            if "%00" in request.META.get("QUERY_STRING", ""):
                # No parameter may hold a NUL character, and PostgreSQL cannot even compare one.
                raise BadRequest(_("Query parameters must not contain NUL characters."))
            self.caller = authenticate_caller(request)
            name = kwargs.get("name")
            if name is not None:
                validate_repository_name(name)
                if actions := self.actions.get(request.method, []):
                    require(request, self.caller, name, actions, also=self.challenge_scopes(request, name))
            response = super().dispatch(request, *args, **kwargs)
        except HarborError as exc:
            response = responses.error_response(exc, head=head)
        response[responses.API_VERSION_HEADER[0]] = responses.API_VERSION_HEADER[1]
        return response

    def location(self, path: str) -> str:
        return external_base_url(self.request) + path

    def challenge_scopes(self, request: HttpRequest, name: str) -> list[str]:
        """Scopes beyond `actions` on `name` that this request can use, for the challenge to ask for."""
        return []


def _page_size(request: HttpRequest, default: int | None) -> int | None:
    raw = request.GET.get("n")
    if raw is None or raw == "":
        return default
    try:
        n = int(raw)
    except ValueError:
        raise PaginationNumberInvalid(detail={"n": raw[:20]}) from None
    if n < 0:
        raise PaginationNumberInvalid(detail={"n": raw[:20]})
    return min(n, settings.LIST_MAX_PAGE_SIZE)


class BaseView(RegistryView):
    """GET /v2/: 200 for an authenticated caller, else the challenge that starts a login."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if self.caller.is_anonymous:
            raise RegistryUnauthorized(challenge=challenge(request))
        return responses.json_response({})

    head = get


class CatalogView(RegistryView):
    """GET /v2/_catalog: repositories the caller can see, paginated with `n` and `last`."""

    def get(self, request: HttpRequest) -> HttpResponse:
        limit = _page_size(request, settings.CATALOG_DEFAULT_PAGE_SIZE)
        last = request.GET.get("last", "")
        projects = projects_visible_to(self.caller.get_user())
        names, more = repository_names(projects=projects, last=last, limit=limit)
        response = responses.json_response({"repositories": names})
        if more and names:
            response["Link"] = responses.next_link("/v2/_catalog", {"n": str(limit), "last": names[-1]})
        return response


class TagsListView(RegistryView):
    actions = {"GET": ["pull"]}

    def get(self, request: HttpRequest, name: str) -> HttpResponse:
        limit = _page_size(request, settings.LIST_MAX_PAGE_SIZE)
        names, more = tag_names(repository_name=name, last=request.GET.get("last", ""), limit=limit)
        response = responses.json_response({"name": name, "tags": names})
        if more and names:
            response["Link"] = responses.next_link(
                f"/v2/{name}/tags/list", {"n": str(limit), "last": names[-1]}
            )
        return response


def _accepts(request: HttpRequest) -> set[str]:
    accepted: set[str] = set()
    for value in request.META.get("HTTP_ACCEPT", "").split(","):
        media_type = value.split(";", 1)[0].strip().lower()
        if media_type:
            accepted.add(media_type)
    return accepted


class ManifestView(RegistryView):
    actions = {"GET": ["pull"], "HEAD": ["pull"], "PUT": ["push"], "DELETE": ["delete"]}

    def get(self, request: HttpRequest, name: str, reference: str) -> HttpResponse:
        if ":" in reference:
            validate_digest(reference)  # a malformed digest is a 400; an invalid tag names nothing: 404
        head = request.method == "HEAD"
        manifest = manifest_get(repository_name=name, reference=reference, with_manifest=not head)
        manifest = self._negotiate(request, manifest, head)
        if not head:
            pull_record(
                artifact_id=manifest.id,
                repository_id=manifest.repository_id,
                project_id=manifest.project_id,
                repository_name=name,
                reference=reference,
                actor=self.caller.username,
                address=request.META.get("REMOTE_ADDR"),
            )
        return responses.manifest_response(
            media_type=manifest.media_type,
            digest=manifest.digest,
            payload=manifest.manifest,
            size=manifest.size,
        )

    head = get

    def _negotiate(self, request: HttpRequest, manifest: ManifestRef, head: bool) -> ManifestRef:
        """Serve an index to a client that cannot read indexes as its linux/amd64 image.

        Old clients send an Accept header without the index types; registries have always
        answered them with the default platform's manifest rather than an error.
        """
        accepted = _accepts(request)
        if manifest.media_type not in mt.INDEXES or not accepted or manifest.media_type in accepted:
            return manifest
        if "*/*" in accepted:
            return manifest
        for reference in artifact_children(artifact_id=manifest.id):
            platform = reference.platform or {}
            if (
                platform.get("os") == "linux"
                and platform.get("architecture") == "amd64"
                and reference.child.media_type in accepted
            ):
                return manifest_get(
                    repository_name=self.kwargs["name"],
                    reference=reference.child.digest,
                    with_manifest=not head,
                )
        return manifest

    def put(self, request: HttpRequest, name: str, reference: str) -> HttpResponse:
        payload = read_bounded(request, settings.MANIFEST_MAX_BYTES)
        artifact = manifest_push(
            repository_name=name,
            reference=reference,
            content_type=request.META.get("CONTENT_TYPE", ""),
            payload=payload,
            actor=self.caller.username,
            address=request.META.get("REMOTE_ADDR"),
        )
        headers = {
            "Location": self.location(f"/v2/{name}/manifests/{artifact.digest}"),
            "Docker-Content-Digest": artifact.digest,
        }
        if artifact.subject_digest:
            headers["OCI-Subject"] = artifact.subject_digest
        return responses.empty_response(201, headers)

    def delete(self, request: HttpRequest, name: str, reference: str) -> HttpResponse:
        manifest_delete(
            repository_name=name,
            reference=reference,
            actor=self.caller.username,
            address=request.META.get("REMOTE_ADDR"),
        )
        return responses.empty_response(202, {})


class BlobView(RegistryView):
    actions = {"GET": ["pull"], "HEAD": ["pull"], "DELETE": ["delete"]}

    def get(self, request: HttpRequest, name: str, digest: str) -> HttpResponse:
        validate_digest(digest)
        blob = blob_get(repository_name=name, digest=digest)
        return responses.blob_response(
            blob, request.META.get("HTTP_RANGE", ""), head=request.method == "HEAD"
        )

    head = get

    def delete(self, request: HttpRequest, name: str, digest: str) -> HttpResponse:
        blob_unlink(repository_name=name, digest=digest)
        return responses.empty_response(202, {})


def _body(request: HttpRequest) -> Body:
    reader = RequestBody(request)
    return Body(reader=reader, length=reader.length, content_range=request.META.get("HTTP_CONTENT_RANGE", ""))


def _upload_headers(view: RegistryView, name: str, upload_id: str, offset: int) -> dict[str, str]:
    return {
        "Location": view.location(f"/v2/{name}/blobs/uploads/{upload_id}"),
        "Range": upload_range_header(offset),
        "Docker-Upload-UUID": upload_id,
    }


def _blob_created(view: RegistryView, name: str, digest: str) -> HttpResponse:
    return responses.empty_response(
        201, {"Location": view.location(f"/v2/{name}/blobs/{digest}"), "Docker-Content-Digest": digest}
    )


class UploadStartView(RegistryView):
    """POST /v2/<name>/blobs/uploads/: a session, a monolithic upload (?digest=) or a mount."""

    actions = {"POST": ["push"]}

    def challenge_scopes(self, request: HttpRequest, name: str) -> list[str]:
        return mount_source_scope(request, name)

    def post(self, request: HttpRequest, name: str) -> HttpResponse:
        mount, source = request.GET.get("mount", ""), request.GET.get("from", "")
        if mount and source:
            blob = self._mount(request, name, mount, source)
            if blob is not None:
                return _blob_created(self, name, blob.digest)
        if digest := request.GET.get("digest"):
            blob = blob_upload_monolithic(repository_name=name, digest=digest, body=_body(request))
            return _blob_created(self, name, blob.digest)
        upload = blob_upload_start(repository_name=name)
        return responses.empty_response(202, _upload_headers(self, name, str(upload.pk), 0))

    def _mount(self, request: HttpRequest, name: str, digest: str, source: str) -> Any:
        """Mount when the source is a readable repository holding the blob; else None (start a session)."""
        validate_digest(digest)
        try:
            validate_repository_name(source)
        except HarborError:
            return None
        if not self.caller.may(source, "pull"):
            return None
        return blob_mount(repository_name=name, digest=digest, from_repository_name=source)


class UploadView(RegistryView):
    """An upload session: GET status, PATCH a chunk, PUT to finish, DELETE to cancel."""

    actions = {"GET": ["push"], "PATCH": ["push"], "PUT": ["push"], "DELETE": ["push"]}

    def get(self, request: HttpRequest, name: str, upload_id: str) -> HttpResponse:
        upload = blob_upload_get(repository_name=name, upload_id=_upload_pk(upload_id))
        return responses.empty_response(204, _upload_headers(self, name, upload_id, upload.offset))

    def patch(self, request: HttpRequest, name: str, upload_id: str) -> HttpResponse:
        upload = blob_upload_append(repository_name=name, upload_id=upload_id, body=_body(request))
        return responses.empty_response(202, _upload_headers(self, name, upload_id, upload.offset))

    def put(self, request: HttpRequest, name: str, upload_id: str) -> HttpResponse:
        digest = request.GET.get("digest", "")
        if not digest:
            raise BadRequest(_("The digest query parameter is required to finish an upload."))
        blob = blob_upload_finish(
            repository_name=name, upload_id=upload_id, digest=digest, body=_body(request)
        )
        return _blob_created(self, name, blob.digest)

    def delete(self, request: HttpRequest, name: str, upload_id: str) -> HttpResponse:
        blob_upload_cancel(repository_name=name, upload_id=upload_id)
        return responses.empty_response(204, {})


def _upload_pk(upload_id: str) -> str:
    try:
        return str(uuid.UUID(upload_id))
    except ValueError:
        raise BlobUploadUnknown(detail={"uuid": upload_id[:100]}) from None


class ReferrersView(RegistryView):
    """GET /v2/<name>/referrers/<digest>: an index of the artifacts whose subject is the digest."""

    actions = {"GET": ["pull"]}

    def get(self, request: HttpRequest, name: str, digest: str) -> HttpResponse:
        validate_digest(digest)
        artifact_type = request.GET.get("artifactType", "")
        manifests = []
        for artifact in referrers_list(repository_name=name, digest=digest, artifact_type=artifact_type):
            descriptor = {
                "mediaType": artifact.media_type,
                "digest": artifact.digest,
                "size": artifact.manifest_size,
            }
            if artifact.artifact_type:
                descriptor["artifactType"] = artifact.artifact_type
            if artifact.annotations:
                descriptor["annotations"] = artifact.annotations
            manifests.append(descriptor)
        response = responses.json_response(
            {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": manifests}, content_type=mt.OCI_INDEX
        )
        if artifact_type:
            response["OCI-Filters-Applied"] = "artifactType"
        return response


class NotFoundView(RegistryView):
    """Any other `/v2/` path: an OCI error, not an HTML page."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = responses.error_response(NotFound(), head=request.method == "HEAD")
        response[responses.API_VERSION_HEADER[0]] = responses.API_VERSION_HEADER[1]
        return response


class TokenView(View):
    """The Docker token service: GET with Basic (or no) credentials, POST with an OAuth2 password grant."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return csrf_exempt(super().as_view(**initkwargs))

    def get(self, request: HttpRequest) -> HttpResponse:
        credentials = basic_credentials(request)
        if request.META.get("HTTP_AUTHORIZATION") and credentials is None:
            return self._unauthorized(_("Unsupported Authorization header."))
        return self._issue(request, credentials, request.GET.getlist("scope"))

    def post(self, request: HttpRequest) -> HttpResponse:
        grant_type = request.POST.get("grant_type", "")
        if grant_type != "password":
            return responses.json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": _("Only the password grant is supported."),
                },
                status=400,
            )
        credentials = (request.POST.get("username", ""), request.POST.get("password", ""))
        scopes = request.POST.get("scope", "").split()
        return self._issue(request, credentials, scopes)

    def _issue(
        self, request: HttpRequest, credentials: tuple[str, str] | None, scopes: list[str]
    ) -> HttpResponse:
        if credentials is None:
            user, username = AnonymousUser(), ""
        else:
            try:
                user = credentials_verify(username=credentials[0], password=credentials[1], request=request)
            except HarborError as exc:  # too many failed logins
                return responses.error_response(exc)
            if user is None:
                return self._unauthorized(_("Invalid username or password."))
            username = user.get_username()
        return responses.json_response(token_for(user=user, username=username, scopes=scopes))

    def _unauthorized(self, message: str) -> HttpResponse:
        response = responses.error_response(RegistryUnauthorized(message))
        response["WWW-Authenticate"] = 'Basic realm="harborpy"'
        return response
