"""The benchmark's registry client: streaming blob pushes and pulls, docker-style image pushes.

Everything here is stdlib only. Timed clients run in long-lived worker processes (WorkerPool),
so they never share a GIL with the harness (RSS samplers, bookkeeping) or with each other, and
starting a timed job costs no process start-up.
Blob bodies come from one pseudo-random 16 MiB pattern, the same in every process, made unique
per blob by a salt in its first bytes; their digests are computed by the harness before the timed
part, so no timed client hashes anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any
from urllib.parse import urlsplit

MiB = 1024 * 1024
# Size of the pieces sent with sendall() and received with readinto(): large, so a Python
# client moves several GB/s and is not what limits the measurement.
PIECE = MiB
PATTERN_SIZE = 16 * MiB
_SALT_BYTES = 32

# Deterministic, so every worker sends the bytes the harness hashed; made once per import, so
# workers forked from the forkserver share it.
_PATTERN = hashlib.shake_256(b"harborpy-bench-pattern").digest(PATTERN_SIZE)


def _the_pattern() -> bytes:
    return _PATTERN


class HttpError(RuntimeError):
    """A response the workload did not expect, with what is needed to report it precisely."""

    def __init__(self, method: str, path: str, status: int, body: bytes, expected: tuple[int, ...]) -> None:
        super().__init__(
            f"{method} {path} -> {status} (expected {'/'.join(map(str, expected))}): "
            f"{body[:600].decode('utf-8', 'replace')}"
        )


@dataclass(frozen=True)
class PatternBlob:
    """`size` bytes of the repeated pattern, made unique by `salt`; `digest` precomputed."""

    size: int
    salt: str
    digest: str = ""

    def _first_piece(self) -> bytes:
        first = bytearray(_the_pattern()[:PIECE])
        first[:_SALT_BYTES] = hashlib.sha256(self.salt.encode()).digest()
        return bytes(first)

    def pieces(self, start: int = 0, length: int | None = None) -> Iterator[memoryview]:
        """The bytes [start, start + length) as memoryviews of at most PIECE bytes."""
        end = self.size if length is None else min(self.size, start + length)
        pattern = memoryview(_the_pattern())
        first = memoryview(self._first_piece())
        offset = start
        while offset < end:
            within = offset % PIECE
            n = min(end - offset, PIECE - within)
            if offset < PIECE:
                yield first[within : within + n]
            else:
                p = offset % PATTERN_SIZE
                yield pattern[p : p + n]
            offset += n


def make_blob(size: int, salt: str) -> PatternBlob:
    """A pattern blob with its sha256 digest (hashing happens here, outside any timed section)."""
    hasher = hashlib.sha256()
    for piece in PatternBlob(size, salt).pieces():
        hasher.update(piece)
    return PatternBlob(size, salt, "sha256:" + hasher.hexdigest())


@dataclass(frozen=True)
class SmallImage:
    """An image as plain bytes: blobs (config last, as docker sends it), manifest and its type."""

    blobs: tuple[tuple[str, bytes], ...]
    manifest: bytes
    media_type: str


@dataclass
class Target:
    """A registry under test, as a worker process needs it: address and Authorization per repository."""

    name: str
    host: str
    port: int
    authorizations: dict[str, str] = field(default_factory=dict)

    def auth(self, repository: str) -> dict[str, str]:
        value = self.authorizations.get(repository)
        return {"Authorization": value} if value else {}


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def path_of(location: str) -> str:
    """The path and query of a Location header (absolute or relative)."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def with_query(path: str, name: str, value: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{name}={value}"


