"""/users: Harbor's user accounts, the caller's own profile and permissions, and the user search.

Who may do what is projects.permissions' decision and the services' (projects.services.users):
system admins manage every user; a user reads and changes its own profile and password, never its
own admin flag; anyone logged in may search users by name (to add them as project members).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.drf import HarborSessionAuthentication
from harborpy.errors import Denied, NotFound
from harborpy.query import Field, query_filter, query_sort
from projects.api.paths import id_parameter
from projects.errors import PreconditionFailed
from projects.models import User
from projects.permissions import (
    auth_mode,
    can_manage_users,
    can_read_user,
    can_search_users,
    can_self_register,
    is_robot,
    is_system_admin,
    is_user_itself,
    project_policies,
    projects_visible_to,
    system_policies,
)
from projects.services.users import (
    user_create,
    user_delete,
    user_set_password,
    user_set_sysadmin,
    user_update_profile,
)

# Harbor's `q` and `sort` keys for users, and the model fields behind them.
_QUERY_FIELDS = {"username": Field("username"), "email": Field("email"), "realname": Field("realname")}
_SORT_FIELDS = {
    "user_id": "pk",
    "username": "username",
    "email": "email",
    "realname": "realname",
    "creation_time": "created_at",
    "update_time": "updated_at",
}
_PROJECT_SCOPE = re.compile(r"^/project/(?P<id>[0-9]{1,18})(?:/|$)")
_SYSTEM_SCOPE = "/system"


class UserOutputSerializer(serializers.ModelSerializer):
    """Harbor's UserResp."""

    user_id = serializers.IntegerField(source="pk")
    sysadmin_flag = serializers.BooleanField(source="is_superuser")
    admin_role_in_auth = serializers.SerializerMethodField()
    creation_time = serializers.DateTimeField(source="created_at")
    update_time = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = User
        fields = [
            "user_id",
            "username",
            "email",
            "realname",
            "comment",
            "sysadmin_flag",
            "admin_role_in_auth",
            "creation_time",
            "update_time",
        ]

    def get_admin_role_in_auth(self, user: User) -> bool:
        # Harbor: admin rights granted by the authenticator (an LDAP admin group); harborpy has none.
        return False


class UserSearchItemSerializer(serializers.ModelSerializer):
    """Harbor's UserSearchRespItem."""

    user_id = serializers.IntegerField(source="pk")

    class Meta:
        model = User
        fields = ["user_id", "username"]


class UserCreateInputSerializer(serializers.Serializer):
    """Harbor's UserCreationReq. Anything else in the body (sysadmin_flag...) is ignored."""

    username = serializers.CharField(max_length=255)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    realname = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    comment = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class UserProfileInputSerializer(serializers.Serializer):
    """Harbor's UserProfile: only these three fields can change here."""

    email = serializers.EmailField(max_length=254, required=False)
    realname = serializers.CharField(max_length=255, required=False, allow_blank=True)
    comment = serializers.CharField(max_length=255, required=False, allow_blank=True)


class PasswordInputSerializer(serializers.Serializer):
    """Harbor's PasswordReq."""

    old_password = serializers.CharField(
        max_length=1024, required=False, allow_blank=True, trim_whitespace=False
    )
    new_password = serializers.CharField(max_length=1024, trim_whitespace=False)


class SysAdminFlagInputSerializer(serializers.Serializer):
    """Harbor's UserSysAdminFlag."""

    sysadmin_flag = serializers.BooleanField()


class CliSecretInputSerializer(serializers.Serializer):
    """Harbor's OIDCCliSecretReq."""

    secret = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class PermissionSerializer(serializers.Serializer):
    """Harbor's Permission."""

    resource = serializers.CharField()
    action = serializers.CharField()


class UserListQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="")
    sort = serializers.CharField(required=False, allow_blank=True, default="")
    username = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.CharField(required=False, allow_blank=True, default="")


class UserSearchQuerySerializer(serializers.Serializer):
    username = serializers.CharField(max_length=255)


class PermissionsQuerySerializer(serializers.Serializer):
    scope = serializers.CharField(max_length=1024, required=False, allow_blank=True, default="")
    relative = serializers.BooleanField(required=False, default=False)


def _user_by_id(user_id: int) -> User | None:
    return get_user_model().objects.filter(pk=user_id).first()


