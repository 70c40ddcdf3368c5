"""Request-rate measurements with keep-alive connections, from Debian's load generators.

GET goes through wrk, a C event loop that needs far less CPU per request than either server.
wrk 4.1 cannot send HEAD: its parser then waits for the body that Content-Length announces and
completes no request. HEAD therefore goes through hey (Go), which reads HEAD responses right;
compare HEAD figures across servers, not with the GET ones.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
from dataclasses import dataclass

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_LATENCY_RE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)


class LoadError(RuntimeError):
    pass


@dataclass(frozen=True)
class RateResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad_responses: int  # non-2xx/3xx
    socket_errors: str  # "" when none
    tool: str = "wrk"
    cpu_seconds: float = 0.0  # the load generator's own CPU time

    @property
    def problems(self) -> str:
        issues = []
        if self.bad_responses:
            issues.append(f"{self.bad_responses} non-2xx/3xx responses")
        if self.socket_errors:
            issues.append(f"socket errors: {self.socket_errors}")
        if not self.requests:
            issues.append("no request completed")
        return "; ".join(issues)


def tool_versions() -> str:
    versions = []
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        versions.append((out.stdout + out.stderr).splitlines()[0].split(" Copyright")[0].strip())
    if shutil.which("dpkg-query") and shutil.which("hey"):
        out = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "hey"], capture_output=True, text=True, check=False
        )
        versions.append(f"hey {out.stdout.strip()} (Debian)")
    return ", ".join(versions) or "(none installed)"


def missing_tools() -> list[str]:
    return [tool for tool in ("wrk", "hey") if not shutil.which(tool)]


def parse_wrk(output: str) -> RateResult:
    latencies = {int(p): float(v) * _UNITS[u] for p, v, u in _LATENCY_RE.findall(output)}
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if not rps or not total or 50 not in latencies or 99 not in latencies:
        raise LoadError(f"cannot parse wrk output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors:\s+(.*)$", output, re.MULTILINE)
    return RateResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=latencies[50],
        p99_ms=latencies[99],
        requests=int(total.group(1)),
        bad_responses=int(bad.group(1)) if bad else 0,
        socket_errors=sockets.group(1).strip() if sockets else "",
    )


def parse_hey(output: str) -> RateResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    latencies = {
        int(p): float(v) * 1e3 for p, v in re.findall(r"^\s*(50|99)% in ([\d.]+) secs", output, re.M)
    }
    statuses = {
        int(code): int(n) for code, n in re.findall(r"^\s*\[(\d{3})\]\s+(\d+) responses", output, re.M)
    }
    if not rps or 50 not in latencies or 99 not in latencies:
        raise LoadError(f"cannot parse hey output:\n{output}")
    error_part = output.split("Error distribution:", 1)[1].strip() if "Error distribution:" in output else ""
    return RateResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=latencies[50],
        p99_ms=latencies[99],
        requests=sum(statuses.values()),
        bad_responses=sum(n for code, n in statuses.items() if not 200 <= code < 400),
        socket_errors=" ".join(error_part.split())[:500],
        tool="hey",
    )


def run_rate(
    url: str,
    *,
    headers: dict[str, str],
    method: str,
    connections: int,
    threads: int,
    seconds: float,
) -> RateResult:
    """Send `method` requests to `url` for `seconds` on `connections` keep-alive connections."""
    duration = max(1, round(seconds))
    if method == "GET":
        argv = [
            "wrk",
            f"-t{min(threads, connections)}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
        ]
        for name, value in headers.items():
            argv += ["-H", f"{name}: {value}"]
        argv.append(url)
        parse = parse_wrk
    else:
        argv = [
            "hey",
            "-m",
            method,
            "-c",
            str(connections),
            "-z",
            f"{duration}s",
            "-t",
            "10",
            "-cpus",
            str(threads),
            "-disable-compression",
        ]
        for name, value in headers.items():
            argv += ["-H", f"{name}: {value}"]
        argv.append(url)
        parse = parse_hey
    # One more try when the load generator prints nothing (seen once with hey on a busy machine):
    # a measuring tool's hiccup is not the server's error.
    for attempt in (1, 2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if out.returncode:
            raise LoadError(f"{argv[0]} exited with {out.returncode}: {out.stderr or out.stdout}")
        if out.stdout.strip() or attempt == 2:
            break
    result = parse(out.stdout)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return RateResult(**{**result.__dict__, "cpu_seconds": cpu})
