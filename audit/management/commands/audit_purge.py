"""manage.py audit_purge: delete audit records older than a retention period, with progress."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from audit.services import PURGE_OPERATIONS, PurgeParameters, audit_purge
from harborpy.errors import BadRequest


class Command(BaseCommand):
    help = _("Delete audit records older than a retention period (in batches, with progress).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help=_("keep this many days of records"))
        parser.add_argument("--hours", type=int, help=_("keep this many hours of records"))
        parser.add_argument(
            "--operations",
            default=",".join(PURGE_OPERATIONS),
            help=_("comma-separated operations to purge (default: all)"),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("count what would be purged"))

    def handle(self, *args: Any, **options: Any) -> None:
        if (options["days"] is None) == (options["hours"] is None):
            raise CommandError("Give exactly one of --days or --hours.")
        hours = options["hours"] if options["hours"] is not None else (options["days"] or 0) * 24
        try:
            parameters = PurgeParameters.from_harbor(
                {
                    "audit_retention_hour": hours,
                    "include_operations": options["operations"],
                    "dry_run": options["dry_run"],
                }
            )
        except BadRequest as exc:
            raise CommandError(str(exc.message)) from exc
        purged = audit_purge(parameters=parameters, progress=self._progress)
        verb = "Would purge" if parameters.dry_run else "Purged"
        self.stdout.write(self.style.SUCCESS(f"{verb} {purged} audit records older than {hours} hours."))

    def _progress(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        self.stdout.write(f"  {done}/{total} ({percent}%)")
