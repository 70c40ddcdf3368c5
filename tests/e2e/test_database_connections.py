"""The server keeps its database connections open: a request does not pay for a new one."""

from __future__ import annotations

import dj_database_url
import psycopg2
import pytest

from tests.support.live_server import LiveServer
from tests.support.registry_http import RegistryHttp

pytestmark = pytest.mark.e2e

# Requests measured; a connection per request would open this many PostgreSQL backends.
REQUESTS = 200


def backends(live_registry: LiveServer) -> set[tuple[int, object]]:
    """(pid, start time) of every PostgreSQL backend connected to the server's database but ours."""
    settings = dj_database_url.parse(live_registry.env["DATABASE_URL"])
    with (
        psycopg2.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            password=settings["PASSWORD"] or None,
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return set(cursor.fetchall())


def test_requests_reuse_database_connections(live_registry: LiveServer, registry_http: RegistryHttp):
    if live_registry.database != "postgresql":
        pytest.skip("PostgreSQL shows its client connections in pg_stat_activity; run with DATABASE_URL")
    workers = int(live_registry.env["GUNICORN_WORKERS"])
    threads = int(live_registry.env["GUNICORN_THREADS"])
    for _ in range(50):  # every worker thread opens its connection
        registry_http.request("GET", "/v2/library/connection-probe/tags/list")
    before = backends(live_registry)

    statuses = {
        registry_http.request("GET", "/v2/library/connection-probe/tags/list").status_code
        for _ in range(REQUESTS)
    }

    after = backends(live_registry)
    assert statuses == {404}  # each request queried the database (the repository does not exist)
    assert len(after - before) <= workers * threads  # at most one connection per worker thread, ever
    assert len(after) <= workers * threads