class _UserTargetMixin:
    """The user named in the path, as Harbor checks it: who may see it first, then whether it exists.

    A normal user asking for anyone else gets a 403 whether that user exists or not.
    """

    request: Request

    def target_user(self, user_id: int) -> User:
        user = _user_by_id(user_id)
        if user is None:
            if is_system_admin(self.request.user):
                raise NotFound(_("No user with id %(id)s.") % {"id": user_id})
            raise Denied(_("You may only see and change your own account."))
        if not can_read_user(self.request.user, user):
            raise Denied(_("You may only see and change your own account."))
        return user


def _require_browser_session(request: Request) -> None:
    """Harbor's rule for self-registration: from the web interface, never through the bare API.

    A browser carries harborpy's cookies and passes the CSRF check; a script does not.
    """
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME not in cookies and settings.CSRF_COOKIE_NAME not in cookies:
        raise Denied(_("Self-registration works from the web interface only, not through the API."))
    HarborSessionAuthentication().enforce_csrf(request)


class UserListApi(HarborApi):
    """GET: every user (system admins). POST: create a local user (admins, or self-registration)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="listUsers",
        parameters=[
            OpenApiParameter("q", str, description="username=~ali,email=alice@example.com"),
            OpenApiParameter("sort", str, description="username,-creation_time"),
            OpenApiParameter("username", str, description="Fuzzy match on the username."),
            OpenApiParameter("email", str, description="Fuzzy match on the email address."),
        ],
        responses={200: UserOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if not can_manage_users(request.user):
            raise Denied(_("Only system admins may list users."))
        query = self.validated(UserListQuerySerializer, request.query_params)
        users = query_filter(get_user_model().objects.all(), query["q"], _QUERY_FIELDS)
        for key in ("username", "email"):  # Harbor's shortcuts for q=username=~...
            if query[key]:
                users = users.filter(**{f"{key}__icontains": query[key]})
        return self.paginate(query_sort(users, query["sort"], _SORT_FIELDS, ["pk"]), UserOutputSerializer)

    @extend_schema(
        operation_id="createUser",
        request=UserCreateInputSerializer,
        responses={201: OpenApiResponse(description="Created; Location names the new user.")},
    )
    def post(self, request: Request) -> Response:
        actor = request.user
        if not is_system_admin(actor):
            if actor.is_authenticated:
                raise Denied(_("Only system admins may create users."))
            if not can_self_register(actor):
                raise exceptions.NotAuthenticated()
            _require_browser_session(request)
        data = self.validated(UserCreateInputSerializer, request.data)
        user = user_create(actor=actor, address=self.address, **data)
        return Response(status=201, headers={"Location": f"{request.path}/{user.pk}"})


class UserCurrentApi(HarborApi):
    """The caller's own profile; a robot account has none (412, as in Harbor)."""

    @extend_schema(operation_id="getCurrentUserInfo", responses={200: UserOutputSerializer})
    def get(self, request: Request) -> Response:
        if is_robot(request.user):
            raise PreconditionFailed(_("A robot account has no user profile."))
        return Response(UserOutputSerializer(request.user).data)


