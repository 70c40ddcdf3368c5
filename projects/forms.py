"""Login forms of the admin site and the portal: every password goes through credentials_verify."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from projects.authentication import credentials_verify
from projects.errors import TooManyRequests
from projects.permissions import is_robot


class _VerifiedLoginMixin:
    """Authenticate through projects.authentication (throttling, audit, LDAP), never a robot account.

    Django's AuthenticationForm calls authenticate() itself, which would bypass the login throttle
    and the audit trail, and would let `robot$...` secrets open a browser session.
    """

    error_messages: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        cleaned = self.cleaned_data  # type: ignore[attr-defined]
        username, password = cleaned.get("username"), cleaned.get("password")
        if username is not None and password:
            try:
                principal = credentials_verify(username=username, password=password, request=self.request)  # type: ignore[attr-defined]
            except TooManyRequests as exc:
                raise forms.ValidationError(str(exc.message), code="throttled") from exc
            if principal is None or is_robot(principal):
                raise self.get_invalid_login_error()  # type: ignore[attr-defined]
            if not hasattr(principal, "backend"):  # remembered by the credential cache
                principal.backend = settings.AUTHENTICATION_BACKENDS[0]
            self.user_cache = principal
            self.confirm_login_allowed(principal)  # type: ignore[attr-defined]
        return cleaned


class LoginForm(_VerifiedLoginMixin, AuthenticationForm):
    """The portal's login form."""


class AdminLoginForm(_VerifiedLoginMixin, AdminAuthenticationForm):
    """The admin site's login form: staff accounts only."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _("Please enter the correct username and password for a staff account."),
    }
