"""manage.py ldap_sync: LDAP users' groups, admin flag and details from the directory, now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from projects.errors import LdapNotConfigured, LdapUnavailable
from projects.services.ldap import ldap_sync_all


class Command(BaseCommand):
    help = _(
        "Bring every LDAP user's groups, admin flag, name and email up to date with the directory, "
        "and deactivate the users it no longer has (their rows are kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Report what would change without changing anything.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = ldap_sync_all(
                progress=lambda username, outcome: self.stdout.write(f"{username}: {outcome}"),
                dry_run=options["dry_run"],
            )
        except (LdapNotConfigured, LdapUnavailable) as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(summary.describe())
