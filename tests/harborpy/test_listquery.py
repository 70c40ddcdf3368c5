"""harborpy.listquery: Harbor's `q` and `sort` parameters as ORM filters and orderings."""

from __future__ import annotations

import pytest
from django.db.models import Q

from harborpy.errors import BadRequest
from harborpy.listquery import query_filter, sort_order

FIELDS = {"name": "group__name", "email": "email"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", Q()),
        (None, Q()),
        ("name=ops", Q(group__name="ops")),
        ("name=~op", Q(group__name__icontains="op")),
        ("name='ops'", Q(group__name="ops")),
        ("name={ops devs}", Q(group__name__in=["ops", "devs"])),
        ("name=~op,email=a@b.c", Q(group__name__icontains="op") & Q(email="a@b.c")),
        ("name=ops,", Q(group__name="ops")),
    ],
)
def test_q_becomes_a_filter(raw, expected):
    assert query_filter(raw, FIELDS) == expected


@pytest.mark.parametrize("raw", ["name", "=x", "password=x", "name=[1~2]", "name=(a b)", "name=a\x00"])
def test_a_bad_q_is_a_bad_request(raw):
    with pytest.raises(BadRequest):
        query_filter(raw, FIELDS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ["pk"]),
        ("name", ["group__name", "pk"]),
        ("-name,email", ["-group__name", "email", "pk"]),
        ("name, ,", ["group__name", "pk"]),
    ],
)
def test_sort_becomes_an_ordering_ending_with_the_default(raw, expected):
    assert sort_order(raw, {**FIELDS, "id": "pk"}, ["pk"]) == expected


def test_the_default_is_not_repeated_when_sorted_by_it():
    assert sort_order("-id", {"id": "pk"}, ["pk"]) == ["-pk"]


def test_sorting_by_an_unknown_field_is_a_bad_request():
    with pytest.raises(BadRequest):
        sort_order("password", FIELDS, ["pk"])
