"""gunicorn settings for harborpy; every value can be overridden with GUNICORN_* or on the command line.

Uploads of large layers take minutes: the gthread worker keeps the master's heartbeat alive
while a request runs, so `timeout` does not cut a long upload; blob pulls go out with sendfile.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# One process per core carries the CPU-bound part of registry requests; a few threads per process
# keep slow uploads and downloads (which release the GIL) from blocking the quick requests. More
# threads make a manifest GET wait for the GIL, more processes than cores make them compete:
# measured on 2 cores, manifest GETs per second with workers x threads = 2 x 4: 1,710-1,940;
# 2 x 16: about half that; 4 x 4: 1,180-1,720 (bench/RESULTS.md has the method).
workers = int(os.environ.get("GUNICORN_WORKERS", str(max(2, multiprocessing.cpu_count()))))
# gunicorn's gthread worker, except that a new connection waits for its first request in the poller
# instead of holding a thread for up to 5 s: harborpy/gunicorn_worker.py says why.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "harborpy.gunicorn_worker.ThreadWorker")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Seconds of worker silence before the master restarts it (not a request time limit with gthread).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "60"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
sendfile = True
# Manifests and tokens are small; layer bodies are streamed, so no request body limit here.
limit_request_line = 8190
# No access log by default: gunicorn's costs about a quarter of a manifest GET's CPU (measured:
# 1.15-1.28 ms per request with it, 0.93 ms without), and the proxy or load balancer in front of a
# registry logs requests anyway. GUNICORN_ACCESSLOG=- logs them to stdout, or give a file path.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(L)ss'
errorlog = "-"
# Heartbeat files on tmpfs: a worker must not stall on a slow disk and be killed for it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# gunicorn's control socket defaults to one fixed path per user, which several instances on one
# host (tests, benchmarks, blue/green) would fight over; harborpy does not use it.
control_socket_disable = True


def worker_exit(server: object, worker: object) -> None:
    """Write the pulls this worker still holds in memory (images/pulls.py) before it goes."""
    from images.pulls import pulls_flush

    pulls_flush()
