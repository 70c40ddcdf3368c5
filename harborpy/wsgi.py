"""WSGI entry point, served by gunicorn (see harborpy/gunicorn.conf.py).

Registry traffic (`/v2/`, `/service/token`) takes a lean handler: the registry authenticates with
tokens, never with sessions or CSRF, and serves no HTML, so the browser middleware (sessions,
CSRF, messages, static files, clickjacking headers) would only cost time on every layer and
manifest request. Everything else goes through Django's full middleware stack.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harborpy.settings")

site_application = get_wsgi_application()

from harborpy.handlers import RegistryWSGIHandler, is_registry_path  # noqa: E402 - needs django.setup()

registry_application = RegistryWSGIHandler()


def application(environ: dict, start_response):
    if is_registry_path(environ.get("PATH_INFO", "")):
        return registry_application(environ, start_response)
    return site_application(environ, start_response)
