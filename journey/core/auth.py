"""Users, API tokens, password hashing, login throttling and the current user of a request."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_request_context, request, session
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, select

from journey.core import audit
from journey.core.db import UTCDateTime, db, enum_check, utcnow
from journey.core.errors import TooManyRequests, Unauthorized
from journey.core.i18n import _
from journey.core.policy import OFFICE_ROLES, Role

logger = logging.getLogger(__name__)

# argon2id with the library's RFC 9106 "low memory" defaults.
_hasher = PasswordHasher()
_cheap_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
# A hash of a random password, verified against when the user does not exist, so that timing
# does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# The same for the cheapest profile, so that unknown usernames cost what known ones do there too.
_CHEAP_DUMMY_HASH = _cheap_hasher.hash(secrets.token_urlsafe(16))
TOKEN_PREFIX = "jrn_"  # noqa: S105  (a public prefix, not a secret)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        enum_check("role", Role),
        # Office staff belong to an office; employer users to an employer; partners to a provider.
        sa.CheckConstraint(
            "(role NOT IN ('supervisor', 'caseworker') OR office_id IS NOT NULL)"
            " AND (role != 'employer' OR employer_id IS NOT NULL)"
            " AND (role != 'partner' OR provider_id IS NOT NULL)",
            name="role_affiliation",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    full_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    role: str = Field(max_length=20)
    office_id: int | None = Field(default=None, foreign_key="offices.id", index=True)
    employer_id: int | None = Field(default=None, foreign_key="employers.id")
    provider_id: int | None = Field(default=None, foreign_key="service_providers.id")
    language: str = Field(default="en", max_length=16)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    # Only a SHA-256 of the secret is stored: tokens are 256-bit random, so a slow hash adds nothing.
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The signed cookie carries a random secret; only its SHA-256 is kept.

    Defined here, not in journey.accounts, because load_current_user reads it on every page;
    journey.accounts registers and declares it and holds the services that end sessions.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (
        sa.CheckConstraint("(ended_at IS NULL) = (ended_reason IS NULL)", name="ended_with_reason"),
        sa.CheckConstraint("awaiting IS NULL OR awaiting IN ('otp', 'otp-enrolment')",
                           name="awaiting_valid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Absolute end, whatever the activity; the idle timeout counts from last_seen_at.
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = Field(default=None, max_length=30)
    # Half logged in: the password was right and this second step is still owed. Such a session
    # signs no one in; it only lets the second-step pages know whose code to check.
    awaiting: str | None = Field(default=None, max_length=20)
    # The browser and system family ("Firefox, Linux"), so people recognise their sessions.
    # No address is stored.
    client: str | None = Field(default=None, max_length=40)


class LoginAttempt(SQLModel, table=True):
    """Failed logins, kept briefly to throttle guessing across every process sharing the database."""

    __tablename__ = "login_attempts"
    __table_args__ = (sa.Index("ix_login_attempts_key_at", "key", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # A keyed hash of the username or client address, never the value itself.
    key: str = Field(max_length=64)
    attempted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


def _password_hasher() -> PasswordHasher:
    # Tests ask for the cheapest parameters (PASSWORD_HASH_PROFILE=cheapest); the hash records
    # its own parameters, so verification works whichever profile made it.
    if current_app and current_app.config.get("PASSWORD_HASH_PROFILE") == "cheapest":
        return _cheap_hasher
    return _hasher


def hash_password(password: str) -> str:
    return _password_hasher().hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password in constant-ish time whether or not the user exists."""
    try:
        dummy = _CHEAP_DUMMY_HASH if _password_hasher() is _cheap_hasher else _DUMMY_HASH
        ok = _hasher.verify(user.password_hash if user else dummy, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(ok and user and user.is_active)


def validate_affiliation(role: str, office_id, employer_id, provider_id) -> list[dict[str, str]]:
    """Field errors when a role lacks (or wrongly has) the affiliation it needs."""
    errors = []
    r = Role(role)
    if r in OFFICE_ROLES and office_id is None:
        errors.append({"field": "office_id", "code": "required",
                       "message": _("Supervisors and caseworkers belong to an office.")})
    if r == Role.EMPLOYER and employer_id is None:
        errors.append({"field": "employer_id", "code": "required",
                       "message": _("Employer users belong to an employer.")})
    if r == Role.PARTNER and provider_id is None:
        errors.append({"field": "provider_id", "code": "required",
                       "message": _("Partner users belong to a service provider.")})
    return errors


# --- login throttling -------------------------------------------------------------------------
#
# Failures are counted per (username, client address) pair, never per username alone (anyone
# could lock `admin` out from anywhere) nor per address alone (made-up usernames from one office,
# or from behind one proxy, would lock the whole office out). From LOGIN_MAX_FAILURES failures in
# LOGIN_WINDOW_SECONDS on, the pair waits 2**failures seconds after its last failure, at most
# LOGIN_BACKOFF_MAX_SECONDS. The client address is request.remote_addr, which ProxyFix sets from
# X-Forwarded-For only for the JOURNEY_TRUSTED_PROXIES hops the app sits behind.

def _throttle_key(username: str, address: str | None = None) -> str:
    """A keyed hash of the (username, address) pair: neither is stored."""
    if address is None:
        address = request.remote_addr or "?"
    secret = current_app.config["SECRET_KEY"].encode()
    pair = f"pair:{username.strip().casefold()}\x00{address}"
    return hmac.new(secret, pair.encode(), hashlib.sha256).hexdigest()


def login_wait(sess: Session, key: str) -> int:
    """Seconds this pair must still wait before it may try again (0: it may)."""
    cfg = current_app.config
    now = utcnow()
    since = now - timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    count, last = sess.execute(
        select(sa.func.count(), sa.func.max(LoginAttempt.attempted_at))
        .where(LoginAttempt.key == key, LoginAttempt.attempted_at >= since)).one()
    if count < cfg["LOGIN_MAX_FAILURES"] or last is None:
        return 0
    delay = min(2 ** min(count, 30), cfg["LOGIN_BACKOFF_MAX_SECONDS"])
    return max(0, math.ceil((last + timedelta(seconds=delay) - now).total_seconds()))


def check_login_allowed(sess: Session, username: str) -> str:
    """Raise 429 while this username and client address pair is backing off; return its key."""
    key = _throttle_key(username)
    wait = login_wait(sess, key)
    if wait:
        raise TooManyRequests(_("Too many failed logins; try again later."),
                              headers={"Retry-After": str(wait)})
    return key


def _via() -> str:
    return "api" if request.path.startswith("/api/") else "page"


def record_login_failure(key: str, *, user_id: int | None, reason: str,
                         action: str = "accounts:login:fail", **details: str) -> None:
    """Store a failure and its audit event in their own transaction, so the caller's rollback
    keeps them. The audit names the account by id when it exists, never by the name typed."""
    with db.job_session() as s:
        now = utcnow()
        s.add(LoginAttempt(key=key, attempted_at=now))
        # Old rows are useless; trimming here keeps the table small without a separate job.
        cutoff = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"] * 2)
        s.execute(sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))
        audit.record(s, action, actor_id=user_id, object_type="user", object_id=user_id,
                     reason=reason, via=_via(), **details)


