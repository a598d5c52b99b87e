"""The signing key file: generated once (0600) outside production, never in production."""

from __future__ import annotations

import stat
import threading

import pytest
from cryptography.hazmat.primitives import serialization

from journey.credentials import keys


def test_key_is_generated_with_mode_0600_and_reused(tmp_path):
    path = tmp_path / "sub" / "key.pem"
    first = keys.load_or_create(path, may_create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    second = keys.load_or_create(path, may_create=True)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    assert first.public_key().public_bytes(*raw) == second.public_key().public_bytes(*raw)
    assert list(path.parent.iterdir()) == [path]  # no temporary files left behind


def test_racing_processes_end_up_with_one_key(tmp_path):
    path = tmp_path / "key.pem"
    found, barrier = [], threading.Barrier(8)

    def start():
        barrier.wait()
        found.append(keys.public_jwk(keys.load_or_create(path, may_create=True).public_key())["kid"])

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1 and len(found) == 8


def test_production_never_generates(tmp_path):
    with pytest.raises(keys.SigningKeyMissing):
        keys.load_or_create(tmp_path / "key.pem", may_create=False)
    assert not (tmp_path / "key.pem").exists()


def test_existing_key_is_used_even_in_production(tmp_path):
    path = tmp_path / "key.pem"
    made = keys.load_or_create(path, may_create=True)
    again = keys.load_or_create(path, may_create=False)
    assert keys.public_jwk(made.public_key()) == keys.public_jwk(again.public_key())


def test_jwk_thumbprint_follows_rfc_7638():
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert keys.thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    public = keys.public_key_from_jwk(jwk)
    assert keys.public_jwk(public)["kid"] == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_key_pair_is_cached_per_app(app):
    assert keys.key_pair(app) is keys.key_pair(app)


def test_registering_a_key_twice_keeps_one_row(app, db_session):
    from journey.credentials.models import SigningKey

    pair = keys.key_pair(app)
    with app.app_context():
        keys.register(db_session, pair)
        keys.register(db_session, pair)  # a second process doing the same: no error
    assert db_session.query(SigningKey).filter_by(kid=pair.kid).count() == 1
