"""Reading upload bodies straight from the WSGI stream.

docker and skopeo send layers with `Transfer-Encoding: chunked` and no Content-Length. Django
treats such a request as having an empty body, so the registry reads ``wsgi.input`` itself
(gunicorn decodes the chunked framing) in large pieces, never the whole body at once.

Under gunicorn, a layer's bytes skip gunicorn's body reader: its ``read()`` copies every byte
through two BytesIO buffers and slices, which cost more CPU than hashing the layer. A body of
known length is received with ``recv_into`` straight into the blob store's buffers; a chunked
body is taken from gunicorn's chunk parser piece by piece, as ``recv`` returned it. Either way
gunicorn's own state is kept up to date (bytes left, parse errors), so it still knows where the
next request on the connection starts, drains what the application did not read, and closes the
connection after a broken body. Any other server, or a body already partly read, uses ``read()``.
"""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from gunicorn.http import body as gunicorn_body
from gunicorn.http import unreader as gunicorn_unreader

from images.errors import BlobUploadInvalid, ManifestTooLarge, SizeInvalid


class _HeldBytes:
    """Bytes received already and not yet handed out, copied into the caller's buffers."""

    def __init__(self) -> None:
        self._held = memoryview(b"")

    def hold(self, data: bytes) -> None:
        self._held = memoryview(data)

    def __bool__(self) -> bool:
        return bool(self._held)

    def give(self, view: memoryview) -> int:
        n = min(len(view), len(self._held))
        view[:n] = self._held[:n]
        self._held = self._held[n:]
        return n


class _GunicornLengthBody:
    """The rest of a gunicorn body of known length, received straight into the caller's buffer."""

    def __init__(self, body: Any) -> None:
        self._body = body
        self._reader = reader = body.reader
        self._sock = reader.unreader.sock
        # Bytes gunicorn already holds: read from the reader but not by the application, then
        # received from the socket but not yet read. Past `reader.length` begins the next request.
        held = body.buf.getvalue()
        body.buf = io.BytesIO()
        buffered = reader.unreader.take_buffered()
        mine = buffered[: reader.length]
        if len(buffered) > len(mine):
            reader.unreader.unread(buffered[len(mine) :])
        reader.length -= len(mine)
        self._held = _HeldBytes()
        self._held.hold(held + mine)

    def readinto(self, view: memoryview) -> int:
        if self._held:
            return self._held.give(view)
        want = min(len(view), self._reader.length)
        if want <= 0:
            return 0
        try:
            got = self._sock.recv_into(view, want)
        except OSError:
            self._body.failed = True
            raise
        if not got:  # the client closed the connection early
            self._body.failed = True
        self._reader.length -= got
        return got


class _GunicornChunkedBody:
    """A chunked body, taken from gunicorn's chunk parser in the pieces it received them."""

    def __init__(self, body: Any) -> None:
        self._body = body
        self._reader = body.reader
        self._piece = _HeldBytes()

    def readinto(self, view: memoryview) -> int:
        while not self._piece:
            if self._reader.parser is None:
                return 0
            try:
                self._piece.hold(next(self._reader.parser))
            except StopIteration:
                self._reader.parser = None
                return 0
            except Exception:
                self._body.failed = True
                raise
        return self._piece.give(view)


def _gunicorn_direct(stream: Any, length: int | None) -> _GunicornLengthBody | _GunicornChunkedBody | None:
    """A direct reader over gunicorn's request body when nothing of it has been read yet."""
    if type(stream) is not gunicorn_body.Body or stream.buf.tell():
        return None
    reader = stream.reader
    if type(reader) is gunicorn_body.LengthReader:
        if reader.length == length and isinstance(reader.unreader, gunicorn_unreader.SocketUnreader):
            return _GunicornLengthBody(stream)
    elif type(reader) is gunicorn_body.ChunkedReader and reader.parser is not None and not reader.buf.tell():
        return _GunicornChunkedBody(stream)
    return None


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
        # Not when Django has read from the body already (a middleware reading request.body).
        self._wsgi_input = None if getattr(request, "_read_started", False) else meta.get("wsgi.input")
        # Set up by the first readinto(): afterwards, gunicorn's reader must not be used directly.
        self._direct: _GunicornLengthBody | _GunicornChunkedBody | None = None
        self._direct_checked = False

    @property
    def may_have_content(self) -> bool:
        return self.chunked or bool(self.length)

    def read(self, size: int) -> bytes:
        if self._direct is not None:
            buffer = bytearray(size)
            n = self.readinto(memoryview(buffer))
            del buffer[n:]
            return bytes(buffer)
        return self._transport(self._stream.read, size)

    def readinto(self, view: memoryview) -> int:
        """Read at most len(view) bytes into `view`; 0 at the end of the body."""
        if not self._direct_checked:
            self._direct_checked = True
            if self.may_have_content:
                self._direct = _gunicorn_direct(self._wsgi_input, self.length)
        if self._direct is None:
            data = self._transport(self._stream.read, len(view))
            view[: len(data)] = data
            return len(data)
        return self._transport(self._direct.readinto, view)

    @staticmethod
    def _transport(call: Any, arg: Any) -> Any:
        try:
            return call(arg)
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