class Conn:
    """One persistent HTTP/1.1 connection to a registry."""

    def __init__(self, target: Target, timeout: float = 600) -> None:
        self.target = target
        self.http = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def connect(self) -> None:
        self.http.connect()

    def close(self) -> None:
        self.http.close()

    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Iterator[memoryview | bytes] | None,
        length: int | None,
        chunked: bool,
    ) -> http.client.HTTPResponse:
        h = self.http
        h.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            h.putheader(name, value)
        if chunked:
            h.putheader("Transfer-Encoding", "chunked")
        elif length is not None:
            h.putheader("Content-Length", str(length))
        h.endheaders()
        try:
            for piece in body or ():
                if chunked:
                    h.send(b"%X\r\n" % len(piece))
                    h.send(piece)
                    h.send(b"\r\n")
                else:
                    h.send(piece)
            if chunked:
                h.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            # The server answered before reading the whole body (an error): report its answer.
            pass
        return h.getresponse()

    def request(
        self,
        method: str,
        path: str,
        *,
        repository: str,
        expect: tuple[int, ...],
        headers: dict[str, str] | None = None,
        body: Iterator[memoryview | bytes] | bytes | None = None,
        length: int | None = None,
        chunked: bool = False,
    ) -> Response:
        """Send a request and read its (small) response; raises HttpError for an unexpected status."""
        all_headers = {**self.target.auth(repository), **(headers or {})}
        if isinstance(body, bytes):
            length, body = len(body), iter([body])
        if body is None and length is None and method in {"POST", "PUT", "PATCH"}:
            length = 0
        response = self._send(method, path, all_headers, body, length, chunked)
        data = response.read()
        if response.status not in expect:
            self.close()
            raise HttpError(method, path, response.status, data, expect)
        return Response(response.status, response.headers, data)

    def download(self, path: str, *, repository: str, hasher: Any = None) -> int:
        """GET a blob, reading it into a reused buffer; returns the number of bytes received."""
        response = self._send("GET", path, self.target.auth(repository), None, None, False)
        if response.status != 200:
            data = response.read()
            self.close()
            raise HttpError("GET", path, response.status, data, (200,))
        buffer = bytearray(PIECE * 4)
        view = memoryview(buffer)
        received = 0
        while n := response.readinto(buffer):
            received += n
            if hasher is not None:
                hasher.update(view[:n])
        return received


# --- Workload operations ------------------------------------------------------------------------


def push_blob_single_put(conn: Conn, repository: str, blob: PatternBlob) -> None:
    """Monolithic push: POST opens a session, one PUT ?digest= carries the whole blob."""
    started = conn.request("POST", f"/v2/{repository}/blobs/uploads/", repository=repository, expect=(202,))
    location = path_of(started.headers["Location"])
    conn.request(
        "PUT",
        with_query(location, "digest", blob.digest),
        repository=repository,
        expect=(201,),
        headers={"Content-Type": "application/octet-stream"},
        body=blob.pieces(),
        length=blob.size,
    )


def push_blob_chunked(conn: Conn, repository: str, blob: PatternBlob, chunk_size: int) -> None:
    """Chunked push: POST, PATCH chunks with Content-Range and Content-Length, then an empty PUT."""
    started = conn.request("POST", f"/v2/{repository}/blobs/uploads/", repository=repository, expect=(202,))
    location = path_of(started.headers["Location"])
    for start in range(0, blob.size, chunk_size):
        length = min(chunk_size, blob.size - start)
        patched = conn.request(
            "PATCH",
            location,
            repository=repository,
            expect=(202,),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{start}-{start + length - 1}",
            },
            body=blob.pieces(start, length),
            length=length,
        )
        location = path_of(patched.headers["Location"])
    conn.request("PUT", with_query(location, "digest", blob.digest), repository=repository, expect=(201,))


def push_blob_streamed(conn: Conn, repository: str, blob: PatternBlob) -> None:
    """docker's way: POST, one PATCH streaming the body with chunked transfer encoding, empty PUT."""
    started = conn.request("POST", f"/v2/{repository}/blobs/uploads/", repository=repository, expect=(202,))
    location = path_of(started.headers["Location"])
    patched = conn.request(
        "PATCH",
        location,
        repository=repository,
        expect=(202,),
        headers={"Content-Type": "application/octet-stream"},
        body=blob.pieces(),
        chunked=True,
    )
    location = path_of(patched.headers["Location"])
    conn.request("PUT", with_query(location, "digest", blob.digest), repository=repository, expect=(201,))


