"""manage.py bootstrap: the system admin and the public `library` project, if absent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from projects.models import Project
from projects.services.projects import project_create, system_admin_ensure

DEFAULT_ADMIN_PASSWORD = "Harbor12345"


class Command(BaseCommand):
    help = _("Create the system admin `admin` and the public project `library` if they do not exist.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.ADMIN_PASSWORD or DEFAULT_ADMIN_PASSWORD
        admin, created = system_admin_ensure(username="admin", password=password)
        if created:
            self.stdout.write("Created the system admin 'admin'.")
            if not settings.ADMIN_PASSWORD:
                self.stderr.write(
                    self.style.WARNING(
                        f"WARNING: the admin password is the default {DEFAULT_ADMIN_PASSWORD!r}. "
                        "Set HARBORPY_ADMIN_PASSWORD before the first start, or change it now."
                    )
                )
        if not Project.objects.filter(name="library").exists():
            project_create(name="library", is_public=True, owner=admin)
            self.stdout.write("Created the public project 'library'.")
