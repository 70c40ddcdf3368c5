"""Harbor's job schedules (ScheduleObj) on top of django-celery-beat's database scheduler.

Harbor describes a schedule as {"type": "Hourly"|"Daily"|"Weekly"|"Custom"|"Schedule"|"None",
"cron": "0 0 * * * *"} with a six-field cron (seconds first). Each named schedule is one
django-celery-beat PeriodicTask with a crontab; Celery beat (`celery -A harborpy worker --beat`,
which `make run` starts) fires it. The Harbor type is kept in the task's description.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from celery.schedules import crontab
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from harborpy.errors import BadRequest

PRESETS = {"Hourly": "0 0 * * * *", "Daily": "0 0 0 * * *", "Weekly": "0 0 0 * * 0"}
TYPES = {*PRESETS, "Custom", "Schedule", "None"}


def _fields(cron: str) -> list[str]:
    """The five Celery fields (minute hour day month weekday) of a Harbor or classic cron."""
    fields = cron.split()
    if len(fields) == 6:
        if fields[0] not in {"0", "*"}:
            raise BadRequest(_("Schedules have a resolution of one minute: the seconds field must be 0."))
        fields = fields[1:]
    if len(fields) != 5:
        raise BadRequest(_("Invalid cron expression %(cron)s: use six fields.") % {"cron": cron[:100]})
    minute, hour, day, month, weekday = fields
    try:
        crontab(minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week=weekday)
    except (ValueError, TypeError) as exc:
        raise BadRequest(_("Invalid cron expression %(cron)s.") % {"cron": cron[:100]}) from exc
    return fields


@transaction.atomic
def schedule_set(*, name: str, task: str, kwargs: dict[str, Any], schedule_type: str, cron: str = "") -> None:
    """Create, change or (type "None") remove the named schedule. Raises BadRequest."""
    if schedule_type not in TYPES:
        raise BadRequest(
            _("Unknown schedule type %(type)s; use one of %(types)s.")
            % {"type": schedule_type[:50], "types": ", ".join(sorted(TYPES))}
        )
    if schedule_type == "None":
        PeriodicTask.objects.filter(name=name).delete()
        return
    cron = PRESETS.get(schedule_type, cron)
    minute, hour, day, month, weekday = _fields(cron)
    schedule, _created = CrontabSchedule.objects.get_or_create(
        minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week=weekday, timezone="UTC"
    )
    PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": task,
            "crontab": schedule,
            "interval": None,
            "kwargs": json.dumps(kwargs),
            "enabled": True,
            "description": f"{schedule_type}|{cron}",
        },
    )


def schedule_get(name: str) -> dict[str, Any] | None:
    """The named schedule as Harbor's ScheduleObj plus its parameters, or None."""
    task = PeriodicTask.objects.filter(name=name).select_related("crontab").first()
    if task is None or task.crontab is None:
        return None
    schedule_type, _sep, cron = task.description.partition("|")
    return {
        "type": schedule_type,
        "cron": cron,
        "next_scheduled_time": _next_run(task.crontab),
        "parameters": json.loads(task.kwargs or "{}"),
        "creation_time": task.date_changed,
        "update_time": task.date_changed,
    }


def _next_run(schedule: CrontabSchedule) -> datetime:
    now = timezone.now()
    return now + schedule.schedule.remaining_estimate(now)
