"""/api/v2.0/system/purgeaudit: admins run and schedule purges and read their history."""

from __future__ import annotations

import pytest

from audit.models import PurgeRun
from audit.services import PurgeParameters, purge_run_create, purge_run_execute


@pytest.fixture
def admin_api(api_client, admin):
    api_client.force_authenticate(admin)
    return api_client


def test_manual_schedule_runs_a_purge(admin_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_api.post(
            "/api/v2.0/system/purgeaudit/schedule",
            {"schedule": {"type": "Manual"}, "parameters": {"audit_retention_hour": 168, "dry_run": True}},
            format="json",
        )

    assert response.status_code == 201
    run = PurgeRun.objects.get()
    assert run.parameters["dry_run"] is True
    assert len(callbacks) == 1


def test_history_job_and_log(admin_api, admin):
    run = purge_run_create(
        parameters=PurgeParameters(retention_hours=1, operations=("pull",)), actor=admin, enqueue=False
    )
    purge_run_execute(run_id=run.pk)

    history = admin_api.get("/api/v2.0/system/purgeaudit")
    job = admin_api.get(f"/api/v2.0/system/purgeaudit/{run.pk}")
    log = admin_api.get(f"/api/v2.0/system/purgeaudit/{run.pk}/log")

    assert history["X-Total-Count"] == "1"
    assert job.json()["job_status"] == "Success"
    assert job.json()["job_name"] == "PURGE_AUDIT_LOG"
    assert log["Content-Type"].startswith("text/plain")
    assert "purged 0 audit records" in log.content.decode()


def test_schedule_round_trip(admin_api):
    created = admin_api.post(
        "/api/v2.0/system/purgeaudit/schedule",
        {"schedule": {"type": "Daily"}, "parameters": {"audit_retention_hour": 48}},
        format="json",
    )

    schedule = admin_api.get("/api/v2.0/system/purgeaudit/schedule").json()

    assert created.status_code == 201
    assert schedule["schedule"]["type"] == "Daily"
    assert schedule["schedule"]["cron"] == "0 0 0 * * *"
    assert schedule["schedule"]["next_scheduled_time"]
    assert '"audit_retention_hour": 48' in schedule["job_parameters"]


def test_no_schedule_reads_as_none(admin_api):
    assert admin_api.get("/api/v2.0/system/purgeaudit/schedule").json()["schedule"]["type"] == "None"


@pytest.mark.parametrize(
    "body",
    [
        {"schedule": {"type": "Sometimes"}, "parameters": {"audit_retention_hour": 1}},
        {"schedule": {"type": "Custom", "cron": "bad"}, "parameters": {"audit_retention_hour": 1}},
        {"schedule": {"type": "Daily"}, "parameters": {"audit_retention_hour": -1}},
        {"parameters": {}},
    ],
)
def test_bad_schedules_are_400(admin_api, body):
    response = admin_api.post("/api/v2.0/system/purgeaudit/schedule", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_unknown_job_is_404(admin_api):
    assert admin_api.get("/api/v2.0/system/purgeaudit/999").status_code == 404


def test_non_admins_are_403(api_client, alice):
    api_client.force_authenticate(alice)

    assert api_client.get("/api/v2.0/system/purgeaudit").status_code == 403
    assert api_client.post("/api/v2.0/system/purgeaudit/schedule", {}, format="json").status_code == 403
