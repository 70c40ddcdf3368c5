"""Harbor's q= query language and sort= parameter."""

from __future__ import annotations

import pytest

from harborpy.errors import BadRequest
from harborpy.query import (
    AllOf,
    AnyOf,
    Fuzzy,
    Range,
    boolean,
    int64,
    query_filter,
    query_parse,
    sort_parse,
    text,
)
from projects.models import Project
from tests.factories import ProjectFactory

FIELDS = {"name": ("name", text), "public": ("is_public", boolean), "project_id": ("pk", int64)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("name=lib", {"name": "lib"}),
        ("name=~lib", {"name": Fuzzy("lib")}),
        ("name='lib'", {"name": "lib"}),
        ("id=[1~5]", {"id": Range("1", "5")}),
        ("id=[~5]", {"id": Range(None, "5")}),
        ("name={a b}", {"name": AnyOf(("a", "b"))}),
        ("name=(a b)", {"name": AllOf(("a", "b"))}),
        ("Level=project,ProjectID=3", {"Level": "project", "ProjectID": "3"}),
        ("name%3D~lib", {"name": Fuzzy("lib")}),
    ],
)
def test_query_parse(raw, expected):
    assert query_parse(raw) == expected


# Harbor splits terms on every comma, quoted or not: 'name="a,b"' has a term without "=".
@pytest.mark.parametrize("raw", ["name", "name=", "=x", "a=1,", "id=[~]", "id=[1]", 'name="a,b"'])
def test_malformed_queries_are_bad_requests(raw):
    with pytest.raises(BadRequest):
        query_parse(raw)


def test_sort_keeps_known_keys_in_order():
    assert sort_parse("-creation_time,name,bogus", {"name": "name", "creation_time": "created_at"}) == [
        "-created_at",
        "name",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("name=~b", ["abc", "bcd"]),
        ("name={abc cde}", ["abc", "cde"]),
        ("name=[b~c]", ["bcd"]),
        ("public=true", ["cde"]),
        ("name=(abc abc)", ["abc"]),
        ("unknown=1", ["abc", "bcd", "cde"]),
    ],
)
def test_query_filter(raw, expected):
    for name in ["abc", "bcd", "cde"]:
        ProjectFactory(name=name, is_public=name == "cde")

    projects = query_filter(Project.objects.order_by("name"), query_parse(raw), FIELDS)

    assert [p.name for p in projects] == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw", ["public=maybe", "project_id=x", "project_id=99999999999999999999", "public=~t"]
)
def test_values_of_the_wrong_type_are_bad_requests(raw):
    with pytest.raises(BadRequest):
        query_filter(Project.objects.all(), query_parse(raw), FIELDS)
