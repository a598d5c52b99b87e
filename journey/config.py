"""Settings, read once from the environment with explicit defaults."""

from __future__ import annotations

import base64
import binascii
import math
import os
import re
import secrets
from decimal import Decimal, InvalidOperation
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


# --- Encryption at rest (journey.core.crypto) -------------------------------------------------
def _parse_data_keys(spec: str, source: str) -> list[tuple[str, bytes]]:
    keys = []
    for part in filter(None, (p.strip() for p in re.split(r"[,\n]", spec))):
        kid, sep, b64 = part.partition(":")
        try:
            key = base64.b64decode(b64.strip(), validate=True) if sep else b""
        except binascii.Error:
            key = b""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", kid.strip()) or len(key) != 32:
            raise ConfigError(f"{source}: each key is 'id:base64 of 32 bytes' (the id 1-16 letters,"
                              " digits, - or _), e.g. k1:$(head -c32 /dev/urandom | base64)")
        keys.append((kid.strip(), key))
    return keys


def _data_keys(env: dict[str, str], environment: str, instance: Path) -> list[tuple[str, bytes]]:
    """The data keys, the current one first: JOURNEY_DATA_KEYS, else JOURNEY_DATA_KEY_FILE, else
    (outside production) a key file generated under instance/ with mode 0600."""
    if env.get("JOURNEY_DATA_KEYS"):
        return _parse_data_keys(env["JOURNEY_DATA_KEYS"], "JOURNEY_DATA_KEYS")
    path = Path(env.get("JOURNEY_DATA_KEY_FILE") or instance / "data-keys")
    if not path.exists():
        if environment == "production":
            raise ConfigError("production needs a data key: set JOURNEY_DATA_KEYS or "
                              "JOURNEY_DATA_KEY_FILE (see README, 'Encryption at rest')")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        line = f"k{secrets.randbelow(10**6):06d}:{key}\n"  # a random id: two dev files never clash
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(line)
    keys = _parse_data_keys(path.read_text(), str(path))
    if not keys:
        raise ConfigError(f"{path} holds no data key")
    return keys
# ---------------------------------------------------------------------------------------------


def _prices(spec: str) -> dict[str, Decimal]:
    prices = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        country, _, price = part.partition("=")
        try:
            prices[country.strip().upper()] = Decimal(price.strip())
        except InvalidOperation as exc:
            raise ConfigError(f"JOURNEY_SMS_PRICES: {part!r} is not COUNTRY=PRICE") from exc
    return prices


def _numbers(name: str, spec: str) -> dict[str, str]:
    """COUNTRY=NUMBER pairs, comma-separated ("QA=999,AE=999")."""
    numbers = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        country, _, number = part.partition("=")
        country, number = country.strip().upper(), number.strip()
        if not re.fullmatch(r"[A-Z]{2}", country) or not re.fullmatch(r"\+?[0-9][0-9 ]{1,19}",
                                                                       number):
            raise ConfigError(f"{name}: {part!r} is not COUNTRY=NUMBER")
        numbers[country] = number
    return numbers


# Emergency numbers by destination country, for messages and pages that cite one when the
# programme sets none (Programme.contacts). Only numbers that answer every emergency from a
# mobile phone; JOURNEY_EMERGENCY_NUMBERS adds or overrides ("QA=999,AE=999").
EMERGENCY_NUMBERS = {
    **dict.fromkeys("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE "
                    "SI SK IS LI NO CH".split(), "112"),
    "GB": "999", "US": "911", "CA": "911", "AU": "000", "NZ": "111",
}


# Retention: how many days each category of personal data is kept after a participant's case
# is closed (journey.privacy: the register shows them, the retention job applies them).
# JOURNEY_RETENTION_<CATEGORY>_DAYS overrides one; keys match journey.core.domains.Category.
RETENTION_DEFAULT_DAYS = {
    "identity": 6 * 365,  # as long as the programme's records must be kept for audit
    "contact": 365,  # a phone number is of no use once the case is closed
    "sensitive": 365,  # special categories and permits: the shortest that serves the case
    "case": 6 * 365,
    "message": 2 * 365,  # message texts; delivery counts stay in the reports
}


