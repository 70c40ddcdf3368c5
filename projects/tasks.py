"""Celery entry points of the projects app."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=3600)
def ldap_sync_task() -> dict[str, int]:
    """Bring LDAP users up to date with the directory (beat entry "ldap-sync", HARBORPY_LDAP_SYNC_INTERVAL).

    Idempotent: a run that fails (directory unreachable) changes nothing and the next one catches up.
    """
    from projects.services.ldap import ldap_sync_all  # late import avoids import cycles

    summary = ldap_sync_all()
    return {
        "checked": summary.checked,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "deactivated": summary.deactivated,
        "skipped": summary.skipped,
    }
