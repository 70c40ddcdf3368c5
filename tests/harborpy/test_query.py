"""Harbor's `q` and `sort` list parameters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from harborpy.errors import BadRequest
from harborpy.query import Field, Term, parse_query, query_filter, query_sort
from projects.models import Project
from tests.factories import ProjectFactory

FIELDS = {
    "username": Field("actor"),
    "operation": Field("operation"),
    "op_time": Field("created_at", "time"),
    "id": Field("id", "int"),
}


def test_parse_every_kind_of_term():
    terms = parse_query('name=~foo,tags=v1,push_time=[2020-01-01 00:00:00~],a={x "y z"},b=(p q),c="1,2"')

    assert terms == {
        "name": Term("fuzzy", ("foo",)),
        "tags": Term("exact", ("v1",)),
        "push_time": Term("range", ("2020-01-01 00:00:00", "")),
        "a": Term("union", ("x", "y z")),
        "b": Term("intersection", ("p", "q")),
        "c": Term("exact", ("1,2",)),
    }


@pytest.mark.parametrize("q", ["noequals", "=v", "a=[1 2]", 'a="open', "a={x"])
def test_malformed_queries_are_bad_requests(q):
    with pytest.raises(BadRequest):
        parse_query(q)


@pytest.fixture
def events(db):
    base = timezone.make_aware(dt.datetime(2026, 1, 1, 12, 0, 0), dt.UTC)
    rows = [("alice", "create", 0), ("bob", "delete", 1), ("alicia", "pull", 2)]
    return [
        AuditEvent.objects.create(
            actor=actor,
            actor_kind="user",
            operation=op,
            resource_type="artifact",
            resource="r",
            created_at=base + dt.timedelta(days=days),
        )
        for actor, op, days in rows
    ]


def _actors(queryset):
    return sorted(queryset.values_list("actor", flat=True))


def test_filter_exact_fuzzy_union_and_range(events):
    qs = AuditEvent.objects.all()

    assert _actors(query_filter(qs, "username=alice", FIELDS)) == ["alice"]
    assert _actors(query_filter(qs, "username=~ALI", FIELDS)) == ["alice", "alicia"]
    assert _actors(query_filter(qs, "operation={create pull}", FIELDS)) == ["alice", "alicia"]
    assert _actors(query_filter(qs, "op_time=[2026-01-02 00:00:00~]", FIELDS)) == ["alicia", "bob"]
    assert _actors(query_filter(qs, "op_time=[~2026-01-02 12:00:00],username=~b", FIELDS)) == ["bob"]


@pytest.mark.parametrize(
    "q",
    [
        "unknown=1",
        "op_time=yesterday",
        "op_time=[2020-13-45 00:00:00~]",
        "id=abc",
        "id=99999999999999999999",
        "id=~1",
        "username=[a~b]",
    ],
)
def test_unusable_terms_are_bad_requests(events, q):
    with pytest.raises(BadRequest):
        query_filter(AuditEvent.objects.all(), q, FIELDS)


def test_sort_ascending_descending_and_default(events):
    sorts = {"username": "actor", "op_time": "created_at"}

    assert [e.actor for e in query_sort(AuditEvent.objects.all(), "-username", sorts, ["id"])] == [
        "bob",
        "alicia",
        "alice",
    ]
    assert [e.actor for e in query_sort(AuditEvent.objects.all(), "", sorts, ["-created_at"])] == [
        "alicia",
        "bob",
        "alice",
    ]
    with pytest.raises(BadRequest):
        query_sort(AuditEvent.objects.all(), "password", sorts, ["id"])


@pytest.mark.parametrize(
    "q", ["id=99999999999999999999", "id={1 -99999999999999999999}", "id=[~99999999999999999999]"]
)
def test_an_integer_beyond_64_bits_is_a_bad_request_not_a_database_error(q):
    with pytest.raises(BadRequest):
        query_filter(Project.objects.all(), q, {"id": Field("pk", "int")})


def test_a_nul_in_a_query_is_a_bad_request():
    with pytest.raises(BadRequest):
        parse_query("name=a\x00b")


@pytest.mark.django_db
def test_terms_parsed_already_filter_too():
    ProjectFactory(name="kept")
    ProjectFactory(name="dropped")
    terms = parse_query("name=kept,Level=project")
    del terms["Level"]  # a key the caller handles itself

    projects = query_filter(Project.objects.all(), terms, {"name": Field("name")})

    assert [p.name for p in projects] == ["kept"]
