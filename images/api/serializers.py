"""Harbor's shapes of repositories, artifacts, tags, labels and accessories (swagger definitions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from images.artifact_types import accessory_type_of, artifact_type_of, harbor_media_type
from images.models import Artifact, Label, Repository, Tag
from images.selectors import TagRow, accessories_of, tags_by_artifact

# Lists render thousands of tags per page at worst: nested rows are plain dicts (a serializer
# instance per row cost about a millisecond, measured) and times are formatted here, in UTC as
# Harbor gives them, in DRF's ISO 8601 form (DRF's field looks the time zone up for every value).


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def tag_data(tag: Tag | TagRow, pulled_at: Any) -> dict[str, Any]:
    """Harbor's Tag. The pull time is its artifact's; no tag is immutable (no immutability rules yet)."""
    return {
        "id": tag.id,
        "repository_id": tag.repository_id,
        "artifact_id": tag.artifact_id,
        "name": tag.name,
        "push_time": _time(tag.updated_at),
        "pull_time": _time(pulled_at),
        "immutable": False,
    }


def label_data(label: Label) -> dict[str, Any]:
    """Harbor's Label; a global label has project_id 0."""
    return {
        "id": label.pk,
        "name": label.name,
        "description": label.description,
        "color": label.color,
        "scope": label.scope,
        "project_id": label.project_id or 0,
        "creation_time": _time(label.created_at),
        "update_time": _time(label.updated_at),
    }


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
    """Harbor's Tag (tag_data); the tag carries its artifact's pull time as `pulled_at`."""

    push_time = serializers.DateTimeField(source="updated_at")
    pull_time = serializers.DateTimeField(allow_null=True)
    immutable = serializers.BooleanField()

    class Meta:
        model = Tag
        fields = ["id", "repository_id", "artifact_id", "name", "push_time", "pull_time", "immutable"]

    def to_representation(self, tag: Tag) -> dict[str, Any]:
        return tag_data(tag, getattr(tag, "pulled_at", None))


class NewTagSerializer(serializers.Serializer):
    """Harbor's NewTag; the name is checked by the service (tag_create)."""

    name = serializers.CharField(max_length=255, trim_whitespace=False)


class LabelSerializer(serializers.ModelSerializer):
    """Harbor's Label (label_data)."""

    project_id = serializers.IntegerField()
    creation_time = serializers.DateTimeField(source="created_at")
    update_time = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = Label
        fields = ["id", "name", "description", "color", "scope", "project_id", "creation_time", "update_time"]

    def to_representation(self, label: Label) -> dict[str, Any]:
        return label_data(label)


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


def accessory_data(accessory: Artifact, *, subject: Artifact, repository: Repository) -> dict[str, Any]:
    """Harbor's Accessory: an artifact whose subject is the listed one (an OCI referrer)."""
    return {
        "id": accessory.pk,
        "artifact_id": accessory.pk,
        "subject_artifact_id": subject.pk,
        "subject_artifact_digest": subject.digest,
        "subject_artifact_repo": repository.name,
        "size": accessory.size,
        "digest": accessory.digest,
        "type": accessory_type_of(accessory.artifact_type),
        "icon": "",
        "creation_time": _time(accessory.pushed_at),
    }


class AccessorySerializer(serializers.Serializer):
    """Harbor's Accessory (accessory_data), for the accessories list of one subject."""

    def to_representation(self, accessory: Artifact) -> dict[str, Any]:
        return accessory_data(
            accessory, subject=self.context["subject"], repository=self.context["repository"]
        )


class ArtifactListSerializer(serializers.ListSerializer):
    """A page of artifacts: their tags and accessories, when asked for, are one query each for the page."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        artifacts = list(data)
        if self.context.get("with_tag", True):
            self.context["tags"] = tags_by_artifact(artifact_ids=[a.pk for a in artifacts])
        if self.context.get("with_accessory"):
            self.context["accessories"] = accessories_of(
                repository_id=self.context["repository"].pk, digests=[a.digest for a in artifacts]
            )
        return [self.child.to_representation(artifact) for artifact in artifacts]


class ArtifactSerializer(serializers.Serializer):
    """Harbor's Artifact, always through ArtifactListSerializer (many=True, also for one artifact).
    Related rows come prefetched (images.selectors.artifact_list) or read for the whole page by the
    list serializer: a page costs the same handful of queries whatever its size.

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
        references = [
            {
                "parent_id": artifact.pk,
                "child_id": reference.child_id,
                "child_digest": reference.child.digest,
                "platform": reference.platform or None,
                "annotations": reference.annotations or None,
                "urls": None,
            }
            for reference in getattr(artifact, "reference_list", ())
        ]
        tags = None
        if context.get("with_tag", True):
            tags = [tag_data(tag, artifact.pulled_at) for tag in context["tags"][artifact.pk]]
        labels = [label_data(label) for label in artifact.label_list] if context.get("with_label") else None
        accessories = None
        if context.get("with_accessory"):
            accessories = [
                accessory_data(accessory, subject=artifact, repository=repository)
                for accessory in context["accessories"].get(artifact.digest, [])
            ]
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
            "push_time": _time(artifact.pushed_at),
            "pull_time": _time(artifact.pulled_at),
            "extra_attrs": context.get("extra_attrs", {}),
            "annotations": artifact.annotations or None,
            "references": references or None,
            "tags": tags,
            "addition_links": {},
            "labels": labels,
            "accessories": accessories,
        }
