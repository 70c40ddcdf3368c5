"""harborpy vs the CNCF registry (distribution): one run, the same workload against both.

`make bench` (options in BENCH_ARGS) or `.venv/bin/python bench/run.py --help`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import runpy
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import client
from client import MiB, ParallelResult, SmallImage, make_blob, run_parallel
from loadgen import missing_tools, run_rate, tool_versions
from memory import TreeSampler, tree_cpu_seconds
from report import SERVERS, Case, cpu_table, details, errors, table
from servers import REPO_ROOT, CncfRegistry, FreshPostgres, Harborpy, Server

sys.path.insert(0, str(REPO_ROOT))
from tests.support.oci import make_image, sha256

CASES = ("push", "chunked", "pull", "concurrent", "small", "manifest", "tags", "big")
# What docker sends when it pulls a manifest.
ACCEPT = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)
CPU_PER_GIB = "CPU s / GiB"
BLOB_REPO = "library/bench-blobs"
SMALL_REPOS = [f"library/bench-small-{i}" for i in range(10)]
MANIFEST_REPO = "library/bench-manifest"
TAGS_REPO = "library/bench-tags"
WARMUP_REPO = "library/bench-warmup"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run with small sizes (well under a minute)")
    p.add_argument("--reps", type=int, help="timed repetitions of each transfer case (median reported) [5]")
    p.add_argument("--blob-mib", type=int, help="blob size for the push and pull cases [512]")
    p.add_argument("--chunk-mib", type=int, help="PATCH size of the chunked push [64]")
    p.add_argument("--concurrent-mib", type=int, help="blob size of the concurrent pulls [64]")
    p.add_argument("--pullers", type=int, default=8, help="concurrent pulls")
    p.add_argument("--pull-rounds", type=int, help="pulls per puller and repetition [2]")
    p.add_argument("--images", type=int, help="small images pushed per repetition [200]")
    p.add_argument("--pushers", type=int, default=3, help="concurrent image pushers (docker: 3 uploads)")
    p.add_argument("--tags", type=int, help="tags in the tags/list repository [2000]")
    p.add_argument("--connections", type=int, default=32, help="wrk connections")
    p.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    p.add_argument("--duration", type=float, help="seconds of each request-rate measurement [5]")
    p.add_argument("--rate-reps", type=int, help="request-rate measurements per case and server [3]")
    p.add_argument("--big-mib", type=int, help="blob size of the memory case [2048]")
    p.add_argument("--no-big", action="store_true", help="skip the 2 GiB memory case (slow)")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of: " + ", ".join(CASES))
    p.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL server URL; a fresh database is created on it "
        "for harborpy and dropped at the end (default: embedded SQLite)",
    )
    p.add_argument(
        "--harborpy-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for harborpy, e.g. GUNICORN_WORKERS=4 (recorded in the results)",
    )
    p.add_argument("--output", help="Markdown results file [bench/RESULTS.md, quick: bench/RESULTS-quick.md]")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory (data, logs)")
    args = p.parse_args(argv)
    full = {
        "reps": 5,
        "blob_mib": 512,
        "chunk_mib": 64,
        "concurrent_mib": 64,
        "pull_rounds": 2,
        "images": 200,
        "tags": 2000,
        "duration": 5.0,
        "rate_reps": 3,
        "big_mib": 2048,
    }
    quick = {
        "reps": 1,
        "blob_mib": 32,
        "chunk_mib": 8,
        "concurrent_mib": 4,
        "pull_rounds": 1,
        "images": 20,
        "tags": 50,
        "duration": 1.0,
        "rate_reps": 1,
        "big_mib": 64,
    }
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.output is None:
        args.output = str(Path(__file__).with_name("RESULTS-quick.md" if args.quick else "RESULTS.md"))
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if unknown := set(args.cases) - set(CASES):
        p.error(f"unknown cases: {', '.join(sorted(unknown))}")
    if args.no_big and "big" in args.cases:
        args.cases.remove("big")
    for item in args.harborpy_env:
        if "=" not in item:
            p.error(f"--harborpy-env wants NAME=VALUE, got {item!r}")
    return args


def small_image() -> SmallImage:
    """A docker image of two random 16 KiB layers (gzip'd tars), a config and a schema 2 manifest."""
    image = make_image(layer_count=2, layer_size=16 * 1024, docker=True)
    blobs = [(sha256(layer), layer) for layer in image.layers] + [(sha256(image.config), image.config)]
    return SmallImage(tuple(blobs), image.manifest, image.media_type)


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.run_id = os.urandom(4).hex()
        self.postgres = FreshPostgres(args.database_url) if args.database_url else None
        self.cncf = CncfRegistry(workdir)
        self.harborpy = Harborpy(workdir, extra_env=dict(i.split("=", 1) for i in args.harborpy_env))
        self.servers: dict[str, Server] = {"cncf": self.cncf, "harborpy": self.harborpy}
        self.samplers: dict[str, TreeSampler] = {}
        self.cases: list[Case] = []
        self.notes: list[str] = []
        self.targets = {name: server.target() for name, server in self.servers.items()}

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self.postgres is not None:
            self.harborpy.database_url = self.postgres.create()
        for name, server in self.servers.items():
            log(f"starting {server.label}")
            server.start()
            self.samplers[name] = TreeSampler(server.pid)
            self.samplers[name].start()
            self.targets[name] = server.target()

    def stop(self) -> None:
        for sampler in self.samplers.values():
            sampler.stop()
        for server in self.servers.values():
            try:
                server.stop()
            except OSError as exc:
                log(f"stopping {server.label}: {exc}")
        if self.postgres is not None:
            try:
                self.postgres.drop()
            except Exception as exc:  # the run's results matter more than the cleanup
                log(f"dropping database {self.postgres.name}: {exc}")

    # --- helpers --------------------------------------------------------------------------------

    def order(self, rep: int) -> list[str]:
        """Servers in alternating order per repetition, so drift on a shared machine hits both alike."""
        return list(SERVERS) if rep % 2 == 0 else list(reversed(SERVERS))

    def authorize(self, repositories: list[str], actions: str = "pull,push") -> None:
        """Give the harborpy target a bearer token per repository (as docker holds one per repository)."""
        auth = self.targets["harborpy"].authorizations
        for repository in repositories:
            auth[repository] = "Bearer " + self.harborpy.token([repository], actions)

    def case(self, key: str, title: str, unit: str, **kwargs: object) -> Case:
        case = Case(key, title, unit, **kwargs)
        self.cases.append(case)
        return case

    def parallel(self, name: str, job: Callable[..., int], jobs: list[tuple]) -> tuple[ParallelResult, float]:
        """Run a timed job on server `name`; returns the result and the server's CPU seconds meanwhile."""
        pid = self.servers[name].pid
        cpu = tree_cpu_seconds(pid)
        result = run_parallel(job, self.targets[name], jobs)
        return result, tree_cpu_seconds(pid) - cpu

    @contextmanager
    def guard(self, case: Case, name: str) -> Iterator[None]:
        """Record a failure of one server in one case precisely, and go on with the run."""
        try:
            yield
        except Exception as exc:
            figure = case.figures[name]
            if not figure.error:
                server = self.servers[name]
                figure.error = f"{exc}\n--- from the {server.label} log ---\n{server.last_error()}"
            log(f"ERROR in {case.title} on {name}: {str(exc).splitlines()[0][:300]}")
            if os.environ.get("BENCH_DEBUG"):
                traceback.print_exc()

    def check_blob(self, name: str, repository: str, blob: client.PatternBlob) -> None:
        """Untimed: the pushed blob is there, with its size and digest (HEAD)."""
        conn = client.Conn(self.targets[name])
        try:
            path = f"/v2/{repository}/blobs/{blob.digest}"
            response = conn.request("HEAD", path, repository=repository, expect=(200,))
        finally:
            conn.close()
        length, digest = response.headers.get("Content-Length"), response.headers.get("Docker-Content-Digest")
        if length != str(blob.size) or digest != blob.digest:
            raise RuntimeError(
                f"HEAD {path} after the push: Content-Length {length}, Docker-Content-Digest {digest}"
            )

    @staticmethod
    def settle() -> None:
        """Write back dirty pages left by earlier steps, so a push does not pay for another's writes."""
        os.sync()
        time.sleep(0.2)

    def add_transfer(
        self, case: Case, name: str, amount_mib: float, result: ParallelResult, cpu: float
    ) -> None:
        figure = case.figures[name]
        figure.samples.append(amount_mib / result.seconds)
        figure.cpu.append(cpu / (amount_mib / 1024))
        figure.details.append(
            f"{result.seconds:.2f} s, server CPU {cpu:.1f} s, client CPU {result.client_cpu_share:.2f} cores"
        )

    # --- cases ----------------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Untimed: a few small pushes and pulls on several connections, so every worker is warm."""
        self.authorize([WARMUP_REPO])
        for name in SERVERS:
            blobs = [make_blob(MiB, f"warmup-{name}-{i}-{self.run_id}") for i in range(4)]
            try:
                run_parallel(
                    client.job_push_single_put, self.targets[name], [(WARMUP_REPO, b) for b in blobs]
                )
                run_parallel(
                    client.job_pull,
                    self.targets[name],
                    [(WARMUP_REPO, b.digest, b.size, 2, True) for b in blobs],
                )
            except RuntimeError as exc:
                # The cases will meet (and record) the same failure; the run goes on.
                log(f"warm-up failed on {name}: {str(exc).splitlines()[0][:300]}")
                self.notes += [f"- Warm-up failed on {name}: `{str(exc).splitlines()[0][:300]}`", ""]

    def case_push(self, chunked: bool) -> None:
        a = self.args
        if chunked:
            title = f"push {a.blob_mib} MiB blob, chunked (POST, {a.chunk_mib} MiB PATCHes, PUT)"
            case = self.case("chunked", title, "MiB/s", min_ratio=2.0, cpu_unit=CPU_PER_GIB)
        else:
            title = f"push {a.blob_mib} MiB blob, monolithic (POST, one PUT)"
            case = self.case("push", title, "MiB/s", min_ratio=2.0, cpu_unit=CPU_PER_GIB)
        self.authorize([BLOB_REPO])
        for rep in range(a.reps):
            for name in self.order(rep):
                with self.guard(case, name):
                    blob = make_blob(a.blob_mib * MiB, f"{case.key}-{name}-{rep}-{self.run_id}")
                    self.settle()
                    if chunked:
                        jobs = [(BLOB_REPO, blob, a.chunk_mib * MiB)]
                        result, cpu = self.parallel(name, client.job_push_chunked, jobs)
                    else:
                        result, cpu = self.parallel(name, client.job_push_single_put, [(BLOB_REPO, blob)])
                    self.add_transfer(case, name, a.blob_mib, result, cpu)
                    log(f"{case.key} rep {rep} {name}: {a.blob_mib / result.seconds:.0f} MiB/s")
                    self.check_blob(name, BLOB_REPO, blob)

    def case_pull(self) -> None:
        a = self.args
        case = self.case(
            "pull", f"pull {a.blob_mib} MiB blob (GET)", "MiB/s", min_ratio=1.0, cpu_unit=CPU_PER_GIB
        )
        self.authorize([BLOB_REPO])
        blobs = {}
        for name in SERVERS:
            with self.guard(case, name):
                blobs[name] = blob = make_blob(a.blob_mib * MiB, f"pull-{name}-{self.run_id}")
                run_parallel(client.job_push_single_put, self.targets[name], [(BLOB_REPO, blob)])
                # Untimed pull that checks the content's digest; the timed ones check the length.
                run_parallel(
                    client.job_pull, self.targets[name], [(BLOB_REPO, blob.digest, blob.size, 1, True)]
                )
        for rep in range(a.reps):
            for name in self.order(rep):
                if name not in blobs or case.figures[name].error:
                    continue
                with self.guard(case, name):
                    blob = blobs[name]
                    result, cpu = self.parallel(name, client.job_pull, [(BLOB_REPO, blob.digest, blob.size)])
                    self.add_transfer(case, name, a.blob_mib, result, cpu)
                    log(f"pull rep {rep} {name}: {a.blob_mib / result.seconds:.0f} MiB/s")

    def case_concurrent(self) -> None:
        a = self.args
        title = f"{a.pullers} concurrent pulls of a {a.concurrent_mib} MiB blob, aggregate"
        case = self.case("concurrent", title, "MiB/s", min_ratio=1.0, cpu_unit=CPU_PER_GIB)
        self.authorize([BLOB_REPO])
        blobs = {}
        for name in SERVERS:
            with self.guard(case, name):
                blobs[name] = blob = make_blob(a.concurrent_mib * MiB, f"concurrent-{name}-{self.run_id}")
                run_parallel(client.job_push_single_put, self.targets[name], [(BLOB_REPO, blob)])
                run_parallel(
                    client.job_pull, self.targets[name], [(BLOB_REPO, blob.digest, blob.size, 1, True)]
                )
        for rep in range(a.reps):
            for name in self.order(rep):
                if name not in blobs or case.figures[name].error:
                    continue
                with self.guard(case, name):
                    blob = blobs[name]
                    jobs = [(BLOB_REPO, blob.digest, blob.size, a.pull_rounds)] * a.pullers
                    result, cpu = self.parallel(name, client.job_pull, jobs)
                    self.add_transfer(case, name, result.amount / MiB, result, cpu)
                    log(f"concurrent rep {rep} {name}: {result.amount / MiB / result.seconds:.0f} MiB/s")

    def case_small(self) -> None:
        a = self.args
        title = (
            f"push {a.images} small images ({a.pushers} pushers; per blob HEAD, POST, PATCH, PUT; manifest)"
        )
        case = self.case("small", title, "images/s", min_ratio=1.5, cpu_unit="CPU ms / image")
        self.authorize(SMALL_REPOS)
        for rep in range(a.reps):
            for name in self.order(rep):
                with self.guard(case, name):
                    pushes = [
                        (SMALL_REPOS[i % len(SMALL_REPOS)], f"r{rep}-{i}", small_image())
                        for i in range(a.images)
                    ]
                    jobs = [(pushes[w :: a.pushers],) for w in range(a.pushers)]
                    result, cpu = self.parallel(name, client.job_push_images, jobs)
                    figure = case.figures[name]
                    figure.samples.append(result.amount / result.seconds)
                    figure.cpu.append(cpu * 1000 / result.amount)
                    figure.details.append(
                        f"{result.seconds:.2f} s, server CPU {cpu:.1f} s, "
                        f"client CPU {result.client_cpu_share:.2f} cores"
                    )
                    log(f"small rep {rep} {name}: {result.amount / result.seconds:.1f} images/s")

    def _rate(
        self, case: Case, name: str, path: str, *, method: str = "GET", headers: dict[str, str]
    ) -> None:
        a = self.args
        cpu = tree_cpu_seconds(self.servers[name].pid)
        result = run_rate(
            f"http://127.0.0.1:{self.servers[name].port}{path}",
            headers=headers,
            method=method,
            connections=a.connections,
            threads=a.wrk_threads,
            seconds=a.duration,
        )
        cpu = tree_cpu_seconds(self.servers[name].pid) - cpu
        if result.problems:
            raise RuntimeError(f"{result.tool} {method} {path}: {result.problems}")
        case.figures[name].samples.append(result.requests_per_second)
        case.figures[name].cpu.append(cpu * 1000 / result.requests)
        case.figures[name].details.append(
            f"{result.tool}: {result.requests} requests, p50 {result.p50_ms:.2f} ms, "
            f"p99 {result.p99_ms:.2f} ms, server CPU {cpu:.1f} s, "
            f"load generator CPU {result.cpu_seconds:.1f} s"
        )
        latency = self.latency_cases[case.key].figures[name]
        latency.samples.append(result.p50_ms)
        latency.second_samples.append(result.p99_ms)
        log(
            f"{case.key} {name}: {result.requests_per_second:.0f} req/s, p50 {result.p50_ms:.2f} ms, "
            f"p99 {result.p99_ms:.2f} ms"
        )

    def _check(
        self,
        name: str,
        method: str,
        path: str,
        repository: str,
        headers: dict[str, str],
        digest: str = "",
        body: bytes | None = None,
    ) -> bytes:
        """One untimed request of the kind wrk will send, checked: 200, the digest, the body."""
        conn = client.Conn(self.targets[name])
        try:
            response = conn.request(method, path, repository=repository, expect=(200,), headers=headers)
        finally:
            conn.close()
        if digest and response.headers.get("Docker-Content-Digest") != digest:
            raise RuntimeError(
                f"{method} {path}: Docker-Content-Digest {response.headers.get('Docker-Content-Digest')}"
            )
        if body is not None and response.body != body:
            raise RuntimeError(f"{method} {path}: the body differs from the pushed manifest")
        return response.body

    def rate_case(self, key: str, title: str, target: float | None = None) -> Case:
        case = self.case(
            key,
            f"{title} ({self.args.connections} conn.)",
            "req/s",
            min_ratio=target,
            cpu_unit="CPU ms / request",
        )
        self.latency_cases[key] = self.case(
            f"{key}-latency", "  latency p50 / p99", "ms", higher_is_better=False
        )
        return case

    def case_manifest(self) -> None:
        self.authorize([MANIFEST_REPO])
        image = small_image()
        digest = sha256(image.manifest)
        readers = {
            "cncf": {},
            "harborpy": {"Authorization": "Bearer " + self.harborpy.token([MANIFEST_REPO], "pull")},
        }
        variants = [
            ("manifest-get-tag", "manifest GET by tag", "GET", "latest", 1.5),
            ("manifest-get-digest", "manifest GET by digest", "GET", digest, 1.5),
            ("manifest-head-tag", "manifest HEAD by tag", "HEAD", "latest", None),
            ("manifest-head-digest", "manifest HEAD by digest", "HEAD", digest, None),
        ]
        cases = {key: self.rate_case(key, title, target) for key, title, _m, _r, target in variants}
        anonymous = self.rate_case(
            "manifest-get-tag-anon", "manifest GET by tag, harborpy anonymous (public project)"
        )
        ready = set()
        for name in SERVERS:
            with self.guard(cases["manifest-get-tag"], name):
                conn = client.Conn(self.targets[name])
                try:
                    client.push_image(conn, MANIFEST_REPO, "latest", image)
                finally:
                    conn.close()
                headers = {"Accept": ACCEPT, **readers[name]}
                for _key, _title, method, reference, _target in variants:
                    path = f"/v2/{MANIFEST_REPO}/manifests/{reference}"
                    self._check(
                        name,
                        method,
                        path,
                        MANIFEST_REPO,
                        headers,
                        digest,
                        image.manifest if method == "GET" else b"",
                    )
                # Untimed warm-up at full concurrency (connections, caches).
                run_rate(
                    f"http://127.0.0.1:{self.servers[name].port}/v2/{MANIFEST_REPO}/manifests/latest",
                    headers=headers,
                    method="GET",
                    connections=self.args.connections,
                    threads=self.args.wrk_threads,
                    seconds=min(2.0, self.args.duration),
                )
                ready.add(name)
            if name not in ready:
                for case in [*cases.values(), anonymous]:
                    case.figures[name].error = (
                        case.figures[name].error or "setup failed: see manifest GET by tag"
                    )
        path = f"/v2/{MANIFEST_REPO}/manifests/latest"
        for name in ready:
            with self.guard(anonymous, name):
                self._check(name, "GET", path, "", {"Accept": ACCEPT}, digest, image.manifest)
        for rep in range(self.args.rate_reps):
            for i, (key, _title, method, reference, _target) in enumerate(variants):
                for name in self.order(rep + i):
                    if name in ready and not cases[key].figures[name].error:
                        with self.guard(cases[key], name):
                            self._rate(
                                cases[key],
                                name,
                                f"/v2/{MANIFEST_REPO}/manifests/{reference}",
                                method=method,
                                headers={"Accept": ACCEPT, **readers[name]},
                            )
            for name in self.order(rep):
                if name in ready and not anonymous.figures[name].error:
                    with self.guard(anonymous, name):
                        self._rate(anonymous, name, path, headers={"Accept": ACCEPT})

    def case_tags(self) -> None:
        a = self.args
        case = self.rate_case("tags", f"tags/list of a repository with {a.tags:,} tags")
        self.authorize([TAGS_REPO])
        image = small_image()
        tags = [f"t{i:05d}" for i in range(a.tags)]
        readers = {
            "cncf": {},
            "harborpy": {"Authorization": "Bearer " + self.harborpy.token([TAGS_REPO], "pull")},
        }
        for name in SERVERS:
            with self.guard(case, name):
                conn = client.Conn(self.targets[name])
                try:
                    client.push_image(conn, TAGS_REPO, tags[0], image)
                finally:
                    conn.close()
                jobs = [(TAGS_REPO, image, tags[1:][w::4]) for w in range(4)]
                started = time.monotonic()
                run_parallel(client.job_put_tags, self.targets[name], jobs)
                log(f"tags setup {name}: {a.tags} tags in {time.monotonic() - started:.1f} s")
                body = self._check(name, "GET", f"/v2/{TAGS_REPO}/tags/list", TAGS_REPO, readers[name])
                listed = json.loads(body)["tags"]
                if sorted(listed) != tags:
                    raise RuntimeError(
                        f"GET /v2/{TAGS_REPO}/tags/list: {len(listed)} tags listed, {a.tags} pushed"
                    )
        for rep in range(a.rate_reps):
            for name in self.order(rep):
                if not case.figures[name].error:
                    with self.guard(case, name):
                        self._rate(case, name, f"/v2/{TAGS_REPO}/tags/list", headers=readers[name])

    def case_big(self) -> None:
        """RSS of each server while a big blob goes in (docker's single streamed PATCH) and out."""
        a = self.args
        growth = self.case(
            "big-rss",
            f"RSS growth while a {a.big_mib:,} MiB blob is pushed and pulled",
            "MiB",
            higher_is_better=False,
            max_harborpy=64,
        )
        push = self.case(
            "big-push",
            f"push {a.big_mib:,} MiB blob, docker-style (one streamed PATCH)",
            "MiB/s",
            cpu_unit=CPU_PER_GIB,
        )
        # Right after the push: the CNCF registry's write left the blob in the page cache; harborpy
        # writes blobs with O_DIRECT (images/blobstore.py), so its first pull reads from disk.
        pull = self.case(
            "big-pull",
            f"first pull of that {a.big_mib:,} MiB blob, right after its push (harborpy: from disk)",
            "MiB/s",
            cpu_unit=CPU_PER_GIB,
        )
        self.authorize([BLOB_REPO])
        for name in SERVERS:
            with self.guard(growth, name):
                blob = make_blob(a.big_mib * MiB, f"big-{name}-{self.run_id}")
                sampler = self.samplers[name]
                self.settle()
                time.sleep(1.0)
                idle_start = time.monotonic()
                time.sleep(1.0 if a.quick else 2.0)
                idle = sampler.between(idle_start, time.monotonic())
                baseline = sorted(s.rss for s in idle)[len(idle) // 2]
                baseline_pss = sorted(s.pss for s in idle)[len(idle) // 2]
                t0 = time.monotonic()
                result, cpu = self.parallel(name, client.job_push_streamed, [(BLOB_REPO, blob)])
                self.add_transfer(push, name, a.big_mib, result, cpu)
                self.check_blob(name, BLOB_REPO, blob)
                result, cpu = self.parallel(name, client.job_pull, [(BLOB_REPO, blob.digest, blob.size)])
                self.add_transfer(pull, name, a.big_mib, result, cpu)
                time.sleep(0.3)
                peak = sampler.peak(t0, time.monotonic())
                peak_pss = sampler.peak_pss(t0, time.monotonic())
                assert peak is not None
                figure = growth.figures[name]
                figure.samples.append((peak.rss - baseline) / MiB)
                figure.shown = (
                    f"{(peak.rss - baseline) / MiB:+.1f} ({baseline / MiB:.0f} → {peak.rss / MiB:.0f})"
                )
                figure.details.append(
                    f"RSS idle {baseline / MiB:.1f} MiB, peak {peak.rss / MiB:.1f} MiB "
                    f"({len(sampler.between(t0, time.monotonic()))} samples); "
                    f"PSS idle {baseline_pss / MiB:.1f}, peak {peak_pss / MiB:.1f} MiB"
                )
                log(f"big {name}: RSS {(peak.rss - baseline) / MiB:+.1f} MiB")

    def peak_rss(self) -> None:
        case = self.case(
            "peak-rss",
            "peak RSS over the whole run (sum over the process tree)",
            "MiB",
            higher_is_better=False,
            stat="maximum",
        )
        for name, sampler in self.samplers.items():
            peak = sampler.peak()
            if peak is None:
                continue
            figure = case.figures[name]
            figure.samples.append(peak.rss / MiB)
            first = sampler.samples[0]
            figure.details.append(
                f"{peak.processes} processes at the peak; RSS after start {first.rss / MiB:.1f} MiB; "
                f"peak PSS {sampler.peak_pss() / MiB:.1f} MiB; {len(sampler.samples)} samples every "
                f"{sampler.interval:.1f} s"
            )

    def run(self) -> None:
        self.latency_cases: dict[str, Case] = {}
        self.warm_up()
        steps = {
            "push": lambda: self.case_push(chunked=False),
            "chunked": lambda: self.case_push(chunked=True),
            "pull": self.case_pull,
            "concurrent": self.case_concurrent,
            "small": self.case_small,
            "manifest": self.case_manifest,
            "tags": self.case_tags,
            "big": self.case_big,
        }
        for key in CASES:
            if key in self.args.cases:
                log(f"--- {key}")
                steps[key]()
        self.peak_rss()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _git_commit() -> str:
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def machine() -> dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "cpu": f"{os.cpu_count()} × {model}",
        "memory": f"{int(mem) / 1024 / 1024:.1f} GiB",
        "kernel": f"Linux {platform.release()}",
    }


def versions(bench: Bench) -> dict[str, str]:
    import django
    import gunicorn

    database = f"SQLite {sqlite3.sqlite_version} (embedded default)"
    if bench.postgres is not None:
        database = f"{bench.postgres.version()} (fresh database per run)"
    return {
        "harborpy": f"commit {_git_commit()}, Python {platform.python_version()}, "
        f"Django {django.__version__}, gunicorn {gunicorn.__version__} "
        f"(repository's gunicorn.conf.py: {_gunicorn_settings(bench.harborpy.env)})",
        "harborpy database": database,
        "CNCF registry": CncfRegistry.version(),
        "load generators": f"{tool_versions()}; Python http.client in worker processes",
    }


def _gunicorn_settings(env: dict[str, str]) -> str:
    """The worker settings harborpy's gunicorn.conf.py gives in the server's environment."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        conf = runpy.run_path(str(REPO_ROOT / "harborpy" / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return (
        f"{conf['worker_class']}, workers={conf['workers']}, threads={conf['threads']}, "
        f"access log {'on' if conf.get('accesslog') else 'off'}"
    )


def results_markdown(
    bench: Bench, command: str, started: datetime.datetime, loads: tuple[str, str], seconds: float
) -> str:
    a = bench.args
    kind = "quick smoke run (small sizes; not a measurement)" if a.quick else "full run"
    facts = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "run": kind,
        **machine(),
        **versions(bench),
        "load average (1, 5, 15 min)": f"{loads[0]} at the start, {loads[1]} at the end",
        "duration": f"{seconds / 60:.1f} min",
    }
    if a.harborpy_env:
        facts["harborpy environment overrides"] = ", ".join(a.harborpy_env)
    lines = ["# harborpy vs the CNCF registry: benchmark results", ""]
    lines += [f"- **{k}**: {v}" for k, v in facts.items()]
    lines += ["", "Command:", "", "```sh", command, "```", "", "## Results", "", table(bench.cases), ""]
    lines += ["Server CPU per unit of work (median over the same runs):", "", cpu_table(bench.cases), ""]
    if errs := errors(bench.cases):
        lines += ["**Errors** (full text under Details):", ""] + [f"- {e}" for e in errs] + [""]
    lines += [
        "## Method",
        "",
        METHOD.format(
            reps=a.reps,
            duration=a.duration,
            connections=a.connections,
            threads=a.wrk_threads,
            pushers=a.pushers,
            pullers=a.pullers,
            rounds=a.pull_rounds,
            rate_reps=a.rate_reps,
            images=a.images,
            big=a.big_mib,
        ).strip(),
        "",
    ]
    lines += bench.notes
    lines += ["## Details", "", details(bench.cases), ""]
    return "\n".join(lines)


METHOD = """
- Both servers run on this machine at the same time, each on a random free port of 127.0.0.1, storing
  blobs on the same local filesystem under a fresh temporary directory, and both are stopped at the end.
  The CNCF registry (distribution, Debian's `docker-registry`) gets a generated config: filesystem
  storage, in-memory blob descriptor cache (as in the shipped config), delete enabled, log level warn,
  **no auth**. harborpy gets a fresh `HARBORPY_DATA_DIR`, `manage.py migrate` and `bootstrap`, then
  gunicorn with the repository's `harborpy/gunicorn.conf.py`, log level WARNING. Neither logs each
  request: distribution's request log is at info level, gunicorn's access log is off by default (both
  servers' logs go to files). Inherited `HARBORPY_*`, `GUNICORN_*`, `DATABASE_URL`, `REDIS_URL` are
  removed from harborpy's environment.
- **Auth**: every harborpy request carries a bearer token from `/service/token` (admin's Basic
  credentials, one token per repository, scope `pull,push` for pushes and `pull` for reads), as docker
  does after the first 401, including for pulls from the public `library` project. The extra row
  "harborpy anonymous" measures manifest GET without any Authorization header (anonymous pull of a public
  project); its CNCF figure is the same no-auth request. Token fetching is not timed.
- **Transfers** run in worker processes (`spawn`) with Python `http.client` on persistent connections:
  bodies are sent with `sendall()` in 1 MiB pieces of a repeated pseudo-random 16 MiB pattern, salted per
  blob so every push has new content; digests are computed before the timed part; downloads use
  `readinto()` into a reused 4 MiB buffer and check the length (an untimed pull first checks the digest).
  Workers connect, meet at a barrier, and the time from the barrier to the last worker's end is measured.
  Before each timed push `sync` writes back dirty pages. Each transfer case runs {reps} time(s) per
  server, alternating which server goes first, and the table shows the **median**; every sample is under
  Details. The monolithic push is POST then one PUT ?digest= with Content-Length (the CNCF registry
  ignores the body of POST ?digest=, so both get the same two requests); the chunked push sends PATCHes
  with Content-Range and Content-Length, then an empty PUT ?digest=. Concurrent pulls: {pullers} processes,
  each pulling the blob {rounds} time(s) per repetition.
- **Small images**: {images} images per repetition, each two random 16 KiB gzip'd tar layers, a config and
  a Docker schema 2 manifest, pushed as docker does it (per blob HEAD, POST, PATCH with chunked
  transfer encoding, PUT ?digest=; then PUT manifest) by {pushers} processes over 10 repositories; docker
  runs 3 uploads in parallel within an image, here the 3-way parallelism is across images.
- **Request rates**: {connections} keep-alive connections for {duration:g} s, {rate_reps} time(s) per case
  and server, alternating which server goes first; the table shows the median requests/s and the
  medians of the p50 and p99 latencies. GET goes through wrk ({threads} threads); HEAD through hey
  (`-cpus {threads}`), because wrk 4.1 never completes a HEAD request (it waits for the body that
  Content-Length announces), so compare HEAD figures across servers, not with GET ones. Every kind of
  request was first checked once (status 200, Docker-Content-Digest, body), a 2 s untimed wrk run warms
  each server's manifest path, and a run with non-2xx responses or socket errors counts as an error.
  Manifest requests send docker's Accept header. tags/list returns every tag in one response on both
  servers (checked).
- **Server CPU per unit of work** (second table): the CPU time (user + system, from /proc) of each
  server's process tree during each timed run, divided by the work done (GiB, images, requests). On a
  shared machine a server's throughput depends on how much CPU the scheduler gives it, which depends on
  what else runs (and on how many runnable threads each server has); its CPU cost per unit of work
  depends much less on that, so read the two tables together.
- **Memory**: the RSS of each server's process tree (CNCF: one process; harborpy: gunicorn master and
  workers) is summed from /proc every 0.1 s for the whole run; PSS is recorded beside it (see Details),
  because summed RSS counts pages shared between gunicorn's processes once per process. The growth case
  takes the median RSS over 2 s idle just before pushing a {big} MiB blob (one PATCH streaming it with
  chunked transfer encoding, as docker does), then the peak while it is pushed and pulled back.
- **Caveats**: client, load generator and both servers share the machine's cores, so the load generator
  takes CPU that a server could otherwise use (client CPU is listed under Details). The pull cases are
  served from the page cache on both sides (an untimed pull first); harborpy writes blobs with O_DIRECT,
  so its pushes fill no page cache and the first pull of a blob reads it from disk: the "first pull"
  row of the memory case shows that cost, which the CNCF registry pays during its push instead.
  Figures from a busy shared machine are noisy: re-measure on a quiet one before drawing conclusions.
"""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("docker-registry"):
        sys.exit("docker-registry is not installed (Debian package docker-registry)")
    if (missing := missing_tools()) and {"manifest", "tags"} & set(args.cases):
        sys.exit(f"not installed: {', '.join(missing)} (apt-get install wrk hey)")
    command = shlex.join([os.path.relpath(sys.executable, REPO_ROOT), "bench/run.py", *sys.argv[1:]])
    if os.environ.get("MAKELEVEL"):
        bench_args = f" BENCH_ARGS={shlex.quote(shlex.join(sys.argv[1:]))}" if sys.argv[1:] else ""
        command = f"make bench{bench_args}    # runs: {command}"
    started = datetime.datetime.now(datetime.UTC)
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    clock = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="harborpy-bench-"))
    bench = Bench(args, workdir)
    # A SIGTERM unwinds like Ctrl-C, so the servers are stopped whatever happens.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log(f"working in {workdir}")
    try:
        bench.start()
        bench.run()
        load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
        text = results_markdown(bench, command, started, (load_start, load_end), time.monotonic() - clock)
    finally:
        client.shutdown()
        bench.stop()
        if args.keep_tmp:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(bench.cases))
    print()
    print(cpu_table(bench.cases))
    for error in errors(bench.cases):
        print(f"ERROR: {error}")
    Path(args.output).write_text(text)
    log(f"results written to {os.path.relpath(args.output)}")
    return 1 if errors(bench.cases) else 0


if __name__ == "__main__":
    sys.exit(main())
