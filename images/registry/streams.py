"""Reading upload bodies straight from the WSGI stream.

docker and skopeo send layers with `Transfer-Encoding: chunked` and no Content-Length. Django
treats such a request as having an empty body, so the registry reads ``wsgi.input`` itself
(gunicorn decodes the chunked framing) in large pieces, never the whole body at once.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from images.errors import BlobUploadInvalid, ManifestTooLarge, SizeInvalid


class RequestBody:
    """A bounded reader over the request body; transport failures become BlobUploadInvalid."""

    def __init__(self, request: HttpRequest) -> None:
        meta = request.META
        self.chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        if self.chunked:
            self.length: int | None = None
            self._stream = meta["wsgi.input"]
        else:
            raw = meta.get("CONTENT_LENGTH") or "0"
            try:
                self.length = int(raw)
            except ValueError:
                raise SizeInvalid(_("Content-Length is not a number.")) from None
            if self.length < 0:
                raise SizeInvalid(_("Content-Length is negative."))
            # Django's request wraps wsgi.input in a stream limited to Content-Length.
            self._stream = request

    @property
    def may_have_content(self) -> bool:
        return self.chunked or bool(self.length)

    def read(self, size: int) -> bytes:
        try:
            return self._stream.read(size)
        except (OSError, ValueError) as exc:
            raise BlobUploadInvalid(
                _("The request body could not be read: %(error)s") % {"error": exc}
            ) from None
        except Exception as exc:
            # gunicorn raises its own parse errors (NoMoreData, InvalidChunkSize...) on a broken
            # chunked body; they share no base class we can name without importing the server.
            if type(exc).__module__.startswith("gunicorn."):
                raise BlobUploadInvalid(
                    _("The request body could not be read: %(error)s") % {"error": type(exc).__name__}
                ) from None
            raise


def read_bounded(request: HttpRequest, max_bytes: int) -> bytes:
    """Read a whole small body (a manifest), refusing more than `max_bytes`."""
    body = RequestBody(request)
    if body.length is not None and body.length > max_bytes:
        raise ManifestTooLarge(detail={"limit": max_bytes})
    data = bytearray()
    while chunk := body.read(min(65536, max_bytes + 1 - len(data))):
        data += chunk
        if len(data) > max_bytes:
            raise ManifestTooLarge(detail={"limit": max_bytes})
    if body.length is not None and len(data) != body.length:
        raise SizeInvalid(_("The request body ended before its declared length."))
    return bytes(data)