def pull_blob(conn: Conn, repository: str, digest: str, size: int, verify: bool = False) -> int:
    """GET a blob; checks its length, and its digest when `verify` (untimed runs only)."""
    hasher = hashlib.sha256() if verify else None
    received = conn.download(f"/v2/{repository}/blobs/{digest}", repository=repository, hasher=hasher)
    if received != size:
        raise RuntimeError(f"GET /v2/{repository}/blobs/{digest}: received {received} bytes, expected {size}")
    if hasher is not None and "sha256:" + hasher.hexdigest() != digest:
        raise RuntimeError(
            f"GET /v2/{repository}/blobs/{digest}: content has digest sha256:{hasher.hexdigest()}"
        )
    return received


def push_small_blob(conn: Conn, repository: str, digest: str, data: bytes) -> None:
    """One blob the way docker pushes it: HEAD, POST, PATCH (chunked encoding), PUT ?digest=."""
    head = conn.request("HEAD", f"/v2/{repository}/blobs/{digest}", repository=repository, expect=(200, 404))
    if head.status == 200:
        return
    started = conn.request("POST", f"/v2/{repository}/blobs/uploads/", repository=repository, expect=(202,))
    patched = conn.request(
        "PATCH",
        path_of(started.headers["Location"]),
        repository=repository,
        expect=(202,),
        headers={"Content-Type": "application/octet-stream"},
        body=iter([data]),
        chunked=True,
    )
    location = path_of(patched.headers["Location"])
    conn.request("PUT", with_query(location, "digest", digest), repository=repository, expect=(201,))


def put_manifest(conn: Conn, repository: str, reference: str, image: SmallImage) -> None:
    conn.request(
        "PUT",
        f"/v2/{repository}/manifests/{reference}",
        repository=repository,
        expect=(201,),
        headers={"Content-Type": image.media_type},
        body=image.manifest,
    )


def push_image(conn: Conn, repository: str, tag: str, image: SmallImage) -> None:
    for digest, data in image.blobs:
        push_small_blob(conn, repository, digest, data)
    put_manifest(conn, repository, tag, image)


# --- Worker jobs (module-level, so they can be pickled to a worker) -------------------------------------


def job_push_single_put(conn: Conn, repository: str, blob: PatternBlob) -> int:
    push_blob_single_put(conn, repository, blob)
    return blob.size


def job_push_chunked(conn: Conn, repository: str, blob: PatternBlob, chunk_size: int) -> int:
    push_blob_chunked(conn, repository, blob, chunk_size)
    return blob.size


def job_push_streamed(conn: Conn, repository: str, blob: PatternBlob) -> int:
    push_blob_streamed(conn, repository, blob)
    return blob.size


def job_pull(
    conn: Conn, repository: str, digest: str, size: int, rounds: int = 1, verify: bool = False
) -> int:
    return sum(pull_blob(conn, repository, digest, size, verify) for _ in range(rounds))


def job_push_images(conn: Conn, pushes: list[tuple[str, str, SmallImage]]) -> int:
    for repository, tag, image in pushes:
        push_image(conn, repository, tag, image)
    return len(pushes)


def job_put_tags(conn: Conn, repository: str, image: SmallImage, tags: list[str]) -> int:
    for tag in tags:
        put_manifest(conn, repository, tag, image)
    return len(tags)


# --- Running jobs in parallel worker processes --------------------------------------------------


@dataclass
class WorkerResult:
    started: float  # time.monotonic(), the same clock in every process on Linux
    finished: float
    amount: int  # bytes or items, as the job returns
    cpu_seconds: float  # the worker's own CPU time while timed


@dataclass
class ParallelResult:
    workers: list[WorkerResult]

    @property
    def seconds(self) -> float:
        return max(w.finished for w in self.workers) - min(w.started for w in self.workers)

    @property
    def amount(self) -> int:
        return sum(w.amount for w in self.workers)

    @property
    def client_cpu_share(self) -> float:
        """Client CPU time over wall time, in cores: how busy the load generator itself was."""
        return sum(w.cpu_seconds for w in self.workers) / self.seconds if self.seconds else 0.0


