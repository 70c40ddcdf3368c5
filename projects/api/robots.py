"""Harbor's robot accounts (v2): /robots and /robots/{robot_id}.

A project robot (level "project", named `robot$<project>+<name>`) has permissions in its project
only and is managed by that project's admins; a system robot (level "system", `robot$<name>`) may
have permissions in several projects, or in every project (namespace "*"), and is managed by system
admins. Harbor's access items are mapped to harborpy's project actions
(projects.permissions.ROBOT_ACCESS); an item that maps to none is refused with a 400 naming it.
A robot never gets more than its creator holds (projects.services.robots). Robots may not call
this API at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import BadRequest, Denied, NotFound
from harborpy.query import INT64_MAX, Term, parse_query
from projects.api.scope import integer_id, project_authorize
from projects.models import Project, Robot
from projects.permissions import (
    ROBOT_ACCESS,
    ROBOT_ACCESS_OF,
    Action,
    can_read_robots,
    is_robot,
    is_system_admin,
    project_actions,
    project_visible,
)
from projects.selectors import project_find, robot_get, robot_list
from projects.services.robots import Grant, robot_create, robot_delete, robot_refresh_secret, robot_update

LEVEL_SYSTEM, LEVEL_PROJECT = "system", "project"
NEVER = -1  # Harbor's duration and expires_at for a robot that does not expire
_MAX_DURATION = 2**31 - 2  # Harbor: a duration below MaxInt32


def _expires_at(duration: int | None, start: datetime) -> datetime | None:
    """Harbor's duration in days from `start`: -1 never expires, 0 or none the configured default."""
    if duration == NEVER:
        return None
    try:
        return start + timedelta(days=duration or settings.ROBOT_TOKEN_DURATION_DAYS)
    except OverflowError:
        raise BadRequest(_("The duration is too long: use -1 for a robot that never expires.")) from None


def _duration(robot: Robot) -> int:
    if robot.expires_at is None:
        return NEVER
    return round((robot.expires_at - robot.created_at).total_seconds() / 86400)


def _timestamp(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else NEVER


# --- Serializers ---------------------------------------------------------------------------------


class AccessSerializer(serializers.Serializer):
    resource = serializers.CharField(max_length=64)
    action = serializers.CharField(max_length=64)
    effect = serializers.CharField(max_length=16, required=False, allow_blank=True)


class RobotPermissionSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=16)
    namespace = serializers.CharField(max_length=255)
    access = AccessSerializer(many=True, allow_empty=False)


class RobotCreateSerializer(serializers.Serializer):
    """Harbor's RobotCreate. `secret` and `disable` are accepted and ignored, as Harbor does."""

    name = serializers.CharField(max_length=255)
    description = serializers.CharField(max_length=1024, required=False, allow_blank=True)
    secret = serializers.CharField(required=False, allow_blank=True)
    level = serializers.ChoiceField(choices=[LEVEL_SYSTEM, LEVEL_PROJECT])
    disable = serializers.BooleanField(required=False)
    duration = serializers.IntegerField(
        required=False, allow_null=True, min_value=NEVER, max_value=_MAX_DURATION
    )
    permissions = RobotPermissionSerializer(many=True, allow_empty=False)


class RobotUpdateSerializer(RobotCreateSerializer):
    """Harbor's Robot, for an update: the name and level must stay; read-only fields are ignored."""

    name = serializers.CharField(max_length=512, required=False)


class RobotSecSerializer(serializers.Serializer):
    secret = serializers.CharField(max_length=1024, required=False, allow_blank=True)


class RobotSerializer(serializers.Serializer):
    """Harbor's Robot (never its secret)."""

    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="username")
    description = serializers.CharField()
    level = serializers.CharField()
    duration = serializers.SerializerMethodField()
    editable = serializers.SerializerMethodField()
    disable = serializers.BooleanField(source="disabled")
    expires_at = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    creator_type = serializers.SerializerMethodField()
    creator_ref = serializers.SerializerMethodField()
    creation_time = serializers.DateTimeField(source="created_at")
    update_time = serializers.DateTimeField(source="updated_at")

    def get_duration(self, robot: Robot) -> int:
        return _duration(robot)

    def get_editable(self, robot: Robot) -> bool:
        return True

    def get_expires_at(self, robot: Robot) -> int:
        return _timestamp(robot.expires_at)

    @extend_schema_field(RobotPermissionSerializer(many=True))
    def get_permissions(self, robot: Robot) -> list[dict[str, Any]]:
        permissions = []
        for permission in robot.permissions.all():
            access = []
            for action in sorted(permission.actions):
                resource, verb = ROBOT_ACCESS_OF.get(Action(action), ("project", action))
                access.append({"resource": resource, "action": verb, "effect": "allow"})
            namespace = permission.project.name if permission.project is not None else "*"
            permissions.append({"kind": "project", "namespace": namespace, "access": access})
        return permissions

    def get_creator_type(self, robot: Robot) -> str:
        return "local"

    def get_creator_ref(self, robot: Robot) -> int:
        return robot.creator_id or 0


class RobotCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    secret = serializers.CharField()
    creation_time = serializers.DateTimeField()
    expires_at = serializers.IntegerField()


# --- Views ---------------------------------------------------------------------------------------


class _RobotsApi(HarborApi):
    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if is_robot(request.user):
            raise Denied(_("Robot accounts may not manage robot accounts."))

    def grants(self, level: str, permissions: list[dict[str, Any]]) -> tuple[Project | None, list[Grant]]:
        """The robot's project (None for a system robot) and its grants, from Harbor's permissions."""
        if level == LEVEL_PROJECT and len(permissions) != 1:
            raise BadRequest(_("A project robot account has permissions in exactly one project."))
        grants = []
        for permission in permissions:
            if permission["kind"] != "project":
                raise BadRequest(
                    _("Unsupported permission kind %(kind)s: robot accounts have project permissions only.")
                    % {"kind": permission["kind"]}
                )
            actions = set()
            for item in permission["access"]:
                if item.get("effect") not in (None, "", "allow"):
                    raise BadRequest(_("Only permissions that allow are supported."))
                action = ROBOT_ACCESS.get((item["resource"], item["action"]))
                if action is None:
                    raise BadRequest(
                        _("A robot account cannot be given %(resource)s:%(action)s.")
                        % {"resource": item["resource"], "action": item["action"]}
                    )
                actions.add(action)
            namespace = permission["namespace"]
            project = None
            if namespace != "*":
                project = project_find(name=namespace)
                project_authorize(self.request.user, project, None, label=namespace)
            grants.append(Grant(project, frozenset(actions)))
        if level == LEVEL_SYSTEM:
            return None, grants
        if grants[0].project is None:
            raise BadRequest(_("A project robot account cannot cover every project."))
        return grants[0].project, grants

    def robot(self) -> Robot:
        """The path's robot, if the caller may know it exists (else 404)."""
        pk = integer_id(self.kwargs["robot_id"], "robot_id")
        robot = robot_get(pk=pk)
        principal = self.request.user
        self.actions: frozenset[Action] | None = None
        if robot is not None and robot.project is not None:
            self.actions = project_actions(principal, robot.project)
            visible = project_visible(principal, robot.project, self.actions)
        else:
            visible = robot is not None and is_system_admin(principal)
        if not visible:
            raise NotFound(_("Robot account %(id)s not found.") % {"id": pk})
        assert robot is not None
        return robot


def _exact(term: Term | None, name: str) -> str | None:
    if term is None:
        return None
    if term.kind != "exact":
        raise BadRequest(_("%(name)s must be an exact value.") % {"name": name})
    return term.values[0]


