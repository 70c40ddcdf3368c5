"""/configurations: the system settings harborpy has, in Harbor's shape (system admins only)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import BadRequest, Denied
from projects.permissions import can_manage_configurations
from projects.selectors import configuration_items
from projects.services.system import configuration_changes_check, system_settings_update


class ConfigurationsApi(HarborApi):
    """GET: every setting as {"value", "editable"}. PUT: change the editable ones."""

    @extend_schema(operation_id="getConfigurations", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        if not can_manage_configurations(request.user):
            raise Denied(_("Only system admins may see the configuration."))
        return Response(configuration_items())

    @extend_schema(operation_id="updateConfigurations", request=OpenApiTypes.OBJECT, responses={200: None})
    def put(self, request: Request) -> Response:
        if not can_manage_configurations(request.user):
            raise Denied(_("Only system admins may change the configuration."))
        if not isinstance(request.data, dict):
            raise BadRequest(_("The configuration must be a JSON object."))
        changes = configuration_changes_check(request.data)  # also refuses keys such as "actor"
        system_settings_update(actor=request.user, address=self.address, **changes)
        return Response(status=200)


urlpatterns = [
    path("configurations", ConfigurationsApi.as_view(), name="api-configurations"),
]
