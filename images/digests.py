"""Content digests: parsing, and hashers whose running state can be saved between requests.

The chunks of one upload may reach different processes or instances, so the running hash must
survive outside process memory. hashlib objects cannot be serialized, and the libraries that used
to do it (rehash) do not support OpenSSL 3; the pure-C alternatives hash at a tenth of the speed.
So ``ResumableHasher`` drives OpenSSL's own SHA256/SHA512 through ctypes, which hashes at hashlib's
speed (SHA-NI) and whose context is a plain struct we can copy out and back in. Where that is not
available the state is ``None`` and the caller re-hashes the stored bytes at the end.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import platform
import re
from typing import Final

log = logging.getLogger(__name__)

DIGEST_RE: Final = re.compile(r"^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
# What a digest looks like in general (OCI image-spec), to tell "malformed" from "unsupported".
DIGEST_GRAMMAR_RE: Final = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
ALGORITHMS: Final = ("sha256", "sha512")
CANONICAL_ALGORITHM: Final = "sha256"

# EMPTY_JSON_DIGEST is the OCI "empty descriptor" content, `{}`.
EMPTY_JSON = b"{}"
EMPTY_JSON_DIGEST: Final = "sha256:" + hashlib.sha256(EMPTY_JSON).hexdigest()


def is_digest(value: str) -> bool:
    """Whether `value` is a supported, well-formed digest (sha256 or sha512, lowercase hex)."""
    return bool(DIGEST_RE.match(value))


def digest_algorithm(digest: str) -> str:
    return digest.split(":", 1)[0]


def digest_of(data: bytes, algorithm: str = CANONICAL_ALGORITHM) -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


class _OpenSSL:
    """ctypes bindings to OpenSSL's low-level SHA2 functions, or None when unusable."""

    # sizeof(SHA256_CTX) and sizeof(SHA512_CTX) on every platform OpenSSL supports.
    CONTEXT_SIZES: Final = {"sha256": 112, "sha512": 216}
    DIGEST_SIZES: Final = {"sha256": 32, "sha512": 64}

    def __init__(self) -> None:
        self.lib = None
        for name in ("libcrypto.so.3", "libcrypto.so.1.1", ctypes.util.find_library("crypto")):
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name)
                self._bind(lib)
            except (OSError, AttributeError):
                continue
            self.lib = lib
            if self._self_test():
                break
            self.lib = None

    def _bind(self, lib: ctypes.CDLL) -> None:
        for algo in ("SHA256", "SHA512"):
            init, update, final = (getattr(lib, f"{algo}_{f}") for f in ("Init", "Update", "Final"))
            init.argtypes = [ctypes.c_void_p]
            # The data pointer is a c_void_p: it takes bytes as they are and a writable buffer
            # (an upload's receive buffer) through ctypes.c_char.from_buffer, without a copy.
            update.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
            final.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
            init.restype = update.restype = final.restype = ctypes.c_int

    def _self_test(self) -> bool:
        try:
            for algorithm in ALGORITHMS:
                hasher = ResumableHasher(algorithm, _openssl=self)
                hasher.update(b"harbor" * 50)
                state = hasher.state()
                resumed = ResumableHasher.from_state(algorithm, state, _openssl=self)
                if resumed is None:
                    return False
                resumed.update(b"py")
                if resumed.hexdigest() != hashlib.new(algorithm, b"harbor" * 50 + b"py").hexdigest():
                    return False
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("OpenSSL resumable hashing unavailable: %s", exc)
            return False
        return True

    def fn(self, algorithm: str, name: str):
        return getattr(self.lib, f"{algorithm.upper()}_{name}")


_STATE_MAGIC = b"HPY1"
_MACHINE = platform.machine().encode()[:16].ljust(16, b"\0")


class ResumableHasher:
    """A sha256/sha512 hasher whose state() can be stored and resumed in another process."""

    def __init__(self, algorithm: str = CANONICAL_ALGORITHM, *, _openssl: _OpenSSL | None = None) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unsupported digest algorithm {algorithm!r}")
        self.algorithm = algorithm
        self._ssl = _openssl if _openssl is not None else _openssl_instance()
        if self._ssl is not None and self._ssl.lib is not None:
            self._ctx = ctypes.create_string_buffer(_OpenSSL.CONTEXT_SIZES[algorithm])
            self._ssl.fn(algorithm, "Init")(self._ctx)
            self._py = None
        else:
            self._ctx = None
            self._py = hashlib.new(algorithm)

    @classmethod
    def from_state(
        cls, algorithm: str, state: bytes | memoryview | None, *, _openssl: _OpenSSL | None = None
    ) -> ResumableHasher | None:
        """Resume a hasher from state(); None if the state cannot be used here (re-hash instead)."""
        if isinstance(state, memoryview):
            # A BinaryField reads back as bytes on SQLite but as a memoryview on PostgreSQL.
            state = state.tobytes()
        ssl = _openssl if _openssl is not None else _openssl_instance()
        size = _OpenSSL.CONTEXT_SIZES.get(algorithm)
        if not state or ssl is None or ssl.lib is None or size is None:
            return None
        state = bytes(state)  # PostgreSQL returns a memoryview
        header = _STATE_MAGIC + algorithm.encode().ljust(8, b"\0") + _MACHINE
        if len(state) != len(header) + size or not state.startswith(header):
            return None
        hasher = cls(algorithm, _openssl=ssl)
        ctypes.memmove(hasher._ctx, state[len(header) :], size)
        return hasher

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._ctx is None:
            self._py.update(data)
            return
        size = memoryview(data).nbytes
        if not size:
            return
        if not isinstance(data, bytes):
            view = memoryview(data)
            # A writable buffer is hashed in place; a read-only one (rare here) is copied once.
            data = bytes(view) if view.readonly else (ctypes.c_char * size).from_buffer(view)
        # ctypes releases the GIL for the call, so other threads run while a chunk is hashed.
        self._ssl.fn(self.algorithm, "Update")(self._ctx, data, size)

    def state(self) -> bytes | None:
        """The running state as bytes, or None when this platform cannot resume hashes."""
        if self._ctx is None:
            return None
        header = _STATE_MAGIC + self.algorithm.encode().ljust(8, b"\0") + _MACHINE
        return header + self._ctx.raw

    def hexdigest(self) -> str:
        if self._ctx is None:
            return self._py.hexdigest()
        # Final() destroys the context, so finish on a copy and keep this hasher usable.
        ctx = ctypes.create_string_buffer(self._ctx.raw, len(self._ctx.raw))
        out = ctypes.create_string_buffer(_OpenSSL.DIGEST_SIZES[self.algorithm])
        self._ssl.fn(self.algorithm, "Final")(out, ctx)
        return out.raw.hex()

    def digest(self) -> str:
        """The digest in OCI form, `algorithm:hex`."""
        return f"{self.algorithm}:{self.hexdigest()}"


_openssl_singleton: _OpenSSL | None = None
_openssl_loaded = False


def _openssl_instance() -> _OpenSSL | None:
    global _openssl_singleton, _openssl_loaded
    if not _openssl_loaded:
        _openssl_loaded = True
        candidate = _OpenSSL()
        _openssl_singleton = candidate if candidate.lib is not None else None
        if _openssl_singleton is None:
            log.warning("OpenSSL SHA2 not found: chunked uploads are re-hashed from storage at the end")
    return _openssl_singleton
