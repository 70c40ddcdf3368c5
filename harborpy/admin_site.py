"""harborpy's admin site: branded, entered only by active staff users (never robots), logged in
through credentials_verify (throttled and audited), its index grouped by app in a fixed order.

Who sees and changes what inside is decided by projects.permissions (see projects/admin.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from harborpy.admin_options import client_address, delete_selected
from harborpy.errors import HarborError
from projects.forms import AdminLoginForm
from projects.permissions import can_use_admin_site
from projects.services.users import user_set_password

# The index lists the apps in this order (others after them, by name), each app's models in the
# order given here (others after them, by name).
APP_ORDER = ["projects", "images", "audit", "auth"]
MODEL_ORDER = {
    "projects": ["project", "robot", "user", "systemsettings"],
    "images": ["repository", "artifact", "tag", "label", "blob"],
    "audit": ["auditevent", "purgerun"],
}


class OwnPasswordChangeView(PasswordChangeView):
    """Django's "change password" page; the password is set by user_set_password (policy, audit,
    remembered logins forgotten), which refuses an LDAP user's."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = self.request.user
        try:
            user_set_password(
                user=user,
                actor=user,
                new_password=form.cleaned_data["new_password1"],
                old_password=form.cleaned_data["old_password"],
                address=client_address(self.request),
            )
        except HarborError as exc:
            messages.error(self.request, str(exc.message))  # the page shows no form-wide errors
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)
        return HttpResponseRedirect(self.get_success_url())


class HarborAdminSite(admin.AdminSite):
    site_header = _("harborpy administration")
    site_title = _("harborpy")
    index_title = _("Registry administration")
    login_form = AdminLoginForm

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        # Bulk deletion goes through each model's delete_model(), hence its service.
        self._actions = {"delete_selected": delete_selected}
        self._global_actions = self._actions.copy()

    def has_permission(self, request: HttpRequest) -> bool:
        return can_use_admin_site(request.user)

    def password_change(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        request.current_app = self.name
        return OwnPasswordChangeView.as_view(
            form_class=AdminPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        from projects.admin import PrincipalAutocompleteJsonView  # projects.admin registers on this site

        return PrincipalAutocompleteJsonView.as_view(admin_site=self)(request)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        rank = {label: position for position, label in enumerate(APP_ORDER)}
        apps.sort(key=lambda app: (rank.get(app["app_label"], len(rank)), str(app["name"])))
        for app in apps:
            order = MODEL_ORDER.get(app["app_label"], [])
            app["models"].sort(
                key=lambda model: (
                    order.index(model["object_name"].lower())
                    if model["object_name"].lower() in order
                    else len(order),
                    str(model["name"]),
                )
            )
        return apps
