"""The server keeps its database connections open: a request does not pay for a new one."""

from __future__ import annotations

import time

import dj_database_url
import psycopg2
import pytest

from tests.support.live_server import LiveServer
from tests.support.registry_http import RegistryHttp

pytestmark = pytest.mark.e2e

# Requests measured; a connection per request would open this many PostgreSQL sessions.
REQUESTS = 200


def sessions_opened(live_registry: LiveServer) -> int:
    """How many sessions PostgreSQL has ever opened to the server's database (PostgreSQL 14+)."""
    settings = dj_database_url.parse(live_registry.env["DATABASE_URL"])
    connection = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version_num')::int")
            if cursor.fetchone()[0] < 140000:
                pytest.skip("pg_stat_database.sessions needs PostgreSQL 14")
            # Statistics reach the shared counters within a second of a session starting.
            time.sleep(1.5)
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def test_requests_reuse_database_connections(live_registry: LiveServer, registry_http: RegistryHttp):
    if live_registry.database != "postgresql":
        pytest.skip("counting PostgreSQL sessions needs DATABASE_URL")
    workers = int(live_registry.env["GUNICORN_WORKERS"])
    threads = int(live_registry.env["GUNICORN_THREADS"])
    before = sessions_opened(live_registry)

    statuses = {
        registry_http.request("GET", "/v2/library/connection-probe/tags/list").status_code
        for _ in range(REQUESTS)
    }

    opened = sessions_opened(live_registry) - before
    assert statuses == {404}  # every request queried the database: the repository does not exist
    # At most one connection per worker thread, plus the one that counted sessions before.
    assert opened <= workers * threads + 1, f"{opened} sessions opened for {REQUESTS} requests"
