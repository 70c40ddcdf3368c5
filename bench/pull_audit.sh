#!/usr/bin/env bash
# What pull records cost: manifest GET throughput with HARBORPY_AUDIT_PULL on and off, same code,
# alternating runs (on, off, on, off) so drift on a shared machine hits both. Each run starts a
# fresh gunicorn (repository's gunicorn.conf.py, SQLite), pushes one image with skopeo and drives
# anonymous GETs of its manifest (a public project) with wrk: 32 connections, 10 s.
# Needs wrk and skopeo (apt-get install wrk skopeo). Usage: bench/pull_audit.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8123}"
py=.venv/bin/python
layout="$(mktemp -d)"
trap 'rm -rf "$layout"' EXIT
$py - "$layout" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, ".")
from tests.support.oci import make_image, write_layout
write_layout(Path(sys.argv[1]), [make_image(layer_count=1, seed="pull-audit-bench")], tag="v1")
PY
for audit in true false true false; do
  data="$(mktemp -d)"
  export HARBORPY_DATA_DIR="$data" HARBORPY_AUDIT_PULL="$audit" HARBORPY_ADMIN_PASSWORD=Harbor12345 PORT="$port"
  $py manage.py migrate -v0 >/dev/null
  $py manage.py bootstrap >/dev/null 2>&1
  .venv/bin/gunicorn -c harborpy/gunicorn.conf.py harborpy.wsgi >"$data/gunicorn.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" -o /dev/null -w '' 2>/dev/null && break; sleep 0.2; done
  skopeo copy -q --dest-tls-verify=false --dest-creds admin:Harbor12345 "oci:$layout:v1" \
    "docker://127.0.0.1:$port/library/app:v1"
  rate=$(wrk -t2 -c32 -d10s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:$port/v2/library/app/manifests/v1" | awk '/Requests\/sec/ {print $2}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  records=$($py manage.py shell -v0 -c \
    "from audit.models import AuditEvent; print(AuditEvent.objects.filter(operation='pull').count())")
  echo "HARBORPY_AUDIT_PULL=$audit  manifest GET req/s=$rate  pull records=$records"
  rm -rf "$data"
done
