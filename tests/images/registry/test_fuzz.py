"""Whatever a client sends to /v2/, the answer is a 4xx in the OCI format, never a 500."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.oci import make_image
from tests.support.registry import push_image

pytestmark = pytest.mark.django_db

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
NAMES = st.one_of(
    st.sampled_from(["library/app", "library/none", "nosuch/app", "Library/App", "a/../b"]), _TEXT
)
REFERENCES = st.one_of(st.sampled_from(["v1", "latest", "sha256:" + "0" * 64, "sha512:zz", "-x"]), _TEXT)
DIGESTS = st.one_of(st.sampled_from(["sha256:" + "a" * 64, "sha256:x", "md5:0", ""]), _TEXT)
BODIES = st.one_of(st.binary(max_size=2048), st.sampled_from([b"{}", b'{"schemaVersion":2}', b"[", b"\xff"]))
CONTENT_TYPES = st.sampled_from(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/json",
        "text/plain",
        "",
    ]
)
QUERY_VALUES = st.one_of(DIGESTS, st.sampled_from(["-1", "0", "10", "abc", "99999999999999999999"]))


def _path(template: str, name: str, reference: str) -> str:
    safe = lambda s: "".join(c for c in s if c not in "?#\r\n\x00").replace("%", "%25")  # noqa: E731
    return template.format(name=safe(name) or "x", ref=safe(reference).replace("/", "") or "x")


@pytest.fixture
def seeded(admin_client, library):
    push_image(admin_client, "library/app", "v1", make_image(layer_count=1))
    return admin_client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]),
    template=st.sampled_from(
        [
            "/v2/{name}/manifests/{ref}",
            "/v2/{name}/blobs/{ref}",
            "/v2/{name}/blobs/uploads/",
            "/v2/{name}/blobs/uploads/{ref}",
            "/v2/{name}/tags/list",
            "/v2/{name}/referrers/{ref}",
            "/v2/_catalog",
        ]
    ),
    name=NAMES,
    reference=REFERENCES,
    body=BODIES,
    content_type=CONTENT_TYPES,
    query=st.dictionaries(
        st.sampled_from(["digest", "mount", "from", "n", "last", "artifactType"]), QUERY_VALUES
    ),
    content_range=st.one_of(st.none(), st.sampled_from(["0-10", "5-1", "bytes=0-3", "x"]), _TEXT),
)
def test_any_request_gets_a_client_error_or_success_never_a_server_error(
    seeded, method, template, name, reference, body, content_type, query, content_range
):
    headers = {"HTTP_CONTENT_RANGE": content_range} if content_range is not None else {}
    path = _path(template, name, reference)

    response = seeded.generic(
        method, path, data=body, content_type=content_type, QUERY_STRING=_query(query), **headers
    )

    assert response.status_code < 500, (method, path, query, response.content[:300])
    if response.status_code >= 400 and method != "HEAD":
        assert response.json()["errors"][0]["code"]


def _query(params: dict[str, str]) -> str:
    return urlencode(params)
