"""Latency of the REST API's list endpoints on a large data set: p50 and p95 per endpoint.

Seeds (or reuses) `manage.py seed_content`'s data set on the embedded SQLite default and, when
DATABASE_URL or --database-url is given, on PostgreSQL; serves each with gunicorn as `make run`
does; sends each list request sequentially over one keep-alive connection as the system admin
(Basic credentials, remembered by the server after the first request) and writes the table to
bench/API_RESULTS.md. Run by hand, not a test: see bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from servers import HOST, REPO_ROOT, Harborpy, free_port

# A benchmark data set's admin password: the data directory and database are kept between runs.
PASSWORD = "bench-Passw0rd"
TARGET_P95_MS = 100.0
DEFAULT_DATA = REPO_ROOT / "bench" / "out" / "api-data"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--artifacts", type=int, default=100_000, help="artifacts to seed")
    p.add_argument("--tags", type=int, default=500_000, help="tags to seed")
    p.add_argument("--repositories", type=int, default=1000, help="repositories to seed")
    p.add_argument("--hot-tags", type=int, default=2000, help="tags of the artifact whose tags are listed")
    p.add_argument("--audit", type=int, default=1_000_000, help="audit records to seed")
    p.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    p.add_argument("--warmup", type=int, default=10, help="untimed requests per endpoint first")
    p.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL database to seed (created if absent) and measure, after SQLite [$DATABASE_URL]",
    )
    p.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="kept between runs (the SQLite file)")
    p.add_argument("--output", type=Path, default=REPO_ROOT / "bench" / "API_RESULTS.md")
    return p.parse_args(argv)


class SeededHarborpy(Harborpy):
    """harborpy on a kept data directory (and database), seeded before gunicorn starts."""

    def __init__(self, workdir: Path, *, data_dir: Path, database_url: str, seed_args: list[str]) -> None:
        super().__init__(workdir, database_url=database_url)
        self.password = PASSWORD
        self.data_dir = data_dir
        self.seed_args = seed_args

    def _environment(self) -> dict[str, str]:
        env = super()._environment()
        env["HARBORPY_DATA_DIR"] = str(self.data_dir)
        return env

    def start(self) -> None:
        self.port = free_port()
        self.env = self._environment()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._manage("migrate", "--noinput")
        self._manage("bootstrap")
        # Progress straight to the terminal: seeding a million rows takes a while.
        subprocess.run(
            [sys.executable, "manage.py", "seed_content", *self.seed_args],
            cwd=REPO_ROOT,
            env=self.env,
            check=True,
        )
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self._spawn(
            [str(gunicorn), "-c", "harborpy/gunicorn.conf.py", "harborpy.wsgi"], env=self.env, cwd=REPO_ROOT
        )
        self.wait_ready()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist (kept for the next run)."""
    import psycopg2  # harborpy's own dependency

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


