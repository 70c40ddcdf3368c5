"""The zh-hans catalog is complete, well-formed, compiled and up to date with the sources.

`make messages` regenerates it (GNU gettext's xgettext and msgmerge, through Django's makemessages)
and compiles locale/zh_Hans/LC_MESSAGES/django.mo, which is committed so that a checkout serves
Chinese without gettext installed. The staleness check runs makemessages too: without gettext it
skips, and HARBORPY_REQUIRE_GETTEXT=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import gettext
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.support.po import Entry, read_po

ROOT = Path(settings.BASE_DIR)
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")
# What makemessages reads: the apps and the site-wide templates.
SOURCES = ["harborpy", "projects", "images", "audit", "replication", "templates"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\w*\}")


def _entries() -> list[Entry]:
    return [entry for entry in read_po(CATALOG) if entry.msgid and not entry.obsolete]


def test_every_string_is_translated():
    untranslated = [entry.msgid for entry in _entries() if not all(entry.msgstr.values())]

    assert untranslated == []


def test_no_translation_is_fuzzy():
    fuzzy = [entry.msgid for entry in read_po(CATALOG) if "fuzzy" in entry.flags]

    assert fuzzy == []


def test_the_catalog_has_no_obsolete_entries():
    assert [entry.msgid for entry in read_po(CATALOG) if entry.obsolete] == []


def test_translations_keep_their_placeholders():
    broken = [
        entry.msgid
        for entry in _entries()
        for translation in entry.msgstr.values()
        if sorted(PLACEHOLDER.findall(translation)) != sorted(PLACEHOLDER.findall(entry.msgid))
    ]

    assert broken == []


# Names Chinese users of Harbor read in English (Harbor's own zh-CN interface keeps them).
KEPT_IN_ENGLISH = {"harborpy", "Artifact", "Tag", "SBOM", "LDAP", "LDAP DN"}


def test_only_terms_harbor_keeps_in_english_are_left_as_they_are():
    copied = {entry.msgid for entry in _entries() if entry.msgid in entry.msgstr.values()}

    assert copied <= KEPT_IN_ENGLISH, sorted(copied - KEPT_IN_ENGLISH)


def test_the_header_names_the_language_and_its_plural_forms():
    header = next(entry for entry in read_po(CATALOG) if entry.msgid == "").msgstr[0]

    assert "Language: zh_Hans\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header


def test_the_compiled_catalog_matches_the_catalog():
    with COMPILED.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for entry in _entries():
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstr[0]
        else:
            expected.update({(msgid, index): text for index, text in entry.msgstr.items()})

    found = {key: value for key, value in compiled.items() if key != ""}

    assert found == expected, "locale/zh_Hans/LC_MESSAGES/django.mo is stale: run `make messages`"


def _makemessages_args() -> list[str]:
    """The options `make messages` passes to makemessages (the Makefile's MAKEMESSAGES_ARGS)."""
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("MAKEMESSAGES_ARGS"):
            return shlex.split(line.split("=", 1)[1])
    raise AssertionError("the Makefile has no MAKEMESSAGES_ARGS")


def _gettext_unavailable() -> None:
    reason = "GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext"
    if os.environ.get("HARBORPY_REQUIRE_GETTEXT", "").strip().lower() in {"1", "true", "yes", "on"}:
        pytest.fail(f"{reason} (HARBORPY_REQUIRE_GETTEXT=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


def test_the_catalog_is_up_to_date_with_the_sources(tmp_path, settings, monkeypatch):
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        _gettext_unavailable()
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    regenerated = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    regenerated.parent.mkdir(parents=True)
    shutil.copy(CATALOG, regenerated)
    # makemessages works in the current directory and writes to LOCALE_PATHS: both the copy.
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)

    call_command("makemessages", *_makemessages_args(), verbosity=0)

    fresh = {entry.key for entry in read_po(regenerated) if entry.msgid and not entry.obsolete}
    committed = {entry.key for entry in _entries()}
    assert sorted(fresh - committed, key=str) == [], "strings missing from the catalog: run `make messages`"
    assert sorted(committed - fresh, key=str) == [], "strings no longer in the sources: run `make messages`"


def test_missing_gettext_skips_the_staleness_check_on_a_developers_machine(monkeypatch):
    monkeypatch.delenv("HARBORPY_REQUIRE_GETTEXT", raising=False)

    with pytest.raises(pytest.skip.Exception, match="GNU gettext"):
        _gettext_unavailable()


def test_missing_gettext_fails_the_staleness_check_when_required(monkeypatch):
    monkeypatch.setenv("HARBORPY_REQUIRE_GETTEXT", "1")

    with pytest.raises(pytest.fail.Exception, match="HARBORPY_REQUIRE_GETTEXT=1"):
        _gettext_unavailable()