def login_succeeded(sess: Session, user: User, *, second_factor: bool = False) -> None:
    """Forget the pair's failures and audit the login (in the request's transaction)."""
    sess.execute(sa.delete(LoginAttempt).where(LoginAttempt.key == _throttle_key(user.username)))
    audit.record(sess, "accounts:login:succeed", actor_id=user.id, object_type="user",
                 object_id=user.id, via=_via(), second_factor=second_factor)


def second_factor(sess: Session, user: User) -> str | None:
    """What a right password still owes before the user is logged in ('otp', 'otp-enrolment'),
    as the app's second-factor hook (journey.accounts registers it) says; None without one."""
    hook = current_app.extensions.get("journey_second_factor")
    return hook(sess, user) if hook is not None else None


def authenticate(sess: Session, username: str, password: str) -> User:
    """Return the user for valid credentials, or raise 401/429.

    A right password is not yet a login: the caller calls login_succeeded once every factor is
    checked (until then the pair's failures are kept).
    """
    if "\x00" in username or "\x00" in password:  # no such user; PostgreSQL refuses NUL in text
        raise Unauthorized(_("Unknown username or wrong password."), code="invalid-credentials")
    key = check_login_allowed(sess, username)
    user = sess.scalar(select(User).where(sa.func.lower(User.username) == username.strip().lower()))
    if not verify_password(user, password):
        user_id = user.id if user is not None else None
        reason = "inactive" if user is not None and not user.is_active else "invalid-credentials"
        # End the request's transaction (it only read, and a 401 is never committed) before the
        # failure is written in its own: on SQLite every transaction holds the write lock, so
        # the second would wait for the first until busy_timeout.
        sess.rollback()
        record_login_failure(key, user_id=user_id, reason=reason)
        raise Unauthorized(_("Unknown username or wrong password."), code="invalid-credentials")
    if _password_hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


# --- API tokens --------------------------------------------------------------------------------

def token_digest(secret: str) -> str:
    """What is stored of a secret token: 256-bit random secrets need no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(sess: Session, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """Create a token; the plain secret is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user_id=user.id, name=name, token_hash=token_digest(secret),
                     created_at=now, expires_at=now + timedelta(days=days))
    sess.add(token)
    sess.flush()
    return token, secret


# The token and its user in one statement: every API request runs it.
_TOKEN_AND_USER = (
    select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("digest"))
)
_TOKEN_USED = (sa.update(ApiToken).where(ApiToken.id == sa.bindparam("token_id"))
               .values(last_used_at=sa.bindparam("now")))
