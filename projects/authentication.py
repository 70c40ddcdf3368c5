"""Verifying a username and password: users (database or LDAP) and robot accounts.

Every interface that takes credentials comes here: the registry token service, `/v2/` with Basic
credentials, the REST API and the login forms. So there is one place that
- throttles failed logins per username and per address (LOGIN_FAILURE_LIMIT in
  LOGIN_FAILURE_WINDOW_SECONDS, counted in the cache: shared by every process with Redis),
- records every real verification, success or failure, in the audit trail,
- remembers a verified credential for CREDENTIAL_CACHE_SECONDS under an HMAC of the credential
  (never the password): a `docker pull` sends its Basic credentials with every token request,
  and running the password hasher each time costs tens of milliseconds of CPU (measured on
  Pulp: 1.6 requests/s). Disabling a user or changing a password takes effect within that time.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.http import HttpRequest

from audit.services import audit_record
from projects.errors import TooManyRequests
from projects.models import Robot


def client_address(request: HttpRequest | None) -> str | None:
    """The caller's IP address as the server sees it."""
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def _digest(*parts: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def _failure_keys(username: str, address: str | None) -> list[str]:
    keys = ["harborpy:loginfail:user:" + _digest(username.lower())]
    if address:
        keys.append("harborpy:loginfail:addr:" + address)
    return keys


def _throttled(keys: list[str]) -> bool:
    counts = cache.get_many(keys)
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts.values())


def _count_failure(keys: list[str]) -> None:
    for key in keys:
        # add() starts the window; incr() keeps it (the key's expiry does not move).
        if not cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def _robot(username: str, password: str) -> Robot | None:
    robot = Robot.objects.filter(username=username).first()
    if robot is None or not robot.is_usable() or not check_password(password, robot.secret_hash):
        return None
    return robot


def credentials_verify(*, username: str, password: str, request: HttpRequest | None = None) -> Any:
    """The active user or usable robot these credentials belong to, or None.

    Raises TooManyRequests while the username or the caller's address has too many recent failures.
    """
    if not username or not password or "\x00" in username:
        return None  # a NUL cannot be in a username (and PostgreSQL cannot even compare one)
    ttl = settings.CREDENTIAL_CACHE_SECONDS
    cache_key = "harborpy:cred:" + _digest(username, password, str(cache.get(_generation_key(username), 0)))
    if ttl and (principal := cache.get(cache_key)) is not None:
        return principal
    address = client_address(request)
    failure_keys = _failure_keys(username, address)
    if _throttled(failure_keys):
        raise TooManyRequests()
    if username.startswith(Robot.PREFIX):
        principal = _robot(username, password)
    else:
        principal = authenticate(request, username=username, password=password)
        if principal is not None and not principal.is_active:
            principal = None
    audit_record(
        actor=principal or username,
        operation="login",
        resource_type="robot" if username.startswith(Robot.PREFIX) else "user",
        resource=username,
        success=principal is not None,
        address=address,
    )
    if principal is None:
        _count_failure(failure_keys)
        return None
    cache.delete(failure_keys[0])
    if ttl:
        cache.set(cache_key, principal, ttl)
    return principal


def _generation_key(username: str) -> str:
    return "harborpy:credgen:" + _digest(username)


def credentials_revoke(*, username: str) -> None:
    """Forget every remembered credential of `username` (password or secret changed, disabled, deleted).

    Remembered credentials are keyed by a generation number per username; moving it on makes
    the old keys unreachable. With the default per-process cache this reaches this process
    only; with Redis (REDIS_URL) every instance.
    """
    key = _generation_key(username)
    if not cache.add(key, 1, None):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, None)
