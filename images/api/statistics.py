"""GET /statistics: how many projects and repositories, public and private, and (for admins) the totals."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from images.models import Repository
from images.selectors import storage_consumption
from projects.models import Project
from projects.permissions import can_read_all_statistics, projects_visible_to


class StatisticSerializer(serializers.Serializer):
    """Harbor's Statistic."""

    private_project_count = serializers.IntegerField()
    private_repo_count = serializers.IntegerField()
    public_project_count = serializers.IntegerField()
    public_repo_count = serializers.IntegerField()
    total_project_count = serializers.IntegerField()
    total_repo_count = serializers.IntegerField()
    total_storage_consumption = serializers.IntegerField()


class StatisticApi(HarborApi):
    """Public counts for everyone logged in; private ones of the caller's projects, or of all for a
    system admin, who alone also gets the totals (0 for others, as Harbor sends)."""

    @extend_schema(operation_id="getStatistic", responses=StatisticSerializer)
    def get(self, request: Request) -> Response:
        public_projects = Project.objects.filter(is_public=True).count()
        public_repositories = Repository.objects.filter(project__is_public=True).count()
        totals = can_read_all_statistics(request.user)
        private = Project.objects.filter(is_public=False)
        if not totals:
            private = projects_visible_to(request.user).filter(is_public=False)
        private_projects = private.count()
        private_repositories = Repository.objects.filter(project__in=private).count()
        statistic = {
            "private_project_count": private_projects,
            "private_repo_count": private_repositories,
            "public_project_count": public_projects,
            "public_repo_count": public_repositories,
            "total_project_count": public_projects + private_projects if totals else 0,
            "total_repo_count": public_repositories + private_repositories if totals else 0,
            "total_storage_consumption": storage_consumption() if totals else 0,
        }
        return Response(StatisticSerializer(statistic).data)


urlpatterns = [path("statistics", StatisticApi.as_view(), name="api-statistics")]