@dataclass
class Result:
    name: str
    path: str
    latencies_ms: list[float] = field(default_factory=list)
    rows: int = 0
    total: str = ""
    error: str = ""

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Client:
    """One keep-alive connection; every request carries the admin's Basic credentials."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.auth = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def get(self, path: str) -> tuple[int, dict[str, str], bytes, float]:
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers={"Authorization": self.auth})
            response = self.conn.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            raise
        elapsed = (time.perf_counter() - started) * 1000
        return response.status, dict(response.getheaders()), body, elapsed

    def json(self, path: str) -> object:
        status, _headers, body, _ms = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} -> {status}: {body[:300]!r}")
        return json.loads(body)


def endpoints(client: Client, args: argparse.Namespace) -> list[tuple[str, str]]:
    """(name, path) of each measured request; the hot artifact is the newest of the big repository."""
    artifacts = "/api/v2.0/projects/bench/repositories/big/artifacts"
    newest = client.json(f"{artifacts}?page_size=1&with_tag=false")
    hot = newest[0]["digest"]  # type: ignore[index]
    big = max(1, args.artifacts - (args.repositories - 1))
    deep = max(1, min(500, big // 100 // 2))
    tag = f"t{args.tags // 2:07d}"
    page = "page_size=100"
    return [
        ("artifacts, first page (with tags)", f"{artifacts}?{page}"),
        (f"artifacts, page {deep} (with tags)", f"{artifacts}?page={deep}&{page}"),
        ("artifacts, sort=-push_time", f"{artifacts}?sort=-push_time&{page}"),
        (f"artifacts, q=tags={tag}", f"{artifacts}?{urlencode({'q': f'tags={tag}'})}&{page}"),
        ("artifacts, with_label & with_accessory", f"{artifacts}?with_label=true&with_accessory=true&{page}"),
        ("repositories of the project", f"/api/v2.0/projects/bench/repositories?{page}"),
        ("all repositories", f"/api/v2.0/repositories?{page}"),
        (f"tags of an artifact ({args.hot_tags} tags)", f"{artifacts}/{hot}/tags?{page}"),
        ("audit logs", f"/api/v2.0/audit-logs?{page}"),
    ]


def measure(server: SeededHarborpy, args: argparse.Namespace) -> list[Result]:
    client = Client(server.port)
    results = []
    for name, path in endpoints(client, args):
        result = Result(name, path)
        try:
            for n in range(args.warmup + args.requests):
                status, headers, body, ms = client.get(path)
                if status != 200:
                    raise RuntimeError(f"{status}: {body[:300]!r}")
                if n >= args.warmup:
                    result.latencies_ms.append(ms)
            result.rows = len(json.loads(body))
            result.total = headers.get("X-Total-Count", "")
        except (RuntimeError, OSError, http.client.HTTPException, ValueError) as exc:
            result.error = str(exc)[:300]
        print(
            f"  {name}: p50 {result.percentile(50):.1f} ms, p95 {result.percentile(95):.1f} ms"
            if result.latencies_ms
            else f"  {name}: ERROR {result.error}",
            flush=True,
        )
        results.append(result)
    return results


def table(results: list[Result]) -> list[str]:
    lines = [
        "| list | rows / total | p50 ms | p95 ms | max ms | p95 < 100 ms |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for r in results:
        if r.error or not r.latencies_ms:
            lines.append(f"| {r.name} | ERROR: {r.error} | | | | |")
            continue
        p95 = r.percentile(95)
        lines.append(
            f"| {r.name} | {r.rows} / {r.total} | {r.percentile(50):.1f} | {p95:.1f} | "
            f"{max(r.latencies_ms):.1f} | {'yes' if p95 < TARGET_P95_MS else '**no**'} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seed_args = [
        "--artifacts",
        str(args.artifacts),
        "--tags",
        str(args.tags),
        "--repositories",
        str(args.repositories),
        "--hot-tags",
        str(args.hot_tags),
        "--audit",
        str(args.audit),
    ]
    runs: list[tuple[str, str]] = []
    if not args.no_sqlite:
        runs.append(("SQLite (embedded default)", ""))
    if args.database_url:
        runs.append((f"PostgreSQL ({urlsplit(args.database_url).path.lstrip('/')})", args.database_url))
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    sections = []
    for label, url in runs:
        print(f"{label}: seeding or reusing, then measuring", flush=True)
        if url:
            ensure_database(url)
        data_dir = args.data_dir / ("postgresql" if url else "sqlite")
        with tempfile.TemporaryDirectory(prefix="harborpy-api-bench-") as tmp:
            server = SeededHarborpy(Path(tmp), data_dir=data_dir, database_url=url, seed_args=seed_args)
            try:
                server.start()
                results = measure(server, args)
            finally:
                server.stop()
        sections.append((label, results))
    load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    command = "bench/api_lists.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out = [
        "# REST API list latency on a large data set",
        "",
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, `{command.strip()}`, "
        f"{os.cpu_count()} cores ({platform.machine()}), "
        f"load average {load_start} at start, {load_end} at end.",
        "",
        f"Data set (`manage.py seed_content {' '.join(seed_args)}`): project `bench` with "
        f"{args.repositories} repositories, {args.artifacts} artifacts (all but one per small repository "
        f"in `bench/big`), {args.tags} tags ({args.hot_tags} on the newest artifact, the rest spread), "
        f"a label on every tenth artifact, {args.audit} audit records.",
        "",
        f"Each list: {args.warmup} requests to warm up, then {args.requests} timed ones, one after "
        "another on one keep-alive connection, as the system admin with Basic credentials, to gunicorn "
        "with `harborpy/gunicorn.conf.py` (latency from sending the request to the last body byte).",
        "",
    ]
    for label, results in sections:
        out += [f"## {label}", "", *table(results), ""]
    args.output.write_text("\n".join(out))
    print(f"wrote {args.output}")
    return 0 if all(not r.error for _label, results in sections for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
