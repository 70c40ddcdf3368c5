"""The portal's forms. Logging in uses projects.forms.LoginForm (credentials_verify)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from harborpy.errors import HarborError
from projects.errors import InvalidPassword


class RegistrationForm(forms.Form):
    """Self-registration: the checks (password policy, names and addresses taken) are user_create's."""

    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    realname = forms.CharField(label=_("Full name"), max_length=255, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Confirm password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    comment = forms.CharField(label=_("Comment"), max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].max_length = get_user_model()._meta.get_field("username").max_length
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["realname"].widget.attrs["autocomplete"] = "name"
        self.fields["password1"].help_text = " ".join(password_validation.password_validators_help_texts())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            cleaned.get("password1")
            and cleaned.get("password2")
            and cleaned["password1"] != cleaned["password2"]
        ):
            self.add_error("password2", _("The two passwords do not match."))
        return cleaned

    def user_fields(self) -> dict[str, str]:
        """The keyword arguments of projects.services.users.user_create."""
        data = self.cleaned_data
        return {
            "username": data["username"],
            "email": data["email"],
            "password": data["password1"],
            "realname": data["realname"],
            "comment": data["comment"],
        }

    def add_service_error(self, exc: HarborError) -> None:
        """Show a refusal of user_create on the field it is about, else above the form."""
        if isinstance(exc, InvalidPassword):
            self.add_error("password1", str(exc.message))
            return
        fields = [name for name in exc.detail.get("fields", {}) if name in self.fields]
        self.add_error(fields[0] if fields else None, str(exc.message))
