"""Encryption at rest (journey.core.crypto): the cipher, the keys from settings, the column types."""

from __future__ import annotations

import base64
import os
import secrets

import pytest
import sqlalchemy as sa

from journey.config import ConfigError, load_settings
from journey.core import crypto
from journey.core.crypto import CryptoError, EncryptedText, Keyring

K1 = ("k1", b"1" * 32)
K2 = ("k2", b"2" * 32)


def test_round_trip_with_the_key_id_in_the_value():
    ring = Keyring([K1])
    token = ring.encrypt("+9779812345678", "participants.phone")
    assert token.startswith("j1.k1.") and "9812345678" not in token
    assert crypto.key_id(token) == "k1"
    assert ring.decrypt(token, "participants.phone") == "+9779812345678"
    # A fresh nonce each time: equal values do not give equal ciphertexts.
    assert ring.encrypt("+9779812345678", "participants.phone") != token


def test_a_value_moved_to_another_column_does_not_decrypt():
    ring = Keyring([K1])
    token = ring.encrypt("WP-123456", "permits.number")
    with pytest.raises(CryptoError, match="participants.notes.*failed authentication"):
        ring.decrypt(token, "participants.notes")


def test_a_wrong_key_gives_a_clear_error():
    token = Keyring([K1]).encrypt("disability details", "participants.disability_details")
    with pytest.raises(CryptoError, match="failed authentication.*wrong key"):
        Keyring([("k1", b"9" * 32)]).decrypt(token, "participants.disability_details")
    with pytest.raises(CryptoError, match="data key 'k1', which is not loaded"):
        Keyring([K2]).decrypt(token, "participants.disability_details")
    with pytest.raises(CryptoError, match="not encrypted"):
        Keyring([K2]).decrypt("plain text", "participants.notes")


def test_old_keys_still_decrypt_and_the_first_key_encrypts():
    old = Keyring([K1]).encrypt("x", "t.c")
    ring = Keyring([K2, K1])
    assert ring.decrypt(old, "t.c") == "x"
    assert crypto.key_id(ring.encrypt("x", "t.c")) == "k2"


def test_blind_index_is_keyed_and_per_key():
    ring = Keyring([K2, K1])
    phone = crypto.normalise_phone("+977 981-234 5678")
    assert phone == "+9779812345678"
    index = ring.blind_index(phone)
    assert index.startswith("k2:") and len(index) == 35 and "9812345678" not in index
    assert ring.blind_indexes(phone) == [index, Keyring([K1]).blind_index(phone)]
    assert Keyring([("k2", b"3" * 32)]).blind_index(phone) != index  # keyed, not a plain hash


def test_an_encrypted_column_cannot_be_compared_in_sql():
    t = sa.table("t", sa.column("secret", EncryptedText("t.secret")))
    with pytest.raises(TypeError, match="blind index"):
        _ = t.c.secret == "x"
    t.c.secret.is_(None)  # IS NULL still works


def test_every_encrypted_column_is_bound_to_its_own_name():
    import journey.models  # noqa: F401
    from journey.core.db import metadata

    columns = crypto.encrypted_columns(metadata)
    assert {f"{c.table.name}.{c.name}" for c in columns} >= {
        "participants.gender_identity", "participants.sex_self_described",
        "participants.disability_details", "participants.notes", "participants.phone",
        "participants.email", "permits.number"}
    for c in columns:
        assert c.type.context == f"{c.table.name}.{c.name}"
    for c in crypto.index_columns(metadata):
        assert c.type.source in c.table.c


# -- settings --------------------------------------------------------------------------------------


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_production_refuses_to_start_without_a_data_key(tmp_path):
    strong = secrets.token_hex(32)
    with pytest.raises(ConfigError, match="JOURNEY_DATA_KEYS"):
        load_settings({"JOURNEY_ENV": "production", "SECRET_KEY": strong,
                       "JOURNEY_INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "data-keys").exists()
    s = load_settings({"JOURNEY_ENV": "production", "SECRET_KEY": strong,
                       "JOURNEY_INSTANCE_PATH": str(tmp_path), "JOURNEY_DATA_KEYS": f"p1:{_key()}"})
    assert [kid for kid, _k in s["DATA_KEYS"]] == ["p1"]


def test_development_generates_and_keeps_a_key_file_0600(tmp_path):
    env = {"JOURNEY_INSTANCE_PATH": str(tmp_path)}
    first = load_settings(env)["DATA_KEYS"]
    assert load_settings(env)["DATA_KEYS"] == first and len(first[0][1]) == 32
    assert (tmp_path / "data-keys").stat().st_mode & 0o777 == 0o600


def test_keys_from_a_file_current_first(tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"new:{_key()}\nold:{_key()}\n")
    s = load_settings({"JOURNEY_INSTANCE_PATH": str(tmp_path), "JOURNEY_DATA_KEY_FILE": str(path)})
    assert [kid for kid, _k in s["DATA_KEYS"]] == ["new", "old"]
    assert Keyring(s["DATA_KEYS"]).current == "new"


@pytest.mark.parametrize("spec", ["k1", f"k1:{base64.b64encode(b'short').decode()}", "k1:***",
                                  f"bad id:{base64.b64encode(b'x' * 32).decode()}"])
def test_malformed_keys_are_refused(tmp_path, spec):
    with pytest.raises(ConfigError, match="JOURNEY_DATA_KEYS"):
        load_settings({"JOURNEY_INSTANCE_PATH": str(tmp_path), "JOURNEY_DATA_KEYS": spec})
