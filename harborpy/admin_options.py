"""Building blocks of harborpy's ModelAdmins that decide no access (projects.permissions does that).

- Writes go through services: a domain error (HarborError) a service raises while a change form is
  saved rolls the whole change back and shows the form again, as submitted, with the service's
  message; one raised while deleting becomes an error message. Never a 500.
- Deletions, single or bulk, call `delete_model()` (which the admins make call a service) object by
  object, each in its own transaction, and report what was refused and why.
- An object outside the user's queryset is a 404, as in the REST API, not a redirect to the index.
- Big tables page without counting every row of PostgreSQL tables (EstimatedCountPaginator).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import model_ngettext, quote
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from harborpy.errors import HarborError

# Below this many rows (the planner's estimate) a table is counted exactly on every page.
ESTIMATE_ABOVE_ROWS = 100_000
# Where a failed service call leaves its error for the form shown again (see ServiceAdmin).
_SERVICE_ERROR = "_harborpy_service_error"


class EstimatedCountPaginator(Paginator):
    """Counts exactly, except the unfiltered list of a big PostgreSQL table: there the admin shows
    the planner's row estimate, because COUNT(*) reads the whole table on every page."""

    @cached_property
    def count(self) -> int:
        objects = self.object_list
        if isinstance(objects, QuerySet) and not objects.query.where:
            connection = connections[objects.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                        [connection.ops.quote_name(objects.model._meta.db_table)],
                    )
                    row = cursor.fetchone()
                if row is not None and row[0] >= ESTIMATE_ABOVE_ROWS:
                    return int(row[0])
        return super().count


def client_address(request: HttpRequest) -> str | None:
    """The caller's address as the server sees it, for the audit trail."""
    return request.META.get("REMOTE_ADDR") or None


class HarborModelAdmin(admin.ModelAdmin):
    """Lists that stay fast on big tables; an object outside `get_queryset()` is a 404."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("%(name)s not found.") % {"name": self.opts.verbose_name})
        return obj


class ServiceAdmin(HarborModelAdmin):
    """A ModelAdmin whose writes go through services (override save_model, save_formset,
    delete_model): the service's domain errors reach the user as form errors or messages."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except HarborError as exc:
            # The change was rolled back (the POST runs in one transaction): show the form again
            # as submitted, invalid this time with the service's message (see get_form).
            setattr(request, _SERVICE_ERROR, exc)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, _SERVICE_ERROR, None)
        if error is None:
            return form

        def clean(self: ModelForm) -> dict[str, Any]:
            form.clean(self)
            raise ValidationError(str(error.message), code=error.code)

        return type(form.__name__, (form,), {"clean": clean})

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except HarborError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(object_id)],
                    current_app=self.admin_site.name,
                )
            )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
def delete_selected(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> Any:
    """Django's delete_selected (its confirmation page), deleting through `delete_model()` one object
    at a time, so every deletion goes through its service; a refusal is reported, not a 500."""
    if not request.POST.get("post"):
        return django_delete_selected(modeladmin, request, queryset)
    deleted, refusals = 0, []
    for obj in queryset:
        if not modeladmin.has_delete_permission(request, obj):
            refusals.append(_("%(object)s: you may not delete it.") % {"object": obj})
            continue
        try:
            with transaction.atomic():
                modeladmin.log_deletions(request, [obj])
                modeladmin.delete_model(request, obj)
        except HarborError as exc:
            refusals.append(_("%(object)s: %(reason)s") % {"object": obj, "reason": exc.message})
        else:
            deleted += 1
    if deleted:
        modeladmin.message_user(
            request,
            _("Successfully deleted %(count)d %(items)s.")
            % {"count": deleted, "items": model_ngettext(modeladmin.opts, deleted)},
            messages.SUCCESS,
        )
    if refusals:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d object was not deleted: %(reasons)s",
                "%(count)d objects were not deleted: %(reasons)s",
                len(refusals),
            )
            % {"count": len(refusals), "reasons": " ".join(refusals)},
            messages.ERROR,
        )
    return None


class ReadOnlyAdmin(HarborModelAdmin):
    """Records nobody adds, changes or deletes in the admin (the audit trail, blobs)."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown inside a parent the admin already let the user see: never added, changed or
    deleted there (a robot's permissions, an artifact's tags)."""

    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
