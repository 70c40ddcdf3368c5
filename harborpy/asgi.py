"""ASGI entry point (the registry is served over WSGI by gunicorn; this is for tooling)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harborpy.settings")

application = get_asgi_application()
