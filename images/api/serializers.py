"""Harbor's shapes of repositories, artifacts, tags, labels and accessories (swagger definitions)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from images.artifact_types import accessory_type_of, artifact_type_of, harbor_media_type
from images.models import Artifact, Label, Repository, Tag
from images.selectors import accessories_of


class RepositorySerializer(serializers.ModelSerializer):
    """Harbor's Repository: `name` is the full name, project included."""

    artifact_count = serializers.IntegerField(read_only=True)
    creation_time = serializers.DateTimeField(source="created_at")
    update_time = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = Repository
        fields = [
            "id",
            "project_id",
            "name",
            "description",
            "artifact_count",
            "pull_count",
            "creation_time",
            "update_time",
        ]


class RepositoryInputSerializer(serializers.Serializer):
    """The body of a repository update: Harbor's Repository, of which only the description changes."""

    description = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=65536, trim_whitespace=False
    )


class TagSerializer(serializers.ModelSerializer):
    """Harbor's Tag. The pull time is its artifact's; no tag is immutable (no immutability rules yet)."""

    push_time = serializers.DateTimeField(source="updated_at")
    pull_time = serializers.SerializerMethodField()
    immutable = serializers.SerializerMethodField()

    class Meta:
        model = Tag
        fields = ["id", "repository_id", "artifact_id", "name", "push_time", "pull_time", "immutable"]

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_pull_time(self, tag: Tag) -> str | None:
        pulled_at = getattr(tag, "pulled_at", None)
        return serializers.DateTimeField().to_representation(pulled_at) if pulled_at else None

    def get_immutable(self, tag: Tag) -> bool:
        return False


class NewTagSerializer(serializers.Serializer):
    """Harbor's NewTag; the name is checked by the service (tag_create)."""

    name = serializers.CharField(max_length=255, trim_whitespace=False)


class LabelSerializer(serializers.ModelSerializer):
    """Harbor's Label; a global label has project_id 0."""

    project_id = serializers.SerializerMethodField()
    creation_time = serializers.DateTimeField(source="created_at")
    update_time = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = Label
        fields = ["id", "name", "description", "color", "scope", "project_id", "creation_time", "update_time"]

    def get_project_id(self, label: Label) -> int:
        return label.project_id or 0


class LabelInputSerializer(serializers.Serializer):
    """The body that creates a label (Harbor's Label without the read-only fields)."""

    name = serializers.CharField(max_length=255, trim_whitespace=False)
    description = serializers.CharField(allow_blank=True, required=False, default="", max_length=65536)
    color = serializers.CharField(allow_blank=True, required=False, default="", max_length=255)
    scope = serializers.ChoiceField(choices=["g", "p"], required=False, default="g")
    project_id = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class LabelUpdateSerializer(serializers.Serializer):
    """The body that changes a label: name, description, color (the scope stays)."""

    name = serializers.CharField(max_length=255, trim_whitespace=False, required=False)
    description = serializers.CharField(allow_blank=True, required=False, max_length=65536)
    color = serializers.CharField(allow_blank=True, required=False, max_length=255)


class LabelIdSerializer(serializers.Serializer):
    """The body that adds a label to an artifact: Harbor's Label, of which only the id counts."""

    id = serializers.IntegerField(min_value=1)


class AccessorySerializer(serializers.Serializer):
    """Harbor's Accessory: an artifact whose subject is the listed one (an OCI referrer)."""

    def to_representation(self, accessory: Artifact) -> dict[str, Any]:
        subject = self.context["subject"]
        return {
            "id": accessory.pk,
            "artifact_id": accessory.pk,
            "subject_artifact_id": subject.pk,
            "subject_artifact_digest": subject.digest,
            "subject_artifact_repo": self.context["repository"].name,
            "size": accessory.size,
            "digest": accessory.digest,
            "type": accessory_type_of(accessory.artifact_type),
            "icon": "",
            "creation_time": serializers.DateTimeField().to_representation(accessory.pushed_at),
        }


class ArtifactListSerializer(serializers.ListSerializer):
    """A page of artifacts: their accessories are read in one query for the page, when asked for."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        artifacts = list(data)
        if self.context.get("with_accessory") and "accessories" not in self.context:
            self.context["accessories"] = accessories_of(
                repository_id=self.context["repository"].pk, digests=[a.digest for a in artifacts]
            )
        return [self.child.to_representation(artifact) for artifact in artifacts]


class ArtifactSerializer(serializers.Serializer):
    """Harbor's Artifact. Related rows come prefetched (images.selectors.artifact_list): a page of
    artifacts costs the same handful of queries whatever its size.

    The context gives the `repository`, `with_tag`, `with_label`, `with_accessory`, and for one
    artifact its `extra_attrs` (read from its config; a list leaves them empty).
    """

    class Meta:
        list_serializer_class = ArtifactListSerializer

    def to_representation(self, artifact: Artifact) -> dict[str, Any]:
        context = self.context
        repository = context["repository"]
        media_type = harbor_media_type(
            media_type=artifact.media_type,
            config_media_type=artifact.config_media_type,
            annotations=artifact.annotations,
        )
        time = serializers.DateTimeField()
        references = [
            {
                "parent_id": artifact.pk,
                "child_id": reference.child_id,
                "child_digest": reference.child.digest,
                "platform": reference.platform or None,
                "annotations": reference.annotations or None,
                "urls": None,
            }
            for reference in artifact.child_references.all()
        ]
        tags = None
        if context.get("with_tag", True):
            for tag in artifact.tags.all():
                tag.pulled_at = artifact.pulled_at
            tags = TagSerializer(artifact.tags.all(), many=True).data
        labels = LabelSerializer(artifact.labels.all(), many=True).data if context.get("with_label") else None
        accessories = None
        if context.get("with_accessory"):
            found = context["accessories"].get(artifact.digest, [])
            accessories = AccessorySerializer(
                found, many=True, context={"subject": artifact, "repository": repository}
            ).data
        return {
            "id": artifact.pk,
            "type": artifact_type_of(media_type),
            "media_type": media_type,
            "manifest_media_type": artifact.media_type,
            "artifact_type": artifact.artifact_type,
            "project_id": repository.project_id,
            "repository_id": repository.pk,
            "repository_name": repository.name,
            "digest": artifact.digest,
            "size": artifact.size,
            "icon": "",
            "push_time": time.to_representation(artifact.pushed_at),
            "pull_time": time.to_representation(artifact.pulled_at) if artifact.pulled_at else None,
            "extra_attrs": context.get("extra_attrs", {}),
            "annotations": artifact.annotations or None,
            "references": references or None,
            "tags": tags,
            "addition_links": {},
            "labels": labels,
            "accessories": accessories,
        }
