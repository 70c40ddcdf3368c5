"""`system/purgeaudit`: purge the audit trail now or on a schedule, and the history of purge runs."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from audit.models import PurgeRun
from audit.services import PURGE_SCHEDULE_NAME, purge_schedule_set
from harborpy.apiviews import HarborApi
from harborpy.errors import Denied, NotFound
from harborpy.query import Field, query_filter, query_sort
from harborpy.schedules import schedule_get
from projects.permissions import is_system_admin


class ScheduleObjSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["Hourly", "Daily", "Weekly", "Custom", "Manual", "None", "Schedule"]
    )
    cron = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class ScheduleInSerializer(serializers.Serializer):
    schedule = ScheduleObjSerializer()
    parameters = serializers.DictField(required=False, default=dict)


class ExecHistorySerializer(serializers.ModelSerializer):
    """Harbor's ExecHistory."""

    job_name = serializers.SerializerMethodField()
    job_kind = serializers.CharField(source="kind")
    job_parameters = serializers.SerializerMethodField()
    job_status = serializers.CharField(source="status")
    deleted = serializers.SerializerMethodField()
    creation_time = serializers.DateTimeField(source="created_at")
    update_time = serializers.DateTimeField(source="updated_at")
    schedule = serializers.SerializerMethodField()

    class Meta:
        model = PurgeRun
        fields = [
            "id",
            "job_name",
            "job_kind",
            "job_parameters",
            "schedule",
            "job_status",
            "deleted",
            "creation_time",
            "update_time",
        ]

    def get_job_name(self, run: PurgeRun) -> str:
        return "PURGE_AUDIT_LOG"

    def get_job_parameters(self, run: PurgeRun) -> str:
        return json.dumps({**run.parameters, "purged": run.purged})

    def get_deleted(self, run: PurgeRun) -> bool:
        return False

    def get_schedule(self, run: PurgeRun) -> dict[str, str]:
        return {"type": "Manual" if run.kind == PurgeRun.Kind.MANUAL else "Schedule"}


class _AdminOnly(HarborApi):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not is_system_admin(request.user):
            raise Denied(_("Only system admins may purge the audit log."))

    def run(self, purge_id: int) -> PurgeRun:
        run = PurgeRun.objects.filter(pk=purge_id).first()
        if run is None:
            raise NotFound(_("Purge job %(id)s not found.") % {"id": purge_id})
        return run


class PurgeHistoryApi(_AdminOnly):
    @extend_schema(operation_id="getPurgeHistory", responses=ExecHistorySerializer(many=True))
    def get(self, request: Request) -> Response:
        runs = query_filter(
            PurgeRun.objects.all(),
            request.query_params.get("q", ""),
            {
                "job_status": Field("status"),
                "job_kind": Field("kind"),
                "creation_time": Field("created_at", "time"),
            },
        )
        runs = query_sort(
            runs,
            request.query_params.get("sort", ""),
            {"creation_time": "created_at", "update_time": "updated_at", "id": "id"},
            ["-created_at", "-id"],
        )
        return self.paginate(runs, ExecHistorySerializer)


class PurgeJobApi(_AdminOnly):
    @extend_schema(operation_id="getPurgeJob", responses=ExecHistorySerializer)
    def get(self, request: Request, purge_id: int) -> Response:
        return Response(ExecHistorySerializer(self.run(purge_id)).data)


class PurgeJobLogApi(_AdminOnly):
    @extend_schema(operation_id="getPurgeJobLog", responses={(200, "text/plain"): str})
    def get(self, request: Request, purge_id: int) -> HttpResponse:
        return HttpResponse(self.run(purge_id).log, content_type="text/plain; charset=utf-8")


class PurgeScheduleApi(_AdminOnly):
    @extend_schema(operation_id="getPurgeSchedule", responses=ExecHistorySerializer)
    def get(self, request: Request) -> Response:
        schedule = schedule_get(PURGE_SCHEDULE_NAME)
        if schedule is None:
            return Response({"schedule": {"type": "None", "cron": ""}})
        parameters = schedule["parameters"].get("parameters", {})
        return Response(
            {
                "id": 0,
                "job_name": "PURGE_AUDIT_LOG",
                "job_kind": "SCHEDULE",
                "job_parameters": json.dumps(parameters),
                "schedule": {
                    "type": schedule["type"],
                    "cron": schedule["cron"],
                    "next_scheduled_time": schedule["next_scheduled_time"],
                },
                "creation_time": schedule["creation_time"],
                "update_time": schedule["update_time"],
            }
        )

    @extend_schema(operation_id="createPurgeSchedule", request=ScheduleInSerializer, responses={201: None})
    def post(self, request: Request) -> Response:
        self._set(request)
        return Response(status=201)

    @extend_schema(operation_id="updatePurgeSchedule", request=ScheduleInSerializer, responses={200: None})
    def put(self, request: Request) -> Response:
        self._set(request)
        return Response(status=200)

    def _set(self, request: Request) -> None:
        data = self.validated(ScheduleInSerializer, request.data)
        purge_schedule_set(
            schedule_type=data["schedule"]["type"],
            cron=data["schedule"]["cron"],
            parameters=data["parameters"],
            actor=request.user,
            address=self.address,
        )


urlpatterns = [
    path("system/purgeaudit", PurgeHistoryApi.as_view(), name="api-purgeaudit"),
    path("system/purgeaudit/schedule", PurgeScheduleApi.as_view(), name="api-purgeaudit-schedule"),
    path("system/purgeaudit/<int:purge_id>", PurgeJobApi.as_view(), name="api-purgeaudit-job"),
    path("system/purgeaudit/<int:purge_id>/log", PurgeJobLogApi.as_view(), name="api-purgeaudit-log"),
]
