"""Projects: the unit of ownership and access control. Repositories live under a project."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

# Harbor's project name rule: lowercase letters, digits and ._- separators, 1 to 255 characters,
# starting with a letter or digit (the first path component of an OCI repository name).
PROJECT_NAME_RE = r"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$"


class Project(models.Model):
    """A namespace of repositories, public (anyone may pull) or private."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    is_public = models.BooleanField(_("public"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="project_name_unique_ci")]
        # Object permissions granted on a project through django-guardian; the codenames are the
        # values of projects.permissions.Action.
        permissions = [
            ("pull_project", _("Can pull from the project")),
            ("push_project", _("Can push to the project")),
            ("delete_project_artifact", _("Can delete the project's artifacts")),
            ("admin_project", _("Can administer the project")),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct foreign-key table for user permissions on projects."""

    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("project user permission")
        verbose_name_plural = _("project user permissions")


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    """Guardian's direct foreign-key table for group permissions on projects."""

    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("project group permission")
        verbose_name_plural = _("project group permissions")
