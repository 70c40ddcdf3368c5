"""Errors of identity and access."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from harborpy.errors import HarborError


class PreconditionFailed(HarborError):
    code, status, default_message = (
        "PRECONDITION",
        412,
        _("The resource cannot be changed in its current state."),
    )


class TooManyRequests(HarborError):
    code, status, default_message = "TOO_MANY_REQUESTS", 429, _("Too many failed logins: try again later.")


class InvalidPassword(HarborError):
    code, status, default_message = "BAD_REQUEST", 400, _("The password does not meet the password policy.")


class LdapNotConfigured(HarborError):
    code, status, default_message = (
        "PRECONDITION",
        412,
        _("LDAP is not configured: set HARBORPY_LDAP_URL and the other HARBORPY_LDAP_* variables."),
    )


class LdapUnavailable(HarborError):
    """The LDAP server could not be reached, or refused the service account, or failed a search."""

    code, status, default_message = (
        "SERVICE_UNAVAILABLE",
        503,
        _("The LDAP server cannot be reached."),
    )


class LdapNotInstalled(HarborError):
    code, status, default_message = (
        "PRECONDITION",
        412,
        _("LDAP support is not installed: pip install 'harborpy[ldap]' (python-ldap needs libldap2-dev)."),
    )
