"""The health of what harborpy depends on, checked for real: the database, the cache (Redis), blob storage.

GET /api/v2.0/health reports each in Harbor's OverallHealthStatus shape. Failures are logged with
their traceback; the answer names only the exception's class, since anyone may ask.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from images import blobstore

logger = logging.getLogger(__name__)

HEALTHY, UNHEALTHY = "healthy", "unhealthy"
# A remote blob store (S3) that does not answer within this time counts as down: a health probe
# must answer faster than the orchestrator's own timeout (Kubernetes: 1 s by default, often raised).
STORAGE_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class ComponentHealth:
    name: str
    status: str
    error: str = ""

    def as_dict(self) -> dict[str, str]:
        body = {"name": self.name, "status": self.status}
        if self.error:
            body["error"] = self.error
        return body


class CheckFailed(Exception):
    """A check ran but found the component not working."""


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise CheckFailed("SELECT 1")


def cache_check() -> None:
    """Write, read back and delete a random value."""
    key, value = f"harborpy:health:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, 30)
    try:
        if cache.get(key) != value:
            raise CheckFailed("cache round trip")
    finally:
        cache.delete(key)


def storage_check() -> None:
    """The blob storage answers (a remote one within STORAGE_TIMEOUT_SECONDS)."""
    if blobstore.storage_is_local():
        blobstore.storage_probe()
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-storage")
    try:
        pool.submit(blobstore.storage_probe).result(timeout=STORAGE_TIMEOUT_SECONDS)
    except FutureTimeout:
        raise CheckFailed("blob storage timed out") from None
    finally:
        pool.shutdown(wait=False)  # a hung request is left to its own timeout


def _component(name: str, check: Callable[[], None]) -> ComponentHealth:
    try:
        check()
    except Exception as exc:  # any failure means unhealthy; logged with its traceback
        logger.exception("health check of %s failed", name)
        return ComponentHealth(name, UNHEALTHY, type(exc).__name__)
    return ComponentHealth(name, HEALTHY)


def components_health() -> list[ComponentHealth]:
    """Each component's health: core (this process), database, redis (when configured), storage."""
    checks: list[tuple[str, Callable[[], None]]] = [("core", lambda: None), ("database", database_check)]
    if settings.REDIS_URL:
        checks.append(("redis", cache_check))
    checks.append(("storage", storage_check))
    return [_component(name, check) for name, check in checks]


def overall_health() -> dict[str, object]:
    """Harbor's OverallHealthStatus: "healthy" only when every component is."""
    components = components_health()
    status = HEALTHY if all(c.status == HEALTHY for c in components) else UNHEALTHY
    return {"status": status, "components": [c.as_dict() for c in components]}
