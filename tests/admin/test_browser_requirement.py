"""A browser test without a browser skips on a developer's machine and fails in CI."""

from __future__ import annotations

import pytest

from tests.support.browser import browser_unavailable


def test_a_missing_browser_skips_the_test(monkeypatch):
    monkeypatch.delenv("HARBORPY_REQUIRE_BROWSER", raising=False)

    with pytest.raises(pytest.skip.Exception, match="chromium is missing"):
        browser_unavailable("chromium is missing")


def test_a_missing_browser_fails_the_test_when_required(monkeypatch):
    monkeypatch.setenv("HARBORPY_REQUIRE_BROWSER", "1")

    with pytest.raises(pytest.fail.Exception, match="HARBORPY_REQUIRE_BROWSER=1"):
        browser_unavailable("chromium is missing")
