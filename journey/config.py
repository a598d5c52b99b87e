"""Settings, read once from the environment with explicit defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LANGUAGES = (
    "en", "fr", "es", "pt", "ar", "hi", "ne", "bn", "fil", "id", "am", "km", "th",
)
RTL_LANGUAGES = frozenset({"ar"})


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(instance: Path) -> str:
    # Generated once and kept, so sessions survive restarts in development.
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(env: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    environment = env.get("JOURNEY_ENV", "development").lower()
    if environment not in {"development", "production", "testing"}:
        raise ConfigError(f"JOURNEY_ENV must be development, production or testing, not {environment!r}")
    instance = Path(env.get("JOURNEY_INSTANCE_PATH", ROOT / "instance"))

    secret_key = env.get("SECRET_KEY")
    if not secret_key:
        if environment == "production":
            raise ConfigError("SECRET_KEY must be set in production")
        secret_key = _dev_secret_key(instance)

    default_tz = env.get("JOURNEY_DEFAULT_TIMEZONE", "UTC")
    try:
        ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"JOURNEY_DEFAULT_TIMEZONE {default_tz!r} is not an IANA time zone") from exc
    default_lang = env.get("JOURNEY_DEFAULT_LANGUAGE", "en")
    if default_lang not in SUPPORTED_LANGUAGES:
        raise ConfigError(f"JOURNEY_DEFAULT_LANGUAGE {default_lang!r} is not a supported language")

    return {
        "ENV_NAME": environment,
        "TESTING": environment == "testing",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret_key,
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{instance / 'journey.sqlite3'}"),
        "PUBLIC_BASE_URL": env.get("JOURNEY_PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "DEFAULT_LANGUAGE": default_lang,
        "DEFAULT_TIMEZONE": default_tz,
        "BABEL_DEFAULT_LOCALE": default_lang,
        "BABEL_DEFAULT_TIMEZONE": default_tz,
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "locales"),
        "MAX_CONTENT_LENGTH": int(env.get("JOURNEY_MAX_BODY_BYTES", 1024 * 1024)),
        "PERMIT_REMINDER_DAYS": [int(x) for x in env.get("JOURNEY_PERMIT_REMINDER_DAYS",
                                                          "90,30,7").split(",")],
        "TOKEN_DEFAULT_DAYS": int(env.get("JOURNEY_TOKEN_DAYS", 30)),
        "LOGIN_MAX_FAILURES": int(env.get("JOURNEY_LOGIN_MAX_FAILURES", 5)),
        "LOGIN_WINDOW_SECONDS": int(env.get("JOURNEY_LOGIN_WINDOW_SECONDS", 900)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("JOURNEY_SECURE_COOKIES"), environment == "production"),
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked explicitly for page forms; the API uses tokens
        # flask-smorest: the OpenAPI document is generated from the marshmallow schemas.
        "API_TITLE": "journey",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",
    }
