"""A URLconf of throw-away API views that exercise harborpy/drf.py without any real resource."""

from __future__ import annotations

from django.urls import path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import Conflict
from projects.models import User


class _UserOut(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username"]


class _In(serializers.Serializer):
    count = serializers.IntegerField(min_value=1)


class ListApi(HarborApi):
    def get(self, request: Request) -> Response:
        return self.paginate(User.objects.order_by("username"), _UserOut)

    def post(self, request: Request) -> Response:
        data = self.validated(_In, request.data)
        if data["count"] == 7:
            raise Conflict()
        return Response(data, status=201)


urlpatterns = [path("api/v2.0/things", ListApi.as_view())]
