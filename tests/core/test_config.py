"""Settings from the environment."""

from __future__ import annotations

import pytest

from journey.config import ConfigError, load_settings


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"JOURNEY_ENV": "production", "JOURNEY_INSTANCE_PATH": str(tmp_path)})


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    env = {"JOURNEY_INSTANCE_PATH": str(tmp_path)}
    first = load_settings(env)["SECRET_KEY"]
    assert len(first) == 64
    assert load_settings(env)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_defaults_and_overrides(tmp_path):
    s = load_settings({"JOURNEY_INSTANCE_PATH": str(tmp_path)})
    assert s["DATABASE_URL"] == f"sqlite:///{tmp_path / 'journey.sqlite3'}"
    assert s["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    s = load_settings({"JOURNEY_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                       "JOURNEY_PUBLIC_BASE_URL": "https://mrc.example.org/",
                       "JOURNEY_DEFAULT_LANGUAGE": "ne", "JOURNEY_DEFAULT_TIMEZONE": "Asia/Kathmandu"})
    assert s["PUBLIC_BASE_URL"] == "https://mrc.example.org"
    assert (s["DEFAULT_LANGUAGE"], s["DEFAULT_TIMEZONE"]) == ("ne", "Asia/Kathmandu")


@pytest.mark.parametrize("env, message", [
    ({"JOURNEY_DEFAULT_TIMEZONE": "Mars/Olympus"}, "IANA"),
    ({"JOURNEY_DEFAULT_LANGUAGE": "xx"}, "supported"),
    ({"JOURNEY_ENV": "staging"}, "JOURNEY_ENV"),
    ({"JOURNEY_PUBLIC_BASE_URL": "mrc.example.org"}, "http"),  # message links need the scheme
])
def test_bad_settings_are_refused(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"JOURNEY_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", **env})


@pytest.mark.parametrize("weak", ["x", "x" * 40, "abcd" * 10, "secret-key-secret-key-secret-key",
                                  "s3cr3t!" * 3])
def test_production_refuses_a_weak_secret_key(tmp_path, weak):
    """Finding 9 of issue #11: production accepted SECRET_KEY=x."""
    env = {"JOURNEY_ENV": "production", "JOURNEY_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": weak}
    with pytest.raises(ConfigError, match="SECRET_KEY is too weak") as refused:
        load_settings(env)
    assert "secrets.token_hex(32)" in str(refused.value)


def test_production_takes_a_generated_secret_key_and_development_any(tmp_path):
    import secrets

    strong = secrets.token_hex(32)
    env = {"JOURNEY_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": strong}
    try:
        assert load_settings({**env, "JOURNEY_ENV": "production"})["SECRET_KEY"] == strong
    except ConfigError as other:  # production may want more settings; none about this key
        assert "SECRET_KEY" not in str(other)
    assert load_settings({**env, "SECRET_KEY": "x"})["SECRET_KEY"] == "x"
