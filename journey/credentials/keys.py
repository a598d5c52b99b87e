"""The organisation's Ed25519 signing key: loaded from a file, published as a JWK.

The private key lives only in ``CREDENTIAL_KEY_FILE`` (PKCS#8 PEM, mode 0600). Outside production
a key is generated there on first use; production refuses to sign without one, because a key made
up on the spot by whichever process asked first is a key nobody has backed up.

Rotation: put a new key in the file (or point ``JOURNEY_CREDENTIAL_KEY_FILE`` at it) and restart.
The next credential issued registers the new public key in ``signing_keys`` and marks the older
ones retired. Retired keys stay there and stay published in ``/.well-known/jwks.json``, so every
credential signed before the rotation still verifies. Delete a row only to disown every
credential it signed (a compromised key): they will then verify as tampered.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from journey.core.db import utcnow
from journey.core.errors import ProblemError
from journey.core.i18n import _l

logger = logging.getLogger(__name__)

_lock = threading.Lock()


class SigningKeyMissing(ProblemError):
    status, code, title = 503, "signing-key-missing", _l("Credential signing is not configured")


@dataclass(frozen=True)
class KeyPair:
    private: Ed25519PrivateKey
    public_jwk: dict[str, Any]  # with kid, alg and use

    @property
    def kid(self) -> str:
        return self.public_jwk["kid"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(public: Ed25519PublicKey) -> dict[str, Any]:
    """The public key as an OKP JWK whose kid is its RFC 7638 thumbprint."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}
    return {**members, "kid": thumbprint(members), "alg": "EdDSA", "use": "sig"}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    required = {k: jwk[k] for k in ("crv", "kty", "x")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    return b64url(hashlib.sha256(canonical).digest())


def public_key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    """The key a published JWK describes; ValueError if it is not an Ed25519 key."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise ValueError("not an Ed25519 JWK")
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


def load_or_create(path: Path, *, may_create: bool) -> Ed25519PrivateKey:
    """Read the PEM key at path; create it (0600) first if allowed and missing.

    Two processes starting together may both generate a key: each writes its own temporary file
    and links it into place, which fails if the file already exists, so exactly one key wins and
    the loser reads the winner's. An existing key is never overwritten.
    """
    if not path.exists():
        if not may_create:
            raise SigningKeyMissing(
                "No credential signing key is installed; set JOURNEY_CREDENTIAL_KEY_FILE to an "
                "Ed25519 PKCS#8 PEM file.")
        _create(path)
    data = path.read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing("The credential signing key is not an Ed25519 key.")
    if path.stat().st_mode & 0o077:
        logger.warning("credential signing key %s is readable by other users", path)
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic, and refuses to replace an existing file
            logger.info("generated a credential signing key at %s", path)
        except FileExistsError:
            pass  # another process got there first: use its key
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def key_pair(app: Flask | None = None) -> KeyPair:
    """The app's signing key, loaded once per app and key file."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    path = Path(app.config["CREDENTIAL_KEY_FILE"])
    cached = app.extensions.get("journey_signing_key")
    if cached is not None and cached[0] == path:
        return cached[1]
    with _lock:
        cached = app.extensions.get("journey_signing_key")
        if cached is not None and cached[0] == path:
            return cached[1]
        private = load_or_create(path, may_create=app.config.get("ENV_NAME") != "production")
        pair = KeyPair(private, public_jwk(private.public_key()))
        app.extensions["journey_signing_key"] = (path, pair)
        return pair


def register(sess: Session, pair: KeyPair) -> None:
    """Record the public key in signing_keys if it is not there yet (safe when two requests race).

    A newly registered key retires the older ones: they stay published, for verification only.
    """
    from journey.credentials.models import SigningKey

    table = SigningKey.__table__
    now = utcnow()
    values = {"kid": pair.kid, "public_jwk": pair.public_jwk, "created_at": now}
    dialect = sess.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(values).on_conflict_do_nothing(index_elements=["kid"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(values).on_conflict_do_nothing(index_elements=["kid"])
    else:  # pragma: no cover - the project runs on these two
        if sess.get(SigningKey, pair.kid) is not None:
            return
        stmt = sa.insert(table).values(values)  # type: ignore[assignment]
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING.
    if sess.connection().execute(stmt.returning(table.c.kid)).first() is not None:
        sess.connection().execute(
            sa.update(table).where(table.c.kid != pair.kid, table.c.retired_at.is_(None))
            .values(retired_at=now))
        logger.info("registered credential signing key %s", pair.kid)
