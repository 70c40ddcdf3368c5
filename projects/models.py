"""Identity and ownership: users, groups, projects, their members and robot accounts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

# Harbor's project name rule: lowercase letters, digits and ._- separators, 1 to 255 characters,
# starting with a letter or digit (the first path component of an OCI repository name).
PROJECT_NAME_RE = r"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$"
UNLIMITED = -1


class User(AbstractUser):
    """A person: from the database, or from LDAP (then `ldap_dn` is set and the password unusable).

    `is_superuser` is Harbor's system admin flag.
    """

    realname = models.CharField(_("full name"), max_length=255, blank=True)
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    ldap_dn = models.CharField(_("LDAP DN"), max_length=1024, blank=True)
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="user_email_unique_ci", condition=~models.Q(email="")
            ),
        ]

    @property
    def is_ldap(self) -> bool:
        return bool(self.ldap_dn)


class UserGroup(models.Model):
    """What Harbor knows of a group: its type and, for LDAP groups, its DN. Membership is auth.Group's."""

    class Type(models.IntegerChoices):
        LDAP = 1, _("LDAP group")
        HTTP = 2, _("HTTP group")
        OIDC = 3, _("OIDC group")

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="harbor")
    group_type = models.PositiveSmallIntegerField(_("group type"), choices=Type.choices)
    ldap_group_dn = models.CharField(_("LDAP group DN"), max_length=1024, blank=True)
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta:
        verbose_name = _("user group")
        verbose_name_plural = _("user groups")
        constraints = [
            models.UniqueConstraint(
                Lower("ldap_group_dn"),
                name="usergroup_ldap_dn_unique_ci",
                condition=~models.Q(ldap_group_dn=""),
            )
        ]

    def __str__(self) -> str:
        return self.group.name


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
    # Bytes of distinct blobs the project may hold; UNLIMITED (-1) for no limit.
    storage_limit = models.BigIntegerField(_("storage quota"), default=UNLIMITED)
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="project_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(storage_limit__gte=UNLIMITED), name="project_quota_valid"
            ),
        ]
        # Object permissions granted on a project through django-guardian, in bundles by role
        # (projects.permissions.ROLE_ACTIONS); the codenames are the values of Action.
        permissions = [
            ("pull_project", _("Can pull from the project")),
            ("read_project_members", _("Can see the project's members")),
            ("read_project_logs", _("Can see the project's logs")),
            ("push_project", _("Can push to the project")),
            ("delete_project_artifact", _("Can delete the project's artifacts, tags and repositories")),
            ("manage_project_rules", _("Can manage the project's immutability and retention rules")),
            ("admin_project", _("Can administer the project: members, robots, settings")),
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


class Role(models.IntegerChoices):
    """Harbor's project roles, with Harbor's ids."""

    PROJECT_ADMIN = 1, _("Project Admin")
    DEVELOPER = 2, _("Developer")
    GUEST = 3, _("Guest")
    MAINTAINER = 4, _("Maintainer")
    LIMITED_GUEST = 5, _("Limited Guest")


class ProjectMember(models.Model):
    """A user or a group with a role in a project. The role's permissions live in guardian."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    role = models.PositiveSmallIntegerField(_("role"), choices=Role.choices)
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta:
        verbose_name = _("project member")
        verbose_name_plural = _("project members")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="member_is_user_or_group",
            ),
            models.UniqueConstraint(
                fields=["project", "user"], name="member_user_unique", condition=models.Q(user__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["project", "group"],
                name="member_group_unique",
                condition=models.Q(group__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user if self.user_id else self.group} ({self.get_role_display()})"


class Robot(models.Model):
    """A robot account: a secret and an explicit list of permissions, for machines, never for the UI.

    A project robot is `robot$<project>+<name>` and acts in its project only; a system robot is
    `robot$<name>` and may hold permissions in several projects.
    """

    PREFIX = "robot$"

    name = models.CharField(_("name"), max_length=255)
    username = models.CharField(_("username"), max_length=512, unique=True)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="robots",
    )
    description = models.CharField(_("description"), max_length=1024, blank=True)
    # A Django password hash of the secret: the secret itself is shown once, when set.
    secret_hash = models.CharField(max_length=255)
    expires_at = models.DateTimeField(_("expiration time"), null=True, blank=True)
    disabled = models.BooleanField(_("disabled"), default=False)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta:
        verbose_name = _("robot account")
        verbose_name_plural = _("robot accounts")

    def __str__(self) -> str:
        return self.username

    @property
    def level(self) -> str:
        return "project" if self.project_id else "system"

    def is_usable(self, now: object | None = None) -> bool:
        """Enabled and not expired."""
        now = now or timezone.now()
        return not self.disabled and (self.expires_at is None or self.expires_at > now)

    # Robots are principals of the token service, never Django users: these keep code that asks
    # "who is this" working without mistaking a robot for a person.
    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_robot = True

    @property
    def is_active(self) -> bool:
        return self.is_usable()

    def get_username(self) -> str:
        return self.username


class RobotPermission(models.Model):
    """The actions (projects.permissions.Action values) a robot may perform in one project.

    Without a project, in every project, present and future: Harbor's system robot "covering all
    projects" (namespace "*"), which only a system admin may create.
    """

    robot = models.ForeignKey(Robot, on_delete=models.CASCADE, related_name="permissions")
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="robot_permissions"
    )
    actions = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["robot", "project"], name="robot_permission_unique"),
            models.UniqueConstraint(
                fields=["robot"],
                name="robot_permission_all_projects_unique",
                condition=models.Q(project__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.robot_id}@{self.project_id or '*'}"


class SystemSettings(models.Model):
    """System-wide settings changed at run time (the singleton row with pk=1)."""

    class ProjectCreation(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        ADMIN_ONLY = "adminonly", _("System admins only")

    self_registration = models.BooleanField(_("self-registration"), default=False)
    project_creation_restriction = models.CharField(
        _("who may create projects"),
        max_length=16,
        choices=ProjectCreation.choices,
        default=ProjectCreation.EVERYONE,
    )
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta:
        verbose_name = _("system settings")
        verbose_name_plural = _("system settings")

    def __str__(self) -> str:
        return "system settings"
