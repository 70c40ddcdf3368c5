"""Harbor's password policy: 8 to 128 characters with at least one uppercase, one lowercase, one digit."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_LENGTH, MAX_LENGTH = 8, 128


class HarborPasswordValidator:
    """A Django password validator (AUTH_PASSWORD_VALIDATORS) for Harbor's policy."""

    def validate(self, password: str, user: Any = None) -> None:
        problems = []
        if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
            problems.append(
                _("The password must have %(min)d to %(max)d characters.")
                % {"min": MIN_LENGTH, "max": MAX_LENGTH}
            )
        if not re.search(r"[A-Z]", password):
            problems.append(_("The password must contain an uppercase letter."))
        if not re.search(r"[a-z]", password):
            problems.append(_("The password must contain a lowercase letter."))
        if not re.search(r"[0-9]", password):
            problems.append(_("The password must contain a digit."))
        if problems:
            raise ValidationError(problems, code="password_policy")

    def get_help_text(self) -> str:
        return _(
            "Your password must have %(min)d to %(max)d characters, with at least one uppercase letter, "
            "one lowercase letter and one digit."
        ) % {"min": MIN_LENGTH, "max": MAX_LENGTH}
