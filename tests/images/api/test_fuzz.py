"""Whatever a client sends to the content API, the answer is a success or a 4xx in Harbor's
envelope, never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
KEYS = st.sampled_from(
    [
        "tags",
        "labels",
        "label_id",
        "type",
        "media_type",
        "digest",
        "push_time",
        "size",
        "base",
        "name",
        "scope",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        ["*", "nil", "~v", "[1~2]", "[~2026-01-01 00:00:00]", "{a b}", "(1 2)", "99999999999999999999", "'q'"]
    ),
    _TEXT,
)
QUERIES = st.one_of(st.builds(lambda k, v: f"{k}={v}", KEYS, VALUES), _TEXT)
PATHS = st.sampled_from(
    [
        "/api/v2.0/projects/{p}/repositories",
        "/api/v2.0/projects/{p}/repositories/{r}",
        "/api/v2.0/projects/{p}/repositories/{r}/artifacts",
        "/api/v2.0/projects/{p}/repositories/{r}/artifacts/{ref}",
        "/api/v2.0/projects/{p}/repositories/{r}/artifacts/{ref}/tags",
        "/api/v2.0/projects/{p}/repositories/{r}/artifacts/{ref}/tags/{ref}",
        "/api/v2.0/projects/{p}/repositories/{r}/artifacts/{ref}/labels",
        "/api/v2.0/projects/{p}/repositories/{r}/artifacts/{ref}/accessories",
        "/api/v2.0/repositories",
        "/api/v2.0/labels",
        "/api/v2.0/search",
        "/api/v2.0/statistics",
    ]
)
PARTS = st.one_of(
    st.sampled_from(["secret", "library", "app", "web", "v1", "latest", "sha256:" + "0" * 64]), _TEXT
)
BODIES = st.one_of(
    st.sampled_from([{}, {"name": "x"}, {"id": 1}, {"description": 5}, {"name": "ok", "scope": "p"}, []]),
    st.dictionaries(st.sampled_from(["name", "id", "description", "scope", "project_id", "color"]), VALUES),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["get", "post", "put", "delete"]),
    path=PATHS,
    parts=st.tuples(PARTS, PARTS, PARTS),
    q=QUERIES,
    sort=st.one_of(st.sampled_from(["-push_time", "name", "size,-id", ""]), _TEXT),
    body=BODIES,
    extra=st.sampled_from(
        ["", "&page=2&page_size=1", "&with_label=true&with_accessory=true", "&from=secret/app:v1"]
    ),
)
def test_never_a_server_error(
    api_client, admin, secret_app, public_web, method, path, parts, q, sort, body, extra
):
    project, repository, reference = (quote(part, safe="") or "x" for part in parts)
    url = path.format(p=project, r=repository, ref=reference)
    query = f"q={quote(q, safe='')}&sort={quote(sort, safe='')}{extra}"
    api_client.force_authenticate(admin)

    if method == "get":
        response = api_client.get(f"{url}?{query}")
    else:
        response = getattr(api_client, method)(
            f"{url}?{query}", json.dumps(body), content_type="application/json"
        )

    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response.json()["errors"][0]["code"]
