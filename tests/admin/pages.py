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


def _put(data: dict, name: str, value) -> None:
    if value is None or value is False:
        return  # an empty field or an unticked box: the browser sends nothing
    if value is True:
        data[name] = "on"
    elif isinstance(value, list | tuple):
        data[name] = [str(item) for item in value]
    else:
        data[name] = str(value)


def _form_fields(data: dict, form) -> None:
    for name, field in form.fields.items():
        if not field.disabled:
            _put(data, form.add_prefix(name), form[name].value())


def submitted(response, **changes) -> dict:
    """The change form of `response` as a browser submits it untouched, with `changes` on top
    (inline fields by their full names, such as "members-0-role")."""
    assert response.status_code == 200, response.status_code
    data: dict = {}
    _form_fields(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for form in formset.forms:
            _form_fields(data, form)
    for name, value in changes.items():
        data.pop(name, None)
        _put(data, name, value)
    return data


def with_new_inline_row(data: dict, prefix: str, **fields) -> dict:
    """`data` with one more row in the inline formset `prefix`."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data = {**data, f"{prefix}-TOTAL_FORMS": str(index + 1)}
    for name, value in fields.items():
        _put(data, f"{prefix}-{index}-{name}", value)
    return data
