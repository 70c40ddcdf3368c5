"""The admin site for projects, their members and robots, users, groups, system settings and the
audit trail.

Every write calls a service (projects.services.*) with the request's user and address, so the
audit trail is the same as through the REST API. Every access decision comes from
projects.permissions:

- a staff user sees the projects its roles cover (projects_granting) and, in them, what its role
  allows (ROLE_ACTIONS): Guests see the project, its members, robots and logs; Maintainers also
  delete artifacts and tags (images/admin.py); Project Admins also change the project's public
  flag, members and robots. An object of another project is a 404.
- quotas, users, groups, system robots, blobs, system settings and the whole audit trail are the
  system admins'. A project admin looks users and groups up (autocomplete) only to add members.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import SetPasswordMixin, UserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.db.models import Count, Field, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditEventAdmin, PurgeRunAdmin
from audit.models import AuditEvent, PurgeRun
from harborpy.admin_options import HarborModelAdmin, ReadOnlyInline, ServiceAdmin, client_address
from harborpy.errors import BadRequest, HarborError
from projects.models import (
    PROJECT_NAME_RE,
    UNLIMITED,
    Project,
    ProjectMember,
    Robot,
    RobotPermission,
    SystemSettings,
    User,
    UserGroup,
)
from projects.permissions import (
    Action,
    can_change_quota,
    can_create_project,
    can_create_user,
    can_manage_configurations,
    can_manage_robots,
    can_manage_users,
    can_read_all_audit_logs,
    can_search_principals,
    can_use_admin_site,
    holds,
    is_system_admin,
    projects_administered_by,
    projects_granting,
    system_settings,
)
from projects.services.members import member_remove, member_set_role
from projects.services.projects import project_create, project_delete, project_update
from projects.services.robots import Grant, robot_create, robot_delete, robot_refresh_secret, robot_update
from projects.services.system import system_settings_update
from projects.services.usergroups import usergroup_create, usergroup_delete, usergroup_update
from projects.services.users import (
    user_create,
    user_delete,
    user_set_active,
    user_set_password,
    user_set_staff,
    user_set_sysadmin,
    user_update_profile,
)

# Projects listed in a list's "project" filter; more are reached through the search box.
PROJECT_FILTER_MAX = 50
# What each project action is called, from the guardian permissions that carry it.
ACTION_LABELS = dict(Project._meta.permissions)


def granted(request: HttpRequest, action: Action, project_id: int | None = None) -> bool:
    """Whether the request's user holds `action` in the project, or (None) in any project.

    Asked many times per page (each action, inline and button): answered once per request.
    """
    answers = request.__dict__.setdefault("_harborpy_granted", {})
    key = (action, project_id)
    if key not in answers:
        user = request.user
        if not can_use_admin_site(user):
            answers[key] = False
        elif project_id is None:
            answers[key] = is_system_admin(user) or projects_granting(user, action).exists()
        else:
            answers[key] = holds(user, action, project_id)
    return answers[key]


def _report(request: HttpRequest, done: str | None, refused: list[str]) -> None:
    if done:
        messages.success(request, done)
    if refused:
        messages.error(
            request,
            ngettext("You may not change %(names)s.", "You may not change these: %(names)s.", len(refused))
            % {"names": ", ".join(refused)},
        )


def _copy_saved(saved: Any, obj: Any) -> None:
    """Make the admin's unsaved `obj` the row a service saved (the admin goes on with `obj`)."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


class ProjectFilter(admin.SimpleListFilter):
    """The projects the user's role covers (all for system admins), by name."""

    title = _("project")
    parameter_name = "project"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        self.project_field = model_admin.project_field
        self.view_action = model_admin.view_action
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        projects = projects_granting(request.user, self.view_action).order_by("name")
        return [(str(pk), name) for pk, name in projects.values_list("pk", "name")[:PROJECT_FILTER_MAX]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{self.project_field: int(value)})
        return queryset


