"""The lean WSGI handler for registry traffic (see harborpy/wsgi.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.module_loading import import_string

REGISTRY_PREFIXES = ("/v2/", "/service/token")


def is_registry_path(path: str) -> bool:
    return path == "/v2" or path.startswith(REGISTRY_PREFIXES)


class RegistryWSGIHandler(WSGIHandler):
    """Django's WSGI handler with the middleware chain of settings.REGISTRY_MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.REGISTRY_MIDDLEWARE):
            # Only plain callable middleware here: no process_view or process_exception hooks.
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler


class RegistryLocaleMiddleware:
    """Translate registry error messages when the client asks for a language, and only then.

    docker and the other clients send no Accept-Language, so most requests skip the negotiation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_ACCEPT_LANGUAGE" not in request.META:
            return self.get_response(request)
        translation.activate(translation.get_language_from_request(request))
        try:
            return self.get_response(request)
        finally:
            translation.deactivate()