class UserCurrentPermissionsApi(HarborApi):
    """The caller's Harbor RBAC policies in a scope: `/project/<id>` or `/system`."""

    @extend_schema(
        operation_id="getCurrentUserPermissions",
        parameters=[
            OpenApiParameter("scope", str, description="/project/1 or /system"),
            OpenApiParameter("relative", bool, description="Resources relative to the scope."),
        ],
        responses={200: PermissionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = self.validated(PermissionsQuerySerializer, request.query_params)
        scope = query["scope"].rstrip("/")
        if match := _PROJECT_SCOPE.match(scope + "/"):
            namespace = f"/project/{match['id']}"
            project = projects_visible_to(request.user).filter(pk=int(match["id"])).first()
            policies = project_policies(request.user, project) if project is not None else []
        elif scope == _SYSTEM_SCOPE or scope.startswith(_SYSTEM_SCOPE + "/"):
            namespace, policies = _SYSTEM_SCOPE, system_policies(request.user)
        else:
            return Response([])
        result = []
        for resource, action in policies:
            full = f"{namespace}/{resource}" if resource else namespace
            if query["relative"]:
                # Harbor: for scope /project/1, /project/1/repository is "repository"; the
                # scope itself is "."; a resource outside the scope is left out.
                if full != scope and not full.startswith(scope + "/"):
                    continue
                full = full[len(scope) :].lstrip("/") or "."
            result.append({"resource": full, "action": action})
        return Response(PermissionSerializer(result, many=True).data)


class UserSearchApi(HarborApi):
    """Users whose name contains `username`: id and name only, for anyone logged in."""

    @extend_schema(
        operation_id="searchUsers",
        parameters=[OpenApiParameter("username", str, required=True)],
        responses={200: UserSearchItemSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        if not can_search_users(request.user):
            raise Denied(_("You may not search users."))
        query = self.validated(UserSearchQuerySerializer, request.query_params)
        users = (
            get_user_model()
            .objects.filter(is_active=True, username__icontains=query["username"])
            .order_by("username", "pk")
        )
        return self.paginate(users, UserSearchItemSerializer)


class UserDetailApi(_UserTargetMixin, HarborApi):
    """One user: read and change its profile (itself or an admin), delete it (an admin)."""

    @extend_schema(
        operation_id="getUser", parameters=[id_parameter("user_id")], responses={200: UserOutputSerializer}
    )
    def get(self, request: Request, user_id: int) -> Response:
        return Response(UserOutputSerializer(self.target_user(user_id)).data)

    @extend_schema(
        operation_id="updateUserProfile",
        parameters=[id_parameter("user_id")],
        request=UserProfileInputSerializer,
        responses={200: None},
    )
    def put(self, request: Request, user_id: int) -> Response:
        user = self.target_user(user_id)
        data = self.validated(UserProfileInputSerializer, request.data)
        user_update_profile(user=user, actor=request.user, address=self.address, **data)
        return Response(status=200)

    @extend_schema(operation_id="deleteUser", parameters=[id_parameter("user_id")], responses={200: None})
    def delete(self, request: Request, user_id: int) -> Response:
        if not can_manage_users(request.user):
            raise Denied(_("Only system admins may delete users."))
        user = self.target_user(user_id)
        user_delete(user=user, actor=request.user, address=self.address)
        return Response(status=200)


class UserPasswordApi(_UserTargetMixin, HarborApi):
    """Change a password: one's own (with the old one), or anyone's as an admin."""

    @extend_schema(
        operation_id="updateUserPassword",
        parameters=[id_parameter("user_id")],
        request=PasswordInputSerializer,
        responses={200: None},
    )
    def put(self, request: Request, user_id: int) -> Response:
        user = self.target_user(user_id)
        data = self.validated(PasswordInputSerializer, request.data)
        user_set_password(
            user=user,
            actor=request.user,
            new_password=data["new_password"],
            old_password=data.get("old_password"),
            address=self.address,
        )
        if is_user_itself(request.user, user) and isinstance(
            request.successful_authenticator, HarborSessionAuthentication
        ):
            update_session_auth_hash(request._request, user)  # stay logged in in this browser only
        return Response(status=200)


class UserSysAdminApi(HarborApi):
    """Grant or revoke the system admin flag (admins only)."""

    @extend_schema(
        operation_id="setUserSysAdmin",
        parameters=[id_parameter("user_id")],
        request=SysAdminFlagInputSerializer,
        responses={200: None},
    )
    def put(self, request: Request, user_id: int) -> Response:
        if not can_manage_users(request.user):
            raise Denied(_("Only system admins may grant or revoke the system admin flag."))
        user = _user_by_id(user_id)
        if user is None:
            raise NotFound(_("No user with id %(id)s.") % {"id": user_id})
        data = self.validated(SysAdminFlagInputSerializer, request.data)
        user_set_sysadmin(user=user, actor=request.user, sysadmin=data["sysadmin_flag"], address=self.address)
        return Response(status=200)


class UserCliSecretApi(HarborApi):
    """Harbor's CLI secret exists under OIDC authentication only, which harborpy does not have."""

    @extend_schema(
        operation_id="setCliSecret",
        parameters=[id_parameter("user_id")],
        request=CliSecretInputSerializer,
        responses={412: OpenApiResponse(description="Not under OIDC authentication.")},
    )
    def put(self, request: Request, user_id: int) -> Response:
        raise PreconditionFailed(
            _("CLI secrets exist under OIDC authentication only; the authentication mode is %(mode)s.")
            % {"mode": auth_mode()}
        )


urlpatterns = [
    path("users", UserListApi.as_view(), name="api-users"),
    path("users/current", UserCurrentApi.as_view(), name="api-user-current"),
    path("users/current/permissions", UserCurrentPermissionsApi.as_view(), name="api-user-permissions"),
    path("users/search", UserSearchApi.as_view(), name="api-user-search"),
    path("users/<id:user_id>", UserDetailApi.as_view(), name="api-user"),
    path("users/<id:user_id>/password", UserPasswordApi.as_view(), name="api-user-password"),
    path("users/<id:user_id>/sysadmin", UserSysAdminApi.as_view(), name="api-user-sysadmin"),
    path("users/<id:user_id>/cli_secret", UserCliSecretApi.as_view(), name="api-user-cli-secret"),
]
