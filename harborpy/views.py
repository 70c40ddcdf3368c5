"""Site-wide views: error pages that speak JSON to API and registry clients."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from harborpy.errors import BadRequest, Denied, HarborError, NotFound, error_body
from harborpy.handlers import is_registry_path


def _wants_json(request: HttpRequest) -> bool:
    return is_registry_path(request.path_info) or request.path_info.startswith("/api/")


def _json_error(error: HarborError) -> HttpResponse:
    response = JsonResponse(error_body(error), status=error.status)
    if error.status == 500:
        response["Docker-Distribution-API-Version"] = "registry/2.0"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_json(request):
        return _json_error(BadRequest())
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_json(request):
        return _json_error(Denied())
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_json(request):
        return _json_error(NotFound())
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return _json_error(HarborError())
    return defaults.server_error(request)