class RobotsApi(_RobotsApi):
    """List and create robot accounts."""

    @extend_schema(
        operation_id="ListRobot",
        parameters=[
            OpenApiParameter("q", str, description="Level=project,ProjectID=<id> or Level=system; name=~..."),
            OpenApiParameter("sort", str),
            OpenApiParameter("level", str),
            OpenApiParameter("project_id", int),
        ],
        responses={200: RobotSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        terms = parse_query(request.query_params.get("q", ""))
        project = self.listed_project(terms)
        robots = robot_list(project=project, terms=terms, sort=request.query_params.get("sort", ""))
        return self.paginate(robots, RobotSerializer)

    def listed_project(self, terms: dict[str, Term]) -> Project | None:
        """Whose robots to list: the project of `Level=project,ProjectID=<id>` (or of the plain
        parameters level and project_id), or None for the system robots, Harbor's default.
        Takes Level and ProjectID out of `terms`; raises unless the caller may read them."""
        params = self.request.query_params
        level = _exact(terms.pop("Level", None), "Level") or params.get("level") or LEVEL_SYSTEM
        project_id = _exact(terms.pop("ProjectID", None), "ProjectID") or params.get("project_id")
        if level not in (LEVEL_SYSTEM, LEVEL_PROJECT):
            raise BadRequest(_("The level must be system or project."))
        project, actions = None, None
        if level == LEVEL_PROJECT:
            if not project_id:
                raise BadRequest(_("Listing project robot accounts needs the ProjectID."))
            if not (project_id.isascii() and project_id.isdigit()) or int(project_id) > INT64_MAX:
                raise BadRequest(_("The ProjectID must be an integer."))
            pk = int(project_id)
            project = project_find(pk=pk) if pk > 0 else None
            actions = project_authorize(self.request.user, project, None, label=project_id)
        if not can_read_robots(self.request.user, project, actions):
            raise Denied()
        return project

    @extend_schema(
        operation_id="CreateRobot", request=RobotCreateSerializer, responses={201: RobotCreatedSerializer}
    )
    def post(self, request: Request) -> Response:
        data = self.validated(RobotCreateSerializer, request.data)
        project, grants = self.grants(data["level"], data["permissions"])
        robot, secret = robot_create(
            creator=request.user,
            name=data["name"],
            grants=grants,
            project=project,
            description=data.get("description", ""),
            expires_at=_expires_at(data.get("duration"), timezone.now()),
            address=self.address,
        )
        created = {
            "id": robot.pk,
            "name": robot.username,
            "secret": secret,
            "creation_time": robot.created_at,
            "expires_at": _timestamp(robot.expires_at),
        }
        location = f"{request.path.rstrip('/')}/{robot.pk}"
        return Response(RobotCreatedSerializer(created).data, status=201, headers={"Location": location})


_ROBOT_ID = [OpenApiParameter("robot_id", int, OpenApiParameter.PATH)]


class RobotApi(_RobotsApi):
    """Read, update, refresh the secret of, and delete a robot account."""

    @extend_schema(operation_id="GetRobotByID", parameters=_ROBOT_ID, responses={200: RobotSerializer})
    def get(self, request: Request, robot_id: str) -> Response:
        robot = self.robot()
        if not can_read_robots(request.user, robot.project, self.actions):
            raise Denied()
        return Response(RobotSerializer(robot).data)

    @extend_schema(
        operation_id="UpdateRobot", parameters=_ROBOT_ID, request=RobotUpdateSerializer, responses={200: None}
    )
    def put(self, request: Request, robot_id: str) -> Response:
        robot = self.robot()
        data = self.validated(RobotUpdateSerializer, request.data)
        if data["level"] != robot.level or data.get("name", robot.username) not in (
            robot.username,
            robot.name,
        ):
            raise BadRequest(_("The name and the level of a robot account cannot change."))
        _project, grants = self.grants(data["level"], data["permissions"])
        expires_at: Any = ...
        if data.get("duration") is not None and data["duration"] != _duration(robot):
            expires_at = _expires_at(data["duration"], robot.created_at)
        robot_update(
            robot=robot,
            actor=request.user,
            grants=grants,
            description=data.get("description"),
            disabled=data.get("disable"),
            expires_at=expires_at,
            address=self.address,
        )
        return Response(status=200)

    @extend_schema(
        operation_id="RefreshSec",
        parameters=_ROBOT_ID,
        request=RobotSecSerializer,
        responses={200: RobotSecSerializer},
    )
    def patch(self, request: Request, robot_id: str) -> Response:
        """A new secret: generated and returned this once, or the caller's own (then not echoed)."""
        robot = self.robot()
        data = self.validated(RobotSecSerializer, request.data)
        given = data.get("secret", "")
        secret = robot_refresh_secret(robot=robot, actor=request.user, secret=given, address=self.address)
        return Response(RobotSecSerializer({"secret": "" if given else secret}).data)

    @extend_schema(operation_id="DeleteRobot", parameters=_ROBOT_ID, responses={200: None})
    def delete(self, request: Request, robot_id: str) -> Response:
        robot_delete(robot=self.robot(), actor=request.user, address=self.address)
        return Response(status=200)


urlpatterns = [
    path("robots", RobotsApi.as_view(), name="api-robots"),
    path("robots/<str:robot_id>", RobotApi.as_view(), name="api-robot"),
]
