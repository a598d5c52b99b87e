"""Encryption at rest: sensitive columns hold ciphertext, searched through keyed blind indexes.

Why AES-GCM (``cryptography``'s ``AESGCM``) and not MultiFernet: a GCM value can carry associated
data, and every value here is bound to its ``table.column`` and its key id. A ciphertext copied by
hand into another column (a phone number pasted into ``notes``, a permit number moved to another
table) fails authentication instead of decrypting in the wrong place; Fernet has no associated
data. GCM is also shorter (28 bytes of overhead against Fernet's 57, before base64) and one AES
pass, where Fernet is AES-CBC plus HMAC. Rotation, which MultiFernet would give us, is a key id in
every value: ``j1.<key id>.<base64url(nonce || ciphertext || tag)>``, with a fresh random 96-bit
nonce per value (safe far beyond the millions of values a centre holds under one key).

Keys come from settings (journey.config): ``JOURNEY_DATA_KEYS`` (``kid:base64``, comma-separated,
the first one current) or the file ``JOURNEY_DATA_KEY_FILE`` in the same format, one per line;
outside production a key file is generated under instance/ (mode 0600) on first use. The keys that
are not current only decrypt: ``journey keys rotate`` (journey.core.keys) moves every value to the
current key.

One column type does it all: ``sa_type=EncryptedText("table.column")`` on a model field, and the
services and schemas above it read and write plain strings. An encrypted column cannot be
compared in SQL (the comparator raises): equality needs a blind index, an HMAC-SHA256 of the
normalised value under a key derived with HKDF (info ``journey blind-index``) from the current data
key, stored as ``<kid>:<32 hex digits>`` in a ``BlindIndex("source")`` column and kept up to date
by ``keep_blind_index``. A lookup tries the index under every loaded key, so it keeps working while
a rotation is half done.

What is not encrypted: names and dates of birth. Staff find people by name, the list sorts and
searches by family and given name, and duplicate detection matches folded names, all in SQL; so
names stay in clear (as do their folded ``name_key`` and ``search_text``). The phone is no longer
in ``search_text``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context

PREFIX = "j1."
KID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_INDEX_HEX = 32  # 128 bits of HMAC-SHA256: collisions are out of reach, the column stays short


class CryptoError(RuntimeError):
    """Keys are missing or malformed, or a stored value does not decrypt under them."""


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class Keyring:
    """The data keys, the first one current; encrypts, decrypts and computes blind indexes."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise CryptoError("no data key: set JOURNEY_DATA_KEYS or JOURNEY_DATA_KEY_FILE")
        self.current = keys[0][0]
        self.kids = tuple(kid for kid, _key in keys)
        if len(set(self.kids)) != len(self.kids):
            raise CryptoError("a data key id is listed twice")
        self._aead = {}
        self._index = {}
        for kid, key in keys:
            if not KID.fullmatch(kid) or len(key) != 32:
                raise CryptoError(f"data key {kid!r}: the id must be 1-16 letters, digits, - or _,"
                                  " and the key 32 bytes (base64)")
            self._aead[kid] = AESGCM(_derive(key, b"journey data-encryption"))
            self._index[kid] = _derive(key, b"journey blind-index")

    def encrypt(self, plain: str, context: str) -> str:
        """``plain`` under the current key, bound to ``context`` (table.column)."""
        nonce = os.urandom(12)
        sealed = self._aead[self.current].encrypt(nonce, plain.encode(),
                                                  f"{context}|{self.current}".encode())
        return f"{PREFIX}{self.current}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, context: str) -> str:
        """The plain text of a value from ``context``; a clear error if it cannot be read."""
        kid = key_id(token)
        if kid is None:
            raise CryptoError(f"{context}: the stored value is not encrypted (run the migrations)")
        aead = self._aead.get(kid)
        if aead is None:
            raise CryptoError(f"{context}: the value is under data key {kid!r}, which is not "
                              "loaded (JOURNEY_DATA_KEYS / JOURNEY_DATA_KEY_FILE)")
        try:
            raw = base64.urlsafe_b64decode(token[len(PREFIX) + len(kid) + 1:])
            return aead.decrypt(raw[:12], raw[12:], f"{context}|{kid}".encode()).decode()
        except (InvalidTag, ValueError):
            raise CryptoError(f"{context}: a value under data key {kid!r} failed authentication "
                              "(wrong key material, or the value was altered or moved from "
                              "another column)") from None

    def blind_index(self, value: str, kid: str | None = None) -> str:
        """The keyed index of an already normalised value, under ``kid`` (default: current)."""
        kid = kid or self.current
        digest = hmac.new(self._index[kid], value.encode(), hashlib.sha256).hexdigest()
        return f"{kid}:{digest[:_INDEX_HEX]}"

    def blind_indexes(self, value: str) -> list[str]:
        """The index under every loaded key: what a lookup matches while a rotation runs."""
        return [self.blind_index(value, kid) for kid in self.kids]


