"""The audit trail: one append-only record per operation (the audit issue builds on this)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which resource, when, from where, and whether it worked."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    class ActorKind(models.TextChoices):
        USER = "user", _("User")
        ROBOT = "robot", _("Robot account")
        ANONYMOUS = "anonymous", _("Anonymous")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.CharField(_("actor"), max_length=512)
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    operation = models.CharField(_("operation"), max_length=32)
    resource_type = models.CharField(_("resource type"), max_length=32)
    resource = models.CharField(_("resource"), max_length=1024)
    # The project by id and name: audit sits below projects and keeps its records after deletion.
    project_id = models.BigIntegerField(_("project id"), null=True, blank=True)
    project_name = models.CharField(_("project"), max_length=255, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, default=Result.SUCCESS)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [
            models.Index(fields=["project_id", "created_at"], name="audit_project_time_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_time_idx"),
            models.Index(fields=["operation", "created_at"], name="audit_operation_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor} {self.operation} {self.resource}"


class PurgeRun(models.Model):
    """One run of the audit purge (Harbor's ExecHistory of the purge job)."""

    class Kind(models.TextChoices):
        MANUAL = "MANUAL", _("Manual")
        SCHEDULE = "SCHEDULE", _("Scheduled")

    class Status(models.TextChoices):
        PENDING = "Pending", _("Pending")
        RUNNING = "Running", _("Running")
        SUCCESS = "Success", _("Success")
        ERROR = "Error", _("Error")
        STOPPED = "Stopped", _("Stopped")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MANUAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # {"audit_retention_hour": int, "include_operations": "create,delete,pull", "dry_run": bool}
    parameters = models.JSONField(_("parameters"), default=dict)
    purged = models.BigIntegerField(_("records purged"), default=0)
    log = models.TextField(_("log"), blank=True)
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta:
        verbose_name = _("audit purge run")
        verbose_name_plural = _("audit purge runs")

    def __str__(self) -> str:
        return f"purge {self.pk} {self.status}"