def _worker_loop(channel: Any) -> None:
    """A worker process: run the jobs it is sent, one at a time, until it is sent None.

    For each job: connect, report ready, wait for "go", run the timed part, report the result.
    """
    while (message := channel.recv()) is not None:
        job, target, args = message
        conn = Conn(target)
        try:
            try:
                conn.connect()
            except OSError as exc:
                channel.send(("error", f"connecting to {target.host}:{target.port}: {exc}"))
                continue
            channel.send(("ready", None))
            if channel.recv() != "go":
                continue
            cpu0, started = time.process_time(), time.monotonic()
            try:
                amount = job(conn, *args)
            except Exception as exc:
                detail = str(exc) if isinstance(exc, HttpError) else traceback.format_exc(limit=6)
                channel.send(("error", f"{type(exc).__name__}: {detail}"))
                continue
            finished, cpu1 = time.monotonic(), time.process_time()
            channel.send(("done", WorkerResult(started, finished, amount, cpu1 - cpu0)))
        finally:
            conn.close()


class WorkerPool:
    """Worker processes kept for the whole run, so starting a timed job costs no process start-up.

    They are forked from a `forkserver` that has imported this module (not the harness's threads
    and state), and each has its own interpreter, so clients never contend for one GIL.
    """

    def __init__(self) -> None:
        self._ctx = get_context("forkserver")
        self._ctx.set_forkserver_preload(["client"])
        self._workers: list[tuple[Any, Any]] = []

    def _grow(self, size: int) -> None:
        while len(self._workers) < size:
            parent, child = self._ctx.Pipe()
            process = self._ctx.Process(target=_worker_loop, args=(child,), daemon=True)
            process.start()
            child.close()
            self._workers.append((process, parent))

    @staticmethod
    def _receive(channel: Any, deadline: float) -> tuple[str, Any]:
        if not channel.poll(max(0.0, deadline - time.monotonic())):
            raise TimeoutError("a worker did not answer in time")
        return channel.recv()

    def run(
        self, job: Callable[..., int], target: Target, jobs: list[tuple], timeout: float
    ) -> ParallelResult:
        self._grow(len(jobs))
        channels = [channel for _process, channel in self._workers[: len(jobs)]]
        deadline = time.monotonic() + timeout
        try:
            for channel, args in zip(channels, jobs, strict=True):
                channel.send((job, target, args))
            answers = [self._receive(channel, deadline) for channel in channels]
            failed = [detail for kind, detail in answers if kind != "ready"]
            for channel, (kind, _detail) in zip(channels, answers, strict=True):
                if kind == "ready":
                    channel.send("abort" if failed else "go")
            if failed:
                raise RuntimeError(f"{target.name}: {failed[0]}")
            answers = [self._receive(channel, deadline) for channel in channels]
        except (OSError, EOFError, TimeoutError) as exc:
            self.close()  # a worker is gone or stuck: start afresh next time
            raise RuntimeError(f"{target.name}: worker failure: {exc!r}") from None
        if failed := [detail for kind, detail in answers if kind != "done"]:
            raise RuntimeError(f"{target.name}: {failed[0]}")
        return ParallelResult([result for _kind, result in answers])

    def close(self) -> None:
        for _process, channel in self._workers:
            with contextlib.suppress(OSError):
                channel.send(None)
        for process, channel in self._workers:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            channel.close()
        self._workers = []


_pool: WorkerPool | None = None


def run_parallel(
    job: Callable[..., int], target: Target, jobs: list[tuple], timeout: float = 3600
) -> ParallelResult:
    """Run `job(conn, *args)` for each args in `jobs`, each in its own worker process and connection.

    Workers connect first and report ready; then all are told to go, and the time from the first
    worker's start to the last one's end is what counts. Raises RuntimeError with the first error.
    """
    global _pool
    if _pool is None:
        _pool = WorkerPool()
    return _pool.run(job, target, jobs, timeout)


def shutdown() -> None:
    """Stop the worker processes."""
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None
