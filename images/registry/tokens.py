"""Docker registry tokens: JWTs signed RS256, carrying the granted scopes ("access")."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from images.names import normalize_scope_name

# Verified tokens are remembered (by their text) so that a pull's many requests verify the RSA
# signature once. Expiry is still checked on every use.
_VERIFIED_CACHE_SIZE = 4096


@dataclass(frozen=True)
class ScopeRequest:
    type: str
    name: str
    actions: frozenset[str]


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    expires_at: float
    access: dict[tuple[str, str], frozenset[str]]

    def allows(self, type_: str, name: str, action: str) -> bool:
        actions = self.access.get((type_, name), frozenset())
        return action in actions or "*" in actions


def parse_scopes(values: list[str]) -> list[ScopeRequest]:
    """Parse `scope` parameters: `type:name:action,action`, several per value separated by spaces.

    The name may itself hold colons, as in `repository:registry.local:5000/library/alpine:pull`,
    so the type ends at the first colon and the actions start after the last one. Malformed
    scopes are ignored: a token simply grants less.
    """
    scopes: list[ScopeRequest] = []
    for value in values:
        for item in value.split():
            type_, sep, rest = item.partition(":")
            name, sep2, actions = rest.rpartition(":")
            if not (sep and sep2 and type_ and name):
                continue
            if type_.startswith("repository"):
                type_ = "repository"  # "repository(plugin)" is a repository to us
                name = normalize_scope_name(name)
            scopes.append(ScopeRequest(type_, name, frozenset(a for a in actions.split(",") if a)))
    return scopes


_key_lock = threading.Lock()
_private_key: Any = None


def _load_private_key() -> Any:
    global _private_key
    if _private_key is not None:
        return _private_key
    with _key_lock:
        if _private_key is not None:
            return _private_key
        pem = settings.REGISTRY_TOKEN_PRIVATE_KEY.encode()
        if not pem:
            path = settings.REGISTRY_TOKEN_KEY_PATH
            try:
                pem = path.read_bytes()
            except FileNotFoundError:
                pem = _generate_key_file(path)
        try:
            _private_key = serialization.load_pem_private_key(pem, password=None)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"HARBORPY_TOKEN_PRIVATE_KEY is not a PEM private key: {exc}"
            ) from None
        return _private_key


def _generate_key_file(path: os.PathLike) -> bytes:
    """Generate the signing key once into the data dir; a concurrent process may win the race."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    try:
        os.link(tmp, path)  # fails if another process created the key first
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    with open(path, "rb") as fh:
        return fh.read()


def _key_id(public_key: Any) -> str:
    """A libtrust-style key id (what distribution's token verifier expects in `kid`)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(digest[i : i + 4] for i in range(0, 48, 4))


def token_issue(*, subject: str, audience: str, access: list[dict[str, Any]]) -> tuple[str, int, str]:
    """Sign a token; returns (token, expires_in seconds, issued_at RFC 3339)."""
    key = _load_private_key()
    now = int(time.time())
    expires_in = settings.REGISTRY_TOKEN_EXPIRATION
    claims = {
        "iss": settings.REGISTRY_TOKEN_ISSUER,
        "sub": subject,
        "aud": audience,
        "exp": now + expires_in,
        "nbf": now - 1,
        "iat": now,
        "jti": secrets.token_urlsafe(16),
        "access": access,
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": _key_id(key.public_key())})
    issued_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    return token, expires_in, issued_at


class InvalidToken(Exception):
    """The bearer token is not one this registry issued, or has expired."""


_verified: OrderedDict[str, TokenClaims] = OrderedDict()
_verified_lock = threading.Lock()


def token_verify(token: str) -> TokenClaims:
    """Verify a bearer token's signature, issuer, audience and lifetime; raises InvalidToken."""
    with _verified_lock:
        claims = _verified.get(token)
    if claims is None:
        try:
            payload = jwt.decode(
                token,
                _load_private_key().public_key(),
                algorithms=["RS256"],
                audience=settings.REGISTRY_SERVICE,
                issuer=settings.REGISTRY_TOKEN_ISSUER,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=5,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        access: dict[tuple[str, str], frozenset[str]] = {}
        for entry in payload.get("access") or []:
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("type"), str)
                and isinstance(entry.get("name"), str)
            ):
                actions = frozenset(a for a in entry.get("actions") or [] if isinstance(a, str))
                key = (entry["type"], entry["name"])
                access[key] = access.get(key, frozenset()) | actions
        claims = TokenClaims(subject=str(payload["sub"]), expires_at=float(payload["exp"]), access=access)
        with _verified_lock:
            _verified[token] = claims
            while len(_verified) > _VERIFIED_CACHE_SIZE:
                _verified.popitem(last=False)
    if claims.expires_at + 5 < time.time():
        raise InvalidToken("token has expired")
    return claims