_USED_EVERY = timedelta(minutes=5)


def user_for_token(sess: Session, secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = sess.execute(_TOKEN_AND_USER, {"digest": token_digest(secret)}).first()
    now = utcnow()
    if row is None:
        return None
    user, token_id, revoked_at, expires_at, last_used_at = row
    if revoked_at is not None or expires_at <= now or not user.is_active:
        return None
    # Throttled so a busy client does not turn every read into a write.
    if last_used_at is None or now - last_used_at > _USED_EVERY:
        sess.execute(_TOKEN_USED, {"token_id": token_id, "now": now},
                     execution_options={"synchronize_session": False})
    g.api_token_id = token_id
    return user


# --- server-side sessions ----------------------------------------------------------------------

# The last_seen_at write is skipped when the last one is this recent, so pages are not all writes;
# the idle timeout is therefore exact to within this much.
_SEEN_EVERY = timedelta(minutes=1)
_CLIENTS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
            ("curl/", "curl"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def client_family(user_agent: str) -> str | None:
    """'Firefox, Linux' from a User-Agent header: enough to recognise a session, no more
    (names only, no words, so it reads the same in every language)."""
    browser = next((name for mark, name in _CLIENTS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser}, {system}"
    return browser or system


def start_session(sess: Session, user: User, *, awaiting: str | None = None) -> tuple[UserSession, str]:
    """A new server-side session; the secret goes into the signed cookie and is never stored."""
    cfg = current_app.config
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    life = (timedelta(minutes=cfg["SESSION_SECOND_STEP_MINUTES"]) if awaiting
            else timedelta(hours=cfg["SESSION_MAX_HOURS"]))
    row = UserSession(user_id=user.id, secret_hash=token_digest(secret), created_at=now,
                      last_seen_at=now, expires_at=now + life, awaiting=awaiting,
                      client=client_family(request.user_agent.string or "")
                      if has_request_context() else None)
    sess.add(row)
    sess.flush()
    return row, secret


def live_session(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """The SQL condition for sessions that still sign someone in (or may finish doing so)."""
    now = now or utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return sa.and_(UserSession.ended_at.is_(None), UserSession.expires_at > now,
                   UserSession.last_seen_at > now - idle)


def session_for_secret(sess: Session, secret: object, *, awaiting: bool = False) -> UserSession | None:
    """The live session a cookie's secret belongs to; `awaiting` asks for a half-finished login."""
    if not isinstance(secret, str) or not secret or len(secret) > 100:
        return None
    now = utcnow()
    # The session and its user in one statement (load_current_user then finds the user in the
    # session's identity map).
    found = sess.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                         .where(UserSession.secret_hash == token_digest(secret),
                                live_session(now))).first()
    if found is None:
        return None
    row, user = found
    if (row.awaiting is not None) != awaiting or not user.is_active:
        return None
    if now - row.last_seen_at >= _SEEN_EVERY:
        row.last_seen_at = now
    return row


def end_session(row: UserSession, reason: str) -> bool:
    """End one session now; False when it had already ended."""
    if row.ended_at is not None:
        return False
    row.ended_at = utcnow()
    row.ended_reason = reason
    return True


def log_out(sess: Session, secret: object) -> None:
    """End the session a cookie names (a half-finished login too) and audit the logout."""
    row = session_for_secret(sess, secret) or session_for_secret(sess, secret, awaiting=True)
    if row is not None and end_session(row, "logout"):
        audit.record(sess, "accounts:session:logout", actor_id=row.user_id,
                     object_type="user_session", object_id=row.id)


def current_session_id() -> int | None:
    """The id of the server-side session behind this page request, if any."""
    return g.get("user_session_id")


# --- the current user --------------------------------------------------------------------------

def load_current_user(sess: Session) -> User | None:
    """The user behind this request: a Bearer token for the API, the session cookie for pages.

    The cookie only names a server-side session (UserSession): logging out, signing out
    everywhere, the idle timeout, the absolute lifetime and deactivation all end it at once.
    """
    if "user" in g:
        return g.user
    user = None
    if request.path.startswith("/api/"):
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() == "bearer" and secret:
            user = user_for_token(sess, secret.strip())
    else:
        row = session_for_secret(sess, session.get("sid"))
        if row is not None:
            user = sess.get(User, row.user_id)
            g.user_session_id = row.id
    g.user = user
    return user


def current_user(sess: Session | None = None) -> User:
    """The authenticated user (read through the request's session unless given one), or 401."""
    if sess is None:
        sess = db.session
    user = load_current_user(sess)
    if user is None:
        raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="journey"'})
    return user


def requires(permission: str):
    """Decorator: authenticate and check the role before the body is even parsed."""
    import functools

    from journey.core.db import db
    from journey.core.policy import require

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            require(current_user(db.session), permission)
            return view(*args, **kwargs)

        return wrapper

    return decorator