def key_id(token: str) -> str | None:
    """The key id of a stored value, or None when it is not one of ours."""
    if not token.startswith(PREFIX):
        return None
    kid, dot, _rest = token[len(PREFIX):].partition(".")
    return kid if dot and KID.fullmatch(kid) else None


_active: Keyring | None = None


def activate(keyring: Keyring | None) -> None:
    """The keyring used outside an app context (migrations, benches); None forgets it."""
    global _active
    _active = keyring


def keyring() -> Keyring:
    """The current app's keyring (init_app), or the one activated outside an app."""
    if has_app_context() and "journey_keyring" in current_app.extensions:
        return current_app.extensions["journey_keyring"]
    if _active is None:
        raise CryptoError("no data keys loaded: no app context and none activated")
    return _active


class LazyKeyring:
    """The keyring for a migration that rewrites rows: the app's when run by `journey db upgrade`,
    else loaded from settings as the app loads them; asked for only when there are rows to rewrite
    (an empty database needs no key). Call it to get the Keyring."""

    def __init__(self) -> None:
        self._ring: Keyring | None = None

    def __call__(self) -> Keyring:
        if self._ring is None:
            try:
                self._ring = keyring()
            except CryptoError:
                from journey.config import load_settings

                self._ring = Keyring(load_settings()["DATA_KEYS"])
        return self._ring


def init_app(app) -> None:
    """Build this app's keyring from DATA_KEYS (journey.config)."""
    app.extensions["journey_keyring"] = Keyring(app.config["DATA_KEYS"])


def normalise_phone(phone: str) -> str:
    """The E.164 form a blind index is computed over: '+' and digits ("+977 98-123" = "+97798123")."""
    digits = "".join(c for c in phone if c.isdigit())
    return f"+{digits}"


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def normalise_name(name: str) -> str:
    """A name folded for grouping: accents, case and punctuation dropped, spaces made one
    ("Gulf Recruiters Pvt. Ltd." = "gulf  recruiters pvt ltd")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


NORMALISERS: dict[str, Callable[[str], str]] = {"phone": normalise_phone, "email": normalise_email,
                                                "name": normalise_name}


class _NoComparison(sa.types.TypeDecorator.Comparator):
    def operate(self, op, *other, **kwargs):
        if op in (sa.sql.operators.is_, sa.sql.operators.is_not):
            return super().operate(op, *other, **kwargs)
        raise TypeError("an encrypted column cannot be compared or sorted in SQL; "
                        "look it up through its blind index")


class EncryptedText(sa.types.TypeDecorator):
    """A text column stored encrypted under the current data key, bound to ``context``.

    ``context`` is "table.column" (a test checks it matches where the type is used).
    """

    impl = sa.Text
    cache_ok = True
    comparator_factory = _NoComparison

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect) -> str | None:
        # None and '' are stored as they are: an empty value tells no more than NULL does, and
        # erasure and retention find the rows they emptied (NOT NULL columns hold '') in SQL.
        if value is None or value == "":
            return value
        return keyring().encrypt(str(value), self.context)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if not value:
            return value
        return keyring().decrypt(value, self.context)


class BlindIndex(sa.types.TypeDecorator):
    """A keyed index of column ``source`` of the same row (kept by keep_blind_index)."""

    impl = sa.String(64)
    cache_ok = True

    def __init__(self, source: str, kind: str = "phone") -> None:
        super().__init__()
        self.source, self.kind = source, kind

    def compute(self, value: str | None, ring: Keyring | None = None) -> str | None:
        if not value:
            return None
        return (ring or keyring()).blind_index(NORMALISERS[self.kind](value))


def lookup(column, value: str) -> sa.ColumnElement[bool]:
    """The condition "this BlindIndex column matches value" under any loaded key."""
    index: BlindIndex = column.type
    return column.in_(keyring().blind_indexes(NORMALISERS[index.kind](value)))


def keep_blind_index(model: type, index_attr: str) -> None:
    """Recompute ``model.<index_attr>`` from its source column whenever a row is written."""
    index: BlindIndex = model.__table__.c[index_attr].type

    def _update(_mapper, _connection, target) -> None:
        setattr(target, index_attr, index.compute(getattr(target, index.source)))

    sa.event.listen(model, "before_insert", _update)
    sa.event.listen(model, "before_update", _update)


def encrypted_columns(metadata: sa.MetaData) -> list[sa.Column]:
    """Every EncryptedText column on the metadata (so tables added later are covered)."""
    return [c for t in metadata.sorted_tables for c in t.c if isinstance(c.type, EncryptedText)]


def index_columns(metadata: sa.MetaData) -> list[sa.Column]:
    return [c for t in metadata.sorted_tables for c in t.c if isinstance(c.type, BlindIndex)]
