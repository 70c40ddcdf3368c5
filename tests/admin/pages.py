"""Reading admin pages in tests: what a changelist lists, what its actions dropdown offers."""

from __future__ import annotations


def listed(response) -> list:
    """The objects a changelist page shows."""
    assert response.status_code == 200, response.status_code
    return list(response.context["cl"].result_list)


def offered_actions(response) -> set[str]:
    """The names in a changelist's actions dropdown."""
    assert response.status_code == 200, response.status_code
    form = response.context["action_form"]
    if form is None:
        return set()
    return {name for name, _label in form.fields["action"].choices if name}


def page_messages(response) -> list[str]:
    """The messages shown on a page (follow the redirect first)."""
    return [str(message) for message in response.context["messages"]]
