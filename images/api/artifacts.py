"""Artifacts: list (Harbor's q, sort and with_* options), read, delete, copy from another repository."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.errors import BadRequest
from harborpy.query import Field, Term, parse_query, query_filter, query_value
from images.api.base import ContentApi, encode_repository_name, ordered, validate_reference
from images.api.serializers import AccessorySerializer, ArtifactSerializer
from images.artifact_types import artifact_type_condition, harbor_media_type_expression
from images.digests import is_digest
from images.models import Artifact, ArtifactLabel, Repository, Tag
from images.names import REPOSITORY_NAME_RE, project_name_of
from images.selectors import (
    accessories_of,
    artifact_by_reference,
    artifact_extra_attrs,
    artifact_list,
    repository_in_project,
)
from images.services.artifacts import artifact_copy, artifact_delete
from projects.api.scope import project_authorize
from projects.permissions import Action, project_with_actions

SORT_FIELDS = {
    "id": "id",
    "digest": "digest",
    "size": "size",
    "push_time": "pushed_at",
    "pull_time": "pulled_at",
}
DEFAULT_SORT = ["-pushed_at", "-id"]  # Harbor's: the newest push first
LIST_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description="Harbor query: tags=* (tagged), tags=nil (untagged), tags=v, tags=~v, labels=(1 2), "
        "label_id, digest, type (IMAGE, CHART...), media_type, push_time=[a~b], pull_time=[a~b], base=*",
    ),
    OpenApiParameter("sort", str, description="e.g. -push_time (the default), size, digest"),
    OpenApiParameter("with_tag", bool, default=True),
    OpenApiParameter("with_label", bool, default=False),
    OpenApiParameter("with_accessory", bool, default=False),
]


def _text_condition(term: Term, field: str, key: str) -> Q:
    if term.kind == "exact":
        return Q(**{field: term.values[0]})
    if term.kind == "fuzzy":
        return Q(**{f"{field}__icontains": term.values[0]})
    if term.kind == "union":
        return Q(**{f"{field}__in": list(term.values)})
    raise BadRequest(_("The key %(key)s takes a value, ~value or {v1 v2}.") % {"key": key})


def _by_tags(repository: Repository) -> Any:
    def apply(artifacts: QuerySet, term: Term) -> QuerySet:
        tags = Tag.objects.filter(repository=repository)
        if term.kind == "exact" and term.values[0] in {"*", "nil"}:
            tagged = Exists(Tag.objects.filter(artifact_id=OuterRef("pk")))
            return artifacts.filter(tagged if term.values[0] == "*" else ~tagged)
        if term.kind in {"exact", "intersection"}:
            # A join per name, led by the tag's unique (repository, name) index: SQLite's planner
            # turns `id IN (subquery)` into a scan of every artifact of the repository instead.
            for name in term.values:
                artifacts = artifacts.filter(tags__repository=repository, tags__name=name)
            return artifacts
        return artifacts.filter(
            pk__in=tags.filter(_text_condition(term, "name", "tags")).values("artifact_id")
        )

    return apply


def _by_labels(artifacts: QuerySet, term: Term) -> QuerySet:
    ids = [query_value(value, "int") for value in term.values]
    links = ArtifactLabel.objects.all()
    if term.kind in {"exact", "intersection"}:
        for label_id in ids:
            artifacts = artifacts.filter(pk__in=links.filter(label_id=label_id).values("artifact_id"))
        return artifacts
    if term.kind == "union":
        return artifacts.filter(pk__in=links.filter(label_id__in=ids).values("artifact_id"))
    raise BadRequest(_("The key labels takes an id, (id1 id2) or {id1 id2}."))


def _by_media_type(artifacts: QuerySet, term: Term) -> QuerySet:
    artifacts = artifacts.annotate(harbor_media_type=harbor_media_type_expression())
    return artifacts.filter(_text_condition(term, "harbor_media_type", "media_type"))


def _by_type(artifacts: QuerySet, term: Term) -> QuerySet:
    if term.kind not in {"exact", "union"}:
        raise BadRequest(_("The key type takes a type or {type1 type2}."))
    artifacts = artifacts.annotate(harbor_media_type=harbor_media_type_expression())
    condition = Q(pk__in=[])
    for name in term.values:
        condition |= artifact_type_condition(name, "harbor_media_type")
    return artifacts.filter(condition)


def _all_bases(artifacts: QuerySet, term: Term) -> QuerySet:
    if term.kind != "exact" or term.values[0] != "*":
        raise BadRequest(_("The key base takes only * (accessories included)."))
    return artifacts


def query_fields(repository: Repository) -> dict[str, Field]:
    return {
        "digest": Field("digest"),
        "manifest_media_type": Field("media_type"),
        "artifact_type": Field("artifact_type"),
        "size": Field("size", "int"),
        "push_time": Field("pushed_at", "time"),
        "pull_time": Field("pulled_at", "time"),
        "tags": Field(apply=_by_tags(repository)),
        "labels": Field(apply=_by_labels),
        "label_id": Field(apply=_by_labels),
        "media_type": Field(apply=_by_media_type),
        "type": Field(apply=_by_type),
        "base": Field(apply=_all_bases),
    }


class ArtifactListApi(ContentApi):
    """GET (list) and POST (copy) /projects/{project_name}/repositories/{repository_name}/artifacts."""

    required_actions = {"POST": Action.PUSH}

    @extend_schema(
        operation_id="listArtifacts", parameters=LIST_PARAMETERS, responses=ArtifactSerializer(many=True)
    )
    def get(self, request: Request, project_name: str, repository_name: str) -> Response:
        options = self.artifact_options()
        repository = self.repository
        q = request.query_params.get("q", "")
        artifacts = artifact_list(repository=repository, with_label=options["with_label"])
        artifacts = query_filter(artifacts, q, query_fields(repository))
        if "base" not in parse_query(q):
            artifacts = artifacts.filter(subject_digest="")  # accessories are listed with their subject
        artifacts = ordered(artifacts, request.query_params.get("sort", ""), SORT_FIELDS, DEFAULT_SORT)
        return self.paginate(artifacts, ArtifactSerializer, repository=repository, **options)

    @extend_schema(
        operation_id="CopyArtifact",
        parameters=[
            OpenApiParameter("from", str, required=True, description="project/repository:tag or @digest")
        ],
        request=None,
        responses={201: None},
    )
    def post(self, request: Request, project_name: str, repository_name: str) -> Response:
        source, reference = copy_source(request.user, request.query_params.get("from", ""))
        target_name = f"{self.project.name}/{self.repository_name}"
        if len(target_name) > 255 or not REPOSITORY_NAME_RE.match(target_name):
            raise BadRequest(_("Invalid repository name %(name)s.") % {"name": target_name[:300]})
        copy = artifact_copy(
            source=source,
            tag="" if is_digest(reference) else reference,
            target_name=target_name,
            actor=request.user,
            address=self.address,
        )
        location = (
            f"/api/v2.0/projects/{self.project.name}/repositories/"
            f"{encode_repository_name(self.repository_name)}/artifacts/{copy.digest}"
        )
        return Response(status=201, headers={"Location": location})


def copy_source(principal: Any, value: str) -> tuple[Artifact, str]:
    """The artifact a copy's `from` names, if `principal` may pull it, and the reference it was named by.

    Raises BadRequest (malformed), NotAuthenticated or NotFound (a project the caller cannot see,
    a missing repository or artifact).
    """
    name, reference = parse_from(value)
    project_name = project_name_of(name)
    project, actions = project_with_actions(principal, project_name)
    project_authorize(principal, project, Action.PULL, label=project_name, actions=actions)
    assert project is not None  # project_authorize raised otherwise
    repository = repository_in_project(project=project, name=name[len(project_name) + 1 :])
    source = artifact_by_reference(
        artifacts=Artifact.objects.filter(repository=repository).defer("manifest"), reference=reference
    )
    source.repository = repository
    return source, reference


def parse_from(value: str) -> tuple[str, str]:
    """`project/repository:tag` or `project/repository@digest` -> (repository name, reference)."""
    if "@" in value:
        name, _sep, reference = value.partition("@")
    else:
        name, sep, reference = value.rpartition(":")
        if not sep or "/" in reference:
            name, reference = "", ""
    if not name or not reference or not REPOSITORY_NAME_RE.match(name):
        raise BadRequest(
            _("from must be project/repository:tag or project/repository@digest, not %(value)s.")
            % {"value": value[:300]}
        )
    return name, validate_reference(reference)


class ArtifactApi(ContentApi):
    """GET and DELETE /projects/{project_name}/repositories/{repository_name}/artifacts/{reference}."""

    required_actions = {"DELETE": Action.DELETE}

    @extend_schema(
        operation_id="getArtifact",
        parameters=LIST_PARAMETERS[2:],
        responses=ArtifactSerializer,
    )
    def get(self, request: Request, project_name: str, repository_name: str, reference: str) -> Response:
        options = self.artifact_options()
        artifact = self.artifact(with_label=options["with_label"], with_references=True)
        context = {
            "repository": self.repository,
            "extra_attrs": artifact_extra_attrs(artifact=artifact),
            **options,
        }
        # Through the list serializer: it reads tags and accessories the way a page does.
        return Response(ArtifactSerializer([artifact], many=True, context=context).data[0])

    @extend_schema(operation_id="deleteArtifact", responses={200: None})
    def delete(self, request: Request, project_name: str, repository_name: str, reference: str) -> Response:
        artifact = self.artifact()
        artifact_delete(artifact=artifact, actor=request.user, address=self.address)
        return Response(status=200)


class AccessoryListApi(ContentApi):
    """GET .../artifacts/{reference}/accessories: the artifacts whose subject this one is."""

    @extend_schema(operation_id="listAccessories", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project_name: str, repository_name: str, reference: str) -> Response:
        artifact = self.artifact()
        accessories = accessories_of(repository_id=self.repository.pk, digests=[artifact.digest])[
            artifact.digest
        ]
        return self.paginate(accessories, AccessorySerializer, subject=artifact, repository=self.repository)


_ARTIFACTS = "projects/<str:project_name>/repositories/<str:repository_name>/artifacts"

urlpatterns = [
    path(_ARTIFACTS, ArtifactListApi.as_view(), name="api-artifacts"),
    path(f"{_ARTIFACTS}/<str:reference>", ArtifactApi.as_view(), name="api-artifact"),
    path(f"{_ARTIFACTS}/<str:reference>/accessories", AccessoryListApi.as_view(), name="api-accessories"),
]