class ProjectScopedAdmin(ServiceAdmin):
    """A model whose rows belong to a project, listed for the projects the user's roles cover.

    `view_action`, `change_action` and `delete_action` are what the user's role must give in the
    row's project to see, change or delete it (None: nobody, not even a system admin, does that
    here). Nothing is added through these admins unless a subclass says so.
    """

    project_field: ClassVar[str] = "project"  # the lookup from the model to its Project ("" for Project)
    view_action: ClassVar[Action] = Action.PULL
    change_action: ClassVar[Action | None] = None
    delete_action: ClassVar[Action | None] = None

    def project_id_of(self, obj: Any) -> int | None:
        if not self.project_field:
            return obj.pk
        *path, last = self.project_field.split("__")
        for name in path:
            obj = getattr(obj, name)
        return getattr(obj, f"{last}_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if is_system_admin(request.user):
            return queryset
        lookup = f"{self.project_field}__in" if self.project_field else "pk__in"
        return queryset.filter(**{lookup: projects_granting(request.user, self.view_action).values("pk")})

    def may(self, request: HttpRequest, action: Action | None, obj: Any = None) -> bool:
        if action is None:
            return False
        return granted(request, action, None if obj is None else self.project_id_of(obj))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request) or self.has_add_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may(request, self.view_action, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may(request, self.change_action, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may(request, self.delete_action, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- Projects and members -----------------------------------------------------------------------


class MemberForm(forms.ModelForm):
    """A user or a group and its role. An existing member's role changes; who it is does not."""

    class Meta:
        model = ProjectMember
        fields = ["user", "group", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name in ("user", "group"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user, group = cleaned.get("user"), cleaned.get("group")
        if user is None and group is None and "user" not in self.errors:
            self.add_error("user", gettext("Choose a user or a group."))
        elif user is not None and group is not None:
            self.add_error("group", gettext("A member is either a user or a group, not both."))
        return cleaned


class MemberFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or form in self.deleted_forms:
                continue
            principal = data.get("user") or data.get("group")
            if principal is None:
                continue
            key = (type(principal), principal.pk)
            if key in seen:
                raise ValidationError(gettext("%(name)s is listed twice.") % {"name": principal})
            seen.add(key)


class ProjectMemberInline(admin.TabularInline):
    """Members of the project: seen by its Guests and above, changed by its Project Admins."""

    model = ProjectMember
    form = MemberForm
    formset = MemberFormSet
    fields = ["user", "group", "role"]
    autocomplete_fields = ["user", "group"]
    extra = 0
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user", "group")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return can_create_project(request.user)
        return granted(request, Action.READ_MEMBERS, obj.pk)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:  # members given while creating the project, whose admin the creator becomes
            return can_create_project(request.user)
        return granted(request, Action.ADMIN, obj.pk)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdmin):
    project_field = ""
    view_action = Action.PULL
    change_action = Action.ADMIN
    delete_action = Action.ADMIN

    list_display = ["name", "is_public", "owner", "quota", "member_total", "created_at"]
    list_filter = ["is_public"]
    list_select_related = ["owner"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    ordering = ["name"]
    inlines = [ProjectMemberInline]
    actions = ["make_public", "make_private"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        members = (
            ProjectMember.objects.filter(project=OuterRef("pk"))
            .order_by()
            .values("project")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(member_total=Coalesce(Subquery(members, output_field=IntegerField()), 0))
        )

    def get_fields(self, request: HttpRequest, obj: Project | None = None) -> list[str]:
        fields = ["name", "is_public", "storage_limit" if can_change_quota(request.user) else "quota"]
        if obj is not None:
            fields += ["owner_name", "created_at", "updated_at"]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Project | None = None) -> list[str]:
        readonly = ["quota", "owner_name", "created_at", "updated_at"]
        if obj is not None:
            readonly.insert(0, "name")  # Harbor never renames a project
        return readonly

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "name":
            field.validators.append(
                RegexValidator(
                    PROJECT_NAME_RE,
                    message=_(
                        "Use lowercase letters, digits and . _ - separators, starting with a letter or digit."
                    ),
                )
            )
        elif db_field.name == "storage_limit":
            field.help_text = _("In bytes; -1 for no limit.")
        return field

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_create_project(request.user)

    @admin.display(description=_("storage quota"), ordering="storage_limit")
    def quota(self, project: Project) -> str:
        if project.storage_limit == UNLIMITED:
            return gettext("unlimited")
        return filesizeformat(project.storage_limit)

    @admin.display(description=_("owner"))
    def owner_name(self, project: Project) -> str:
        # A name, not a link: only system admins may open a user's page.
        return project.owner.get_username() if project.owner_id else "-"

    @admin.display(description=_("members"), ordering="member_total")
    def member_total(self, project: Project) -> int:
        return project.member_total

    def save_model(self, request: HttpRequest, obj: Project, form: forms.ModelForm, change: bool) -> None:
        quota = can_change_quota(request.user)
        if change:
            project_update(
                project=Project.objects.get(pk=obj.pk),
                actor=request.user,
                is_public=obj.is_public,
                storage_limit=obj.storage_limit if quota else None,
                address=client_address(request),
            )
            return
        created = project_create(
            name=obj.name,
            is_public=obj.is_public,
            owner=request.user,
            storage_limit=obj.storage_limit if quota else UNLIMITED,
            address=client_address(request),
        )
        _copy_saved(created, obj)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not ProjectMember:
            super().save_formset(request, form, formset, change)
            return
        project, address = form.instance, client_address(request)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for member_form in formset.deleted_forms:
            if member_form.instance.pk is not None:
                member_remove(member=member_form.instance, actor=request.user, address=address)
                formset.deleted_objects.append(member_form.instance)
        for member_form in formset.forms:
            if member_form in formset.deleted_forms or not member_form.has_changed():
                continue
            data = member_form.cleaned_data
            member = member_set_role(
                project=project,
                role=data["role"],
                user=data.get("user"),
                group=data.get("group"),
                actor=request.user,
                address=address,
            )
            if member_form.instance.pk is None:
                formset.new_objects.append(member)
            else:
                formset.changed_objects.append((member, member_form.changed_data))

    def delete_model(self, request: HttpRequest, obj: Project) -> None:
        project_delete(project=obj, actor=request.user, address=client_address(request))

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, list]:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Whether a project may go is project_delete's decision (one with repositories may not),
        # shown as its message; the repositories are never deleted with it, so deleting them is
        # no permission the user needs here. (Asked through the reverse relation: images is above.)
        if protected:
            repositories = Project._meta.get_field("repositories").related_model._meta.verbose_name
            perms_needed = {name for name in perms_needed if name != repositories}
        return deleted, counts, perms_needed, []

    @admin.action(permissions=["change"], description=_("Mark selected projects public"))
    def make_public(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        self._set_public(request, queryset, public=True)

    @admin.action(permissions=["change"], description=_("Mark selected projects private"))
    def make_private(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        self._set_public(request, queryset, public=False)

    def _set_public(self, request: HttpRequest, queryset: QuerySet[Project], *, public: bool) -> None:
        changed, refused = [], []
        for project in queryset:
            if not self.has_change_permission(request, project):
                refused.append(project.name)
                continue
            project_update(
                project=project, actor=request.user, is_public=public, address=client_address(request)
            )
            changed.append(project.name)
        done = None
        if changed:
            done = (
                ngettext(
                    "%(count)d project is now public.", "%(count)d projects are now public.", len(changed)
                )
                if public
                else ngettext(
                    "%(count)d project is now private.", "%(count)d projects are now private.", len(changed)
                )
            ) % {"count": len(changed)}
        _report(request, done, refused)


# --- Robot accounts -----------------------------------------------------------------------------


class RobotForm(forms.ModelForm):
    """A robot account and the actions it may perform: in its project, or (a system robot) in each
    of the projects chosen."""

    permissions = forms.MultipleChoiceField(
        label=_("permissions"),
        choices=[(action.value, ACTION_LABELS[action.value]) for action in Action],
        widget=forms.CheckboxSelectMultiple,
    )
    grant_projects = forms.ModelMultipleChoiceField(
        label=_("projects"),
        queryset=Project.objects.all(),
        required=False,
        help_text=_("A system robot account gets the permissions in each of these projects."),
    )
    every_project = forms.BooleanField(
        label=_("every project"),
        required=False,
        help_text=_("A system robot account with the permissions in every project, present and future."),
    )

    class Meta:
        model = Robot
        fields = ["name", "project", "description", "expires_at", "disabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            grants = list(self.instance.permissions.select_related("project"))
            self.initial["permissions"] = sorted({action for grant in grants for action in grant.actions})
            self.initial["grant_projects"] = [grant.project_id for grant in grants if grant.project_id]
            self.initial["every_project"] = any(grant.project_id is None for grant in grants)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        project = cleaned.get("project", self.instance.project if self.instance.pk else None)
        if project is None and not (cleaned.get("grant_projects") or cleaned.get("every_project")):
            self.add_error("grant_projects", gettext("Choose the projects of the system robot account."))
        return cleaned

    def grants(self) -> list[Grant]:
        actions = frozenset(Action(value) for value in self.cleaned_data["permissions"])
        project = self.cleaned_data.get("project", self.instance.project)
        if project is not None:
            return [Grant(project=project, actions=actions)]
        if self.cleaned_data.get("every_project"):
            return [Grant(project=None, actions=actions)]
        return [Grant(project=p, actions=actions) for p in self.cleaned_data["grant_projects"]]


class RobotPermissionInline(ReadOnlyInline):
    model = RobotPermission
    fk_name = "robot"
    fields = ["project", "actions"]
    readonly_fields = fields
    extra = 0
    verbose_name = _("permission")
    verbose_name_plural = _("permissions")


@admin.register(Robot)
class RobotAdmin(ProjectScopedAdmin):
    """Robot accounts: seen by their project's Guests and above, managed by its Project Admins
    (can_manage_robots); system robot accounts by system admins only. A secret is shown once."""

    view_action = Action.READ_MEMBERS
    change_action = Action.ADMIN
    delete_action = Action.ADMIN

    form = RobotForm
    list_display = ["username", "project", "level_name", "disabled", "expires_at", "creator", "created_at"]
    list_filter = ["disabled", ProjectFilter]
    list_select_related = ["project", "creator"]
    search_fields = ["username", "description"]
    ordering = ["username"]
    inlines = [RobotPermissionInline]
    actions = ["refresh_secret"]

    def may(self, request: HttpRequest, action: Action | None, obj: Any = None) -> bool:
        if obj is not None and obj.project_id is None:
            return action is not None and can_manage_robots(request.user, None)
        return super().may(request, action, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_manage_robots(request.user, None) or granted(request, Action.ADMIN)

    def get_inlines(self, request: HttpRequest, obj: Robot | None) -> list:
        return [] if obj is None else super().get_inlines(request, obj)

    def get_fields(self, request: HttpRequest, obj: Robot | None = None) -> list[str]:
        system_admin = can_manage_robots(request.user, None)
        if obj is None:
            fields = ["name", "project", "description", "expires_at", "permissions"]
            return [*fields, "grant_projects", "every_project"] if system_admin else fields
        fields = ["username", "project", "description", "disabled", "expires_at", "permissions"]
        if obj.project_id is None:
            fields += ["grant_projects", "every_project"]
        return [*fields, "creator_name", "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Robot | None = None) -> list[str]:
        if obj is None:
            return []
        return ["username", "project", "creator_name", "created_at", "updated_at"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "project":
            kwargs["queryset"] = projects_administered_by(request.user).order_by("name")
            kwargs["required"] = not can_manage_robots(request.user, None)
            kwargs["help_text"] = _("Empty for a system robot account.") if not kwargs["required"] else ""
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("creator"))
    def creator_name(self, robot: Robot) -> str:
        return robot.creator.get_username() if robot.creator_id else "-"

    @admin.display(description=_("level"))
    def level_name(self, robot: Robot) -> str:
        return gettext("project") if robot.project_id else gettext("system")

    def save_model(self, request: HttpRequest, obj: Robot, form: RobotForm, change: bool) -> None:
        address = client_address(request)
        if change:
            regrant = {"permissions", "grant_projects", "every_project"} & set(form.changed_data)
            robot_update(
                robot=Robot.objects.get(pk=obj.pk),
                actor=request.user,
                grants=form.grants() if regrant else None,
                description=obj.description,
                disabled=obj.disabled,
                expires_at=obj.expires_at,
                address=address,
            )
            return
        robot, secret = robot_create(
            creator=request.user,
            name=obj.name,
            grants=form.grants(),
            project=obj.project,
            description=obj.description,
            expires_at=obj.expires_at,
            address=address,
        )
        _copy_saved(robot, obj)
        request._harborpy_robot_secret = secret

    def response_add(self, request: HttpRequest, obj: Robot, post_url_continue: str | None = None) -> Any:
        response = super().response_add(request, obj, post_url_continue)
        secret = getattr(request, "_harborpy_robot_secret", None)
        if secret is not None:
            self._show_secret(request, obj, secret)
        return response

    def _show_secret(self, request: HttpRequest, robot: Robot, secret: str) -> None:
        self.message_user(
            request,
            gettext("The secret of %(name)s is %(secret)s — copy it now: it is not shown again.")
            % {"name": robot.username, "secret": secret},
            messages.WARNING,
        )

    def delete_model(self, request: HttpRequest, obj: Robot) -> None:
        robot_delete(robot=obj, actor=request.user, address=client_address(request))

    @admin.action(permissions=["change"], description=_("Refresh the secret of selected robot accounts"))
    def refresh_secret(self, request: HttpRequest, queryset: QuerySet[Robot]) -> None:
        refused = []
        for robot in queryset:
            if not self.has_change_permission(request, robot):
                refused.append(robot.username)
                continue
            secret = robot_refresh_secret(robot=robot, actor=request.user, address=client_address(request))
            self._show_secret(request, robot, secret)
        _report(request, None, refused)


# --- Users and groups ---------------------------------------------------------------------------


class PrincipalAutocompleteJsonView(AutocompleteJsonView):
    """The admin site's autocomplete (HarborAdminSite.autocomplete_view): Django's, which also
    answers a ModelAdmin's `has_autocomplete_permission()`, so that a project admin finds users
    and groups to make members without seeing the user list."""

    def has_perm(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().has_perm(request, obj):
            return True
        allowed = getattr(self.model_admin, "has_autocomplete_permission", None)
        return bool(allowed and allowed(request, self.source_field))


class _PrincipalSearch:
    """Users and groups: the system admins' to list and change; project admins look them up to
    make them members (the members inline's autocomplete), and see nothing else."""

    def has_autocomplete_permission(self, request: HttpRequest, source_field: Any) -> bool:
        return source_field.model is ProjectMember and can_search_principals(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_users(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_users(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can_manage_users(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_users(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_users(request.user)


class UserCreateForm(UserCreationForm):
    """A local user: its name, email address, full name and a password that meets the policy."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email", "realname", "comment"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True


class PasswordSetForm(SetPasswordMixin, forms.Form):
    """A new password, typed twice and checked against the password policy; user_set_password
    sets it."""

    required_css_class = "required"
    password1, password2 = SetPasswordMixin.create_password_fields()

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        self.validate_passwords()
        self.validate_password_for_user(self.user)
        return super().clean()


@admin.register(User)
class UserAdmin(_PrincipalSearch, ServiceAdmin, DjangoUserAdmin):
    """Users, changed through projects.services.users: the password policy, the last system admin,
    audit records and forgetting remembered logins are the services'. Group membership comes from
    LDAP (or another identity provider) and is only shown here."""

    add_form = UserCreateForm
    change_password_form = PasswordSetForm
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["realname", "email", "comment"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Directory"), {"fields": ["ldap_dn"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "email", "realname", "comment", "password1", "password2"],
            },
        ),
    ]
    list_display = ["username", "email", "realname", "is_superuser", "is_staff", "is_active", "is_ldap_user"]
    list_filter = ["is_superuser", "is_staff", "is_active"]
    search_fields = ["username", "email", "realname"]
    ordering = ["username"]
    filter_horizontal = []

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can_manage_users(request.user) and can_create_user(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        if obj is None:
            return []
        readonly = ["username", "groups", "ldap_dn", "last_login", "date_joined"]
        if obj.is_ldap:
            readonly += ["realname", "email", "comment"]  # LDAP owns an LDAP user's profile
        return readonly

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "is_superuser":
            field.label = _("System admin")
            field.help_text = _("Harbor's system admin: every project, every user, every setting.")
        elif db_field.name == "is_staff":
            field.label = _("Admin site")
            field.help_text = _("May use this admin site, on the projects its roles cover.")
        return field

    @admin.display(description=_("LDAP"), boolean=True)
    def is_ldap_user(self, user: User) -> bool:
        return user.is_ldap

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        actor, address = request.user, client_address(request)
        if not change:
            created = user_create(
                actor=actor,
                username=obj.username,
                email=obj.email,
                password=form.cleaned_data["password1"],
                realname=obj.realname,
                comment=obj.comment,
                address=address,
            )
            _copy_saved(created, obj)
            return
        user, changed = User.objects.get(pk=obj.pk), set(form.changed_data)
        if changed & {"email", "realname", "comment"}:
            user_update_profile(
                user=user,
                actor=actor,
                email=obj.email,
                realname=obj.realname,
                comment=obj.comment,
                address=address,
            )
        if "is_superuser" in changed:
            user_set_sysadmin(user=user, actor=actor, sysadmin=obj.is_superuser, address=address)
        if "is_staff" in changed:
            user_set_staff(user=user, actor=actor, staff=obj.is_staff, address=address)
        if "is_active" in changed:
            user_set_active(user=user, actor=actor, active=obj.is_active, address=address)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Django's page; the new password is set by user_set_password."""
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        user = self.get_object(request, unquote(id))
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = self.change_password_form(user, request.POST)
        if not form.is_valid():
            return super().user_change_password(request, id, form_url)  # the form again, with its errors
        try:
            user_set_password(
                user=user,
                actor=request.user,
                new_password=form.cleaned_data["password1"],
                address=client_address(request),
            )
        except HarborError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        self.log_change(request, user, self.construct_change_message(request, form, None))
        self.message_user(request, gettext("Password changed successfully."), messages.SUCCESS)
        update_session_auth_hash(request, user)
        return HttpResponseRedirect(
            reverse("admin:projects_user_change", args=[user.pk], current_app=self.admin_site.name)
        )

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj, actor=request.user, address=client_address(request))


class UserGroupInline(admin.StackedInline):
    """What Harbor knows of the group: its type and DN, given when it is created."""

    model = UserGroup
    fields = ["group_type", "ldap_group_dn"]
    min_num = max_num = 1
    can_delete = False
    verbose_name = verbose_name_plural = _("Harbor group")

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> list[str]:
        return self.fields if obj is not None else []

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_users(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_users(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_users(request.user)


admin.site.unregister(Group)


def _usergroup_of(group: Group) -> UserGroup:
    usergroup = UserGroup.objects.select_related("group").filter(group_id=group.pk).first()
    if usergroup is None:
        raise BadRequest(gettext("%(name)s is not a Harbor user group.") % {"name": group.name})
    return usergroup


@admin.register(Group)
class GroupAdmin(_PrincipalSearch, ServiceAdmin):
    """User groups (LDAP, HTTP or OIDC), through projects.services.usergroups: created with their
    type and DN, then only renamed. Their members come from LDAP (or another identity provider)."""

    fields = ["name"]
    inlines = [UserGroupInline]
    list_display = ["name", "group_type", "ldap_group_dn"]
    list_select_related = ["harbor"]
    search_fields = ["name"]
    ordering = ["name"]

    @admin.display(description=_("group type"))
    def group_type(self, group: Group) -> str:
        harbor = getattr(group, "harbor", None)
        return harbor.get_group_type_display() if harbor else ""

    @admin.display(description=_("LDAP group DN"))
    def ldap_group_dn(self, group: Group) -> str:
        harbor = getattr(group, "harbor", None)
        return harbor.ldap_group_dn if harbor else ""

    def save_model(self, request: HttpRequest, obj: Group, form: forms.ModelForm, change: bool) -> None:
        """Nothing yet: save_related writes, once the inline's type and DN are known."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        group, address = form.instance, client_address(request)
        (inline,) = formsets
        inline.new_objects, inline.changed_objects, inline.deleted_objects = [], [], []
        if not change:
            data = inline.forms[0].cleaned_data
            usergroup = usergroup_create(
                actor=request.user,
                name=group.name,
                group_type=data["group_type"],
                ldap_group_dn=data.get("ldap_group_dn", ""),
                address=address,
            )
            _copy_saved(usergroup.group, group)
            inline.new_objects.append(usergroup)
        elif "name" in form.changed_data:
            usergroup_update(
                usergroup=_usergroup_of(group), actor=request.user, name=group.name, address=address
            )

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        usergroup_delete(usergroup=_usergroup_of(obj), actor=request.user, address=client_address(request))


# --- System settings ----------------------------------------------------------------------------


@admin.register(SystemSettings)
class SystemSettingsAdmin(HarborModelAdmin):
    """The one row of run-time settings: a change page, no list, no adding or deleting; changed
    through system_settings_update, as /configurations changes it."""

    fields = ["self_registration", "project_creation_restriction", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_configurations(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_configurations(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_configurations(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        if str(object_id) != "1":
            raise Http404(gettext("There is one set of system settings."))
        return system_settings()  # the defaults from the environment until first saved

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(
            reverse("admin:projects_systemsettings_change", args=["1"], current_app=self.admin_site.name)
        )

    def save_model(
        self, request: HttpRequest, obj: SystemSettings, form: forms.ModelForm, change: bool
    ) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        saved = system_settings_update(actor=request.user, address=client_address(request), **changes)
        _copy_saved(saved, obj)


# --- The audit trail ----------------------------------------------------------------------------


@admin.register(AuditEvent)
class ProjectAuditEventAdmin(AuditEventAdmin):
    """Every record for system admins; for others, those of the projects where their role reads
    the logs (Guest and above), as Harbor's project logs."""

    project_field = "project_id"
    view_action = Action.READ_LOGS
    list_filter = [*AuditEventAdmin.list_filter, ProjectFilter]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        events = super().get_queryset(request)
        if can_read_all_audit_logs(request.user):
            return events
        return events.filter(project_id__in=projects_granting(request.user, Action.READ_LOGS).values("pk"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        if can_read_all_audit_logs(request.user):
            return can_use_admin_site(request.user)
        if obj is None:
            return granted(request, Action.READ_LOGS)
        return obj.project_id is not None and granted(request, Action.READ_LOGS, obj.project_id)


@admin.register(PurgeRun)
class SystemPurgeRunAdmin(PurgeRunAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_read_all_audit_logs(request.user)

    def has_view_permission(self, request: HttpRequest, obj: PurgeRun | None = None) -> bool:
        return can_read_all_audit_logs(request.user)
