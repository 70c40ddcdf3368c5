"""manage.py seed_content: a large, fake but valid-looking content set, written straight to the database.

For measuring the REST API's lists (bench/api_lists.py), not for tests or production. One project
holds a big repository with most of the artifacts and many small repositories with one artifact
each; tags are spread over the big repository's artifacts, and one artifact (the newest) carries
`--hot-tags` of them; every tenth artifact has a label; `--audit` audit records are added too.
Manifests are real JSON whose digests are their sha256, referencing blobs that are not stored
(no blob bytes are written). Rows go in with bulk_create in batches, with progress on stdout.

Seeding again with the same options reuses what is there: each part is skipped when the project
already holds at least as many rows of it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from images.models import Artifact, ArtifactLabel, Label, Repository, Tag
from projects.models import Project

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
BIG_REPOSITORY = "big"
LABEL_NAME = "seeded"
SEED_ACTOR = "seed"
# Rows per INSERT batch: a few MB of parameters at most, and a progress line every batch.
BATCH = 5000


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _manifest(n: int, project: str) -> tuple[bytes, int]:
    """A small OCI image manifest (config and two layers) and the artifact size it gives."""
    config_size, layer_sizes = 1000 + n % 500, [2_000_000 + n % 100_000, 30_000_000 + n % 1_000_000]
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG,
                "digest": _digest(f"{project}:config:{n}"),
                "size": config_size,
            },
            "layers": [
                {"mediaType": OCI_LAYER, "digest": _digest(f"{project}:layer:{n}:{i}"), "size": size}
                for i, size in enumerate(layer_sizes)
            ],
        },
        separators=(",", ":"),
    ).encode()
    return manifest, len(manifest) + config_size + sum(layer_sizes)


@contextmanager
def _explicit_times(*fields: tuple[type, str]) -> Iterator[None]:
    """Let bulk_create keep the times we give instead of auto_now(_add) ones (the seed spreads them)."""
    saved = []
    for model, name in fields:
        field = model._meta.get_field(name)
        saved.append((field, field.auto_now, field.auto_now_add))
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Command(BaseCommand):
    help = _("Seed a large fake content set (artifacts, tags, repositories, audit records) for benchmarks.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", default="bench", help=_("project to fill (created, private)"))
        parser.add_argument("--artifacts", type=int, default=100_000, help=_("artifacts in all"))
        parser.add_argument("--tags", type=int, default=500_000, help=_("tags in all"))
        parser.add_argument(
            "--repositories", type=int, default=1000, help=_("repositories, the big one included")
        )
        parser.add_argument("--hot-tags", type=int, default=2000, help=_("tags on the newest artifact"))
        parser.add_argument("--audit", type=int, default=0, help=_("audit records to add"))

    def handle(self, *args: Any, **options: Any) -> None:
        self.started = time.monotonic()
        project, _created = Project.objects.get_or_create(
            name=options["project"], defaults={"is_public": False}
        )
        small = max(0, min(options["repositories"] - 1, options["artifacts"] - 1))
        big_count = options["artifacts"] - small
        now = timezone.now()
        with _explicit_times((Artifact, "pushed_at"), (Tag, "updated_at"), (Tag, "created_at")):
            big = self._repositories(project, small)
            self._artifacts(project, big, big_count, small, now)
            self._tags(project, big, options["tags"], options["hot_tags"], now)
        self._labels(big)
        self._audit(project, options["audit"], now)
        self._analyze()
        self.stdout.write(f"done in {time.monotonic() - self.started:.1f} s")

    def _progress(self, what: str, done: int, total: int) -> None:
        self.stdout.write(f"{what}: {done}/{total} ({time.monotonic() - self.started:.1f} s)")

    def _repositories(self, project: Project, small: int) -> Repository:
        big, _created = Repository.objects.get_or_create(
            name=f"{project.name}/{BIG_REPOSITORY}", defaults={"project": project}
        )
        names = [f"{project.name}/repo-{n:06d}" for n in range(small)]
        existing = set(Repository.objects.filter(project=project).values_list("name", flat=True))
        missing = [name for name in names if name not in existing]
        for start in range(0, len(missing), BATCH):
            Repository.objects.bulk_create(
                [Repository(project=project, name=name) for name in missing[start : start + BATCH]]
            )
            self._progress("repositories", start + len(missing[start : start + BATCH]), len(missing))
        return big

    def _artifacts(
        self, project: Project, big: Repository, big_count: int, small: int, now: datetime
    ) -> None:
        have = Artifact.objects.filter(repository=big).count()
        if have >= big_count:
            self.stdout.write(f"artifacts: {have} in {big.name} already")
            return
        for start in range(have, big_count, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, big_count)):
                manifest, size = _manifest(n, project.name)
                rows.append(
                    Artifact(
                        repository=big,
                        digest="sha256:" + hashlib.sha256(manifest).hexdigest(),
                        media_type=OCI_MANIFEST,
                        manifest=manifest,
                        size=size,
                        artifact_type=OCI_CONFIG,
                        config_media_type=OCI_CONFIG,
                        # The newest is n = big_count - 1: pushed one second apart, oldest first.
                        pushed_at=now - timedelta(seconds=big_count - n),
                    )
                )
            with transaction.atomic():
                Artifact.objects.bulk_create(rows)
            self._progress("artifacts", start + len(rows), big_count)
        repositories = list(
            Repository.objects.filter(project=project).exclude(pk=big.pk).exclude(artifacts__isnull=False)
        )
        for start in range(0, len(repositories), BATCH):
            rows = []
            for offset, repository in enumerate(repositories[start : start + BATCH]):
                manifest, size = _manifest(big_count + start + offset, project.name)
                rows.append(
                    Artifact(
                        repository=repository,
                        digest="sha256:" + hashlib.sha256(manifest).hexdigest(),
                        media_type=OCI_MANIFEST,
                        manifest=manifest,
                        size=size,
                        artifact_type=OCI_CONFIG,
                        config_media_type=OCI_CONFIG,
                        pushed_at=now,
                    )
                )
            with transaction.atomic():
                Artifact.objects.bulk_create(rows)
            self._progress("artifacts of small repositories", start + len(rows), len(repositories))

    def _tags(self, project: Project, big: Repository, total: int, hot: int, now: datetime) -> None:
        have = Tag.objects.filter(repository__project=project).count()
        if have >= total:
            self.stdout.write(f"tags: {have} already")
            return
        ids = list(
            Artifact.objects.filter(repository=big).order_by("pushed_at", "id").values_list("id", flat=True)
        )
        hot = min(hot, total)
        for start in range(have, total, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, total)):
                # The first `hot` tags go to the newest artifact; the others round the artifacts.
                artifact_id = ids[-1] if n < hot else ids[n % len(ids)]
                at = now - timedelta(seconds=total - n)
                rows.append(
                    Tag(
                        repository=big,
                        artifact_id=artifact_id,
                        name=f"t{n:07d}",
                        created_at=at,
                        updated_at=at,
                    )
                )
            with transaction.atomic():
                Tag.objects.bulk_create(rows, ignore_conflicts=True)
            self._progress("tags", start + len(rows), total)

    def _labels(self, big: Repository) -> None:
        label, _created = Label.objects.get_or_create(name=LABEL_NAME, scope=Label.Scope.GLOBAL)
        if ArtifactLabel.objects.filter(label=label).exists():
            return
        ids = list(Artifact.objects.filter(repository=big).values_list("id", flat=True)[::10])
        for start in range(0, len(ids), BATCH):
            ArtifactLabel.objects.bulk_create(
                [ArtifactLabel(artifact_id=pk, label=label) for pk in ids[start : start + BATCH]]
            )
        self._progress("labels", len(ids), len(ids))

    def _audit(self, project: Project, total: int, now: datetime) -> None:
        have = AuditEvent.objects.filter(actor=SEED_ACTOR).count() if total else 0
        operations = ["create", "pull", "pull", "pull", "delete"]
        for start in range(have, total, BATCH):
            rows = [
                AuditEvent(
                    created_at=now - timedelta(seconds=total - n),
                    actor=SEED_ACTOR,
                    actor_kind=AuditEvent.ActorKind.USER,
                    operation=operations[n % len(operations)],
                    resource_type="artifact",
                    resource=f"{project.name}/{BIG_REPOSITORY}:t{n % 500_000:07d}",
                    project_id=project.pk,
                    project_name=project.name,
                )
                for n in range(start, min(start + BATCH, total))
            ]
            with transaction.atomic():
                AuditEvent.objects.bulk_create(rows)
            self._progress("audit records", start + len(rows), total)

    def _analyze(self) -> None:
        """Fresh planner statistics (and, on PostgreSQL, a visibility map for index-only counts)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # VACUUM cannot run in a transaction (as under a test): then statistics only.
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                for model in (Artifact, Tag, Repository, ArtifactLabel, AuditEvent, Label):
                    cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
            else:
                cursor.execute("ANALYZE")
        self._progress("analyzed", 1, 1)