def _retention(env: dict[str, str]) -> dict[str, int]:
    out = {}
    for category, default in RETENTION_DEFAULT_DAYS.items():
        name = f"JOURNEY_RETENTION_{category.upper()}_DAYS"
        try:
            days = int(env.get(name, default))
        except ValueError as exc:
            raise ConfigError(f"{name} must be a whole number of days") from exc
        if days < 1:
            raise ConfigError(f"{name} must be at least 1 day")
        out[f"RETENTION_{category.upper()}_DAYS"] = days
    return out


GRIEVANCE_SEVERITIES = ("low", "medium", "high", "critical")


def _whole(env: dict[str, str], name: str, default: int, least: int = 1) -> int:
    try:
        value = int(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number") from exc
    if value < least:
        raise ConfigError(f"{name} must be at least {least}")
    return value


def _grievance_sla(env: dict[str, str]) -> dict:
    """Grievance SLAs (issue #14): acknowledgement and resolution in business days of the
    office; critical grievances in hours. JOURNEY_GRIEVANCE_RESOLVE_DAYS="low=20,medium=10,
    high=5" by severity; JOURNEY_GRIEVANCE_SLA="wages:high=3,housing=7" overrides the resolution
    days for a category (at one severity, or at every one but critical)."""
    resolve = {"low": 20, "medium": 10, "high": 5}
    for part in filter(None, (x.strip() for x in env.get("JOURNEY_GRIEVANCE_RESOLVE_DAYS",
                                                          "").split(","))):
        severity, _sep, days = part.partition("=")
        if severity.strip() not in resolve or not days.strip().isdigit() or int(days) < 1:
            raise ConfigError(f"JOURNEY_GRIEVANCE_RESOLVE_DAYS: {part!r} is not severity=days "
                              "(low, medium or high)")
        resolve[severity.strip()] = int(days)
    overrides: dict[str, dict[str, int]] = {}
    for part in filter(None, (x.strip() for x in env.get("JOURNEY_GRIEVANCE_SLA", "").split(","))):
        key, _sep, days = part.partition("=")
        category, _colon, severity = key.strip().partition(":")
        if (not re.fullmatch(r"[a-z_]{2,30}", category) or not days.strip().isdigit()
                or int(days) < 1 or (severity and severity not in resolve)):
            raise ConfigError(f"JOURNEY_GRIEVANCE_SLA: {part!r} is not category[:severity]=days")
        for sev in ([severity] if severity else list(resolve)):
            overrides.setdefault(category, {})[sev] = int(days)
    return {
        "GRIEVANCE_ACK_DAYS": _whole(env, "JOURNEY_GRIEVANCE_ACK_DAYS", 2),
        "GRIEVANCE_RESOLVE_DAYS": resolve,
        "GRIEVANCE_SLA_BY_CATEGORY": overrides,
        "GRIEVANCE_CRITICAL_HOURS": _whole(env, "JOURNEY_GRIEVANCE_CRITICAL_HOURS", 24),
        # A grievance counts as at risk when less than this share of its time is left.
        "GRIEVANCE_AT_RISK_SHARE": 0.25,
        # How long after the resolution the complainant may appeal.
        "GRIEVANCE_APPEAL_DAYS": _whole(env, "JOURNEY_GRIEVANCE_APPEAL_DAYS", 30),
        # How long a supervisor's break-the-glass opening of a restricted grievance lasts.
        "GRIEVANCE_BREAK_GLASS_HOURS": _whole(env, "JOURNEY_GRIEVANCE_BREAK_GLASS_HOURS", 8),
        # The office that handles anonymous complaints (web form, unknown SMS senders) when
        # the complainant does not choose one: its code, else the first office.
        "GRIEVANCE_DEFAULT_OFFICE": env.get("JOURNEY_GRIEVANCE_DEFAULT_OFFICE", ""),
        # The public complaint form and status page, per client address: complaints per window,
        # and unknown tracking codes per window (guessing), before a 429.
        "GRIEVANCE_PUBLIC_MAX_SUBMISSIONS": _whole(env, "JOURNEY_GRIEVANCE_PUBLIC_MAX_SUBMISSIONS", 5),
        "GRIEVANCE_PUBLIC_WINDOW_SECONDS": _whole(env, "JOURNEY_GRIEVANCE_PUBLIC_WINDOW_SECONDS", 3600),
        "GRIEVANCE_STATUS_MAX_FAILURES": _whole(env, "JOURNEY_GRIEVANCE_STATUS_MAX_FAILURES", 10),
        "GRIEVANCE_STATUS_WINDOW_SECONDS": _whole(env, "JOURNEY_GRIEVANCE_STATUS_WINDOW_SECONDS", 900),
        # Complaints by email: the mail provider's inbound webhook signs each raw message with
        # this secret (HMAC-SHA256). Unset: the email channel is off (404).
        "GRIEVANCE_EMAIL_SECRET": env.get("JOURNEY_GRIEVANCE_EMAIL_SECRET") or None,
    }


def _referral_deadlines(env: dict[str, str]) -> dict:
    """Referral deadlines (issue #16), in business days of the referring office unless a
    directory service sets its own: the partner answers within REFERRAL_RESPONSE_DAYS by urgency
    (an emergency within REFERRAL_EMERGENCY_HOURS hours) and completes within
    REFERRAL_COMPLETION_DAYS of accepting. JOURNEY_REFERRAL_RESPONSE_DAYS="routine=5,urgent=2"."""
    response = {"routine": 5, "urgent": 2}
    for part in filter(None, (x.strip() for x in env.get("JOURNEY_REFERRAL_RESPONSE_DAYS",
                                                          "").split(","))):
        urgency, _sep, days = part.partition("=")
        if urgency.strip() not in response or not days.strip().isdigit() or int(days) < 1:
            raise ConfigError(f"JOURNEY_REFERRAL_RESPONSE_DAYS: {part!r} is not urgency=days "
                              "(routine or urgent)")
        response[urgency.strip()] = int(days)
    return {
        "REFERRAL_RESPONSE_DAYS": response,
        "REFERRAL_EMERGENCY_HOURS": _whole(env, "JOURNEY_REFERRAL_EMERGENCY_HOURS", 4),
        "REFERRAL_COMPLETION_DAYS": _whole(env, "JOURNEY_REFERRAL_COMPLETION_DAYS", 20),
        # Directory entries not confirmed for this long are flagged as stale.
        "DIRECTORY_STALE_DAYS": _whole(env, "JOURNEY_DIRECTORY_STALE_DAYS", 180),
        # How long a partner's signed link works.
        "REFERRAL_LINK_DAYS": _whole(env, "JOURNEY_REFERRAL_LINK_DAYS", 14),
    }


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
    elif environment == "production":
        # Sessions and CSRF tokens are signed with it: a short or repetitive key can be guessed.
        # Estimated entropy: its length times the Shannon entropy of its characters' frequencies
        # ('x' * 40 has none; secrets.token_hex(32) about 250 bits).
        counts = [secret_key.count(c) for c in set(secret_key)]
        bits = -sum(n * math.log2(n / len(secret_key)) for n in counts)
        if len(secret_key) < 32 or bits < 96:
            raise ConfigError(
                "SECRET_KEY is too weak for production (at least 32 random characters); generate "
                "one with: python -c 'import secrets; print(secrets.token_hex(32))'")

    default_tz = env.get("JOURNEY_DEFAULT_TIMEZONE", "UTC")
    try:
        ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"JOURNEY_DEFAULT_TIMEZONE {default_tz!r} is not an IANA time zone") from exc
    default_lang = env.get("JOURNEY_DEFAULT_LANGUAGE", "en")
    if default_lang not in SUPPORTED_LANGUAGES:
        raise ConfigError(f"JOURNEY_DEFAULT_LANGUAGE {default_lang!r} is not a supported language")
    public_url = env.get("JOURNEY_PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    if not re.fullmatch(r"https?://\S+", public_url):  # links in messages are built on it
        raise ConfigError(f"JOURNEY_PUBLIC_BASE_URL {public_url!r} is not an http(s) URL")

    return {
        "ENV_NAME": environment,
        "TESTING": environment == "testing",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret_key,
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{instance / 'journey.sqlite3'}"),
        "PUBLIC_BASE_URL": public_url,
        # Encryption at rest: data keys (current first) and the rotation's batch size.
        "DATA_KEYS": _data_keys(env, environment, instance),
        "KEY_ROTATION_BATCH": int(env.get("JOURNEY_KEY_ROTATION_BATCH", 500)),
        # Credentials are signed with this Ed25519 key (PKCS#8 PEM). Outside production a key is
        # generated here on first use; production refuses to issue without one.
        "CREDENTIAL_KEY_FILE": env.get("JOURNEY_CREDENTIAL_KEY_FILE",
                                       str(instance / "credential-signing-key.pem")),
        "CREDENTIAL_VALID_DAYS": int(env.get("JOURNEY_CREDENTIAL_VALID_DAYS", 3 * 365)),
        "SHARE_LINK_MAX_DAYS": int(env.get("JOURNEY_SHARE_LINK_MAX_DAYS", 90)),
        "SKILL_FORM_LINK_DAYS": int(env.get("JOURNEY_SKILL_FORM_LINK_DAYS", 14)),
        "PASSWORD_RESET_HOURS": int(env.get("JOURNEY_PASSWORD_RESET_HOURS", 24)),
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
        "LOGIN_WINDOW_SECONDS": int(env.get("JOURNEY_LOGIN_WINDOW_SECONDS", 3600)),
        # Sessions, login throttling and the second factor (issue #11). The session cookie only
        # names a server-side session (journey.core.auth.UserSession), which these end.
        "SESSION_IDLE_MINUTES": int(env.get("JOURNEY_SESSION_IDLE_MINUTES", 30)),
        "SESSION_MAX_HOURS": int(env.get("JOURNEY_SESSION_MAX_HOURS", 12)),
        "SESSION_SECOND_STEP_MINUTES": int(env.get("JOURNEY_SESSION_SECOND_STEP_MINUTES", 10)),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (ProxyFix);
        # 0 trusts none, so a client cannot pick the address its failed logins are counted under.
        "TRUSTED_PROXIES": int(env.get("JOURNEY_TRUSTED_PROXIES", 0)),
        # Failed logins are counted per (username, client address): from LOGIN_MAX_FAILURES on,
        # the pair waits 2**failures seconds, at most this long.
        "LOGIN_BACKOFF_MAX_SECONDS": int(env.get("JOURNEY_LOGIN_BACKOFF_MAX_SECONDS", 900)),
        "TOTP_ISSUER": env.get("JOURNEY_TOTP_ISSUER", "journey"),
        # Registrations (or edits) per user and hour that may match a record outside their scope.
        "DUPLICATE_ELSEWHERE_PER_HOUR": int(env.get("JOURNEY_DUPLICATE_ELSEWHERE_PER_HOUR", 10)),
        # `journey audit verify` reports an audit event still unsealed this long after it was recorded.
        "AUDIT_UNSEALED_GRACE_SECONDS": int(env.get("JOURNEY_AUDIT_UNSEALED_GRACE_SECONDS", 600)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("JOURNEY_SECURE_COOKIES"), environment == "production"),
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked explicitly for page forms; the API uses tokens
        # Messages. Without Twilio or SMTP settings, SMS and email go to files under instance/.
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID"),
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER"),
        "TWILIO_API_BASE": env.get("TWILIO_API_BASE"),  # tests point the SDK at a fake
        "SMTP_HOST": env.get("SMTP_HOST"),
        "SMTP_PORT": int(env.get("SMTP_PORT", 587)),
        "SMTP_SECURITY": env.get("SMTP_SECURITY", "starttls"),
        "SMTP_USERNAME": env.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD"),
        "MAIL_FROM": env.get("JOURNEY_MAIL_FROM", "journey@localhost"),
        "CENTRE_NAME": env.get("JOURNEY_CENTRE_NAME", "the Migrant Resource Centre"),
        "HELPLINE": env.get("JOURNEY_HELPLINE", "+977 1 4000000"),
        # What a message or page cites for a participant whose programme sets no numbers of its
        # own (Programme.contacts), by destination country: a helpline there (none by default:
        # JOURNEY_HELPLINES="PT=+351 808 257 257"), else HELPLINE; an emergency number, else
        # EMERGENCY_NUMBER (112 reaches emergency services from a GSM phone almost everywhere).
        "HELPLINES": _numbers("JOURNEY_HELPLINES", env.get("JOURNEY_HELPLINES", "")),
        "EMERGENCY_NUMBERS": {**EMERGENCY_NUMBERS, **_numbers(
            "JOURNEY_EMERGENCY_NUMBERS", env.get("JOURNEY_EMERGENCY_NUMBERS", ""))},
        "EMERGENCY_NUMBER": env.get("JOURNEY_EMERGENCY_NUMBER", "112"),
        "QUIET_HOURS": env.get("JOURNEY_QUIET_HOURS", "21:00-08:00"),
        # Sends per second per channel, for all workers together (0: no limit).
        "SMS_RATE_PER_SECOND": float(env.get("JOURNEY_SMS_RATE", 10)),
        "EMAIL_RATE_PER_SECOND": float(env.get("JOURNEY_EMAIL_RATE", 5)),
        "OUTBOX_MAX_ATTEMPTS": int(env.get("JOURNEY_OUTBOX_MAX_ATTEMPTS", 5)),
        "OUTBOX_BACKOFF_SECONDS": int(env.get("JOURNEY_OUTBOX_BACKOFF_SECONDS", 30)),
        # A message left `sending` (its worker died during the provider call) this long is marked
        # failed, outcome unknown: the provider may have sent it, so it is never sent again.
        "OUTBOX_LEASE_SECONDS": int(env.get("JOURNEY_OUTBOX_LEASE_SECONDS", 300)),
        # How long a worker holds the due messages it leased before sending them; a message a
        # dead worker never tried is due again after this (notifications.dispatcher).
        "OUTBOX_CLAIM_SECONDS": int(env.get("JOURNEY_OUTBOX_CLAIM_SECONDS", 60)),
        # Provider calls each worker makes at once (a thread each). Twilio answers in 100-300 ms,
        # so 32 lets one worker send 100-300 messages/s when the rate allows; the rates above
        # are shared by all workers through the database, whatever this is.
        "OUTBOX_CONCURRENCY": int(env.get("JOURNEY_OUTBOX_CONCURRENCY", 32)),
        # Price of one SMS segment per destination country, e.g. "NP=0.11,PT=0.045".
        "SMS_PRICES": _prices(env.get("JOURNEY_SMS_PRICES", "NP=0.1100,PT=0.0450,IN=0.0083")),
        "SMS_DEFAULT_PRICE": Decimal(env.get("JOURNEY_SMS_DEFAULT_PRICE", "0.0800")),
        # Reconciliation (`journey worker reconcile`): how long after a message became
        # outcome-unknown the provider may still send it (Twilio's default validity period is 4 h),
        # and until when after queuing a message found not sent is resent rather than left failed.
        "RECONCILE_WINDOW_SECONDS": int(env.get("JOURNEY_RECONCILE_WINDOW_SECONDS", 14400)),
        "RECONCILE_RESEND_WITHIN_HOURS": int(env.get("JOURNEY_RECONCILE_RESEND_WITHIN_HOURS", 48)),
        # flask-smorest: the OpenAPI document is generated from the marshmallow schemas.
        "API_TITLE": "journey",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",
        **_retention(env),
        **_grievance_sla(env),
        **_referral_deadlines(env),
    }
