"""SMS senders: Twilio through its official SDK, and a console backend for development.

Both implement ``notifications.channels.SmsSender``. Logs carry our message id, Twilio's SID and
error codes only: never the phone number or the body.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from notifications import segments
from notifications.channels import LookupFailed, SendResult, SentRecord, SmsMessage

logger = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"

# Twilio error codes (https://www.twilio.com/docs/api/errors) that say something about the recipient.
OPTED_OUT = 21610  # the recipient replied STOP; sending again before START is refused
INVALID_NUMBER = 21211  # "To" is not a valid phone number
NOT_MOBILE = 21614  # "To" is not a mobile number (a landline cannot receive SMS)

# Twilio's error messages quote the "To" number ("The 'To' number +1... is not valid"); the result is
# stored and may be logged by the caller, so anything that looks like a phone number is masked.
_NUMBER_LIKE = re.compile(r"\+?\d[\d ().-]{4,}\d")


def _scrub(text: str | None) -> str | None:
    return _NUMBER_LIKE.sub("<number>", text) if text else text


class _RebasedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, with every request's scheme and host replaced by ``api_base``.

    Only the address changes, so the SDK's auth, headers and form encoding are what a test's fake
    Twilio receives. Environment proxies are ignored: ``api_base`` is a direct address (a loopback
    fake), and a proxy setting must not route it elsewhere.
    """

    def __init__(self, api_base: str, timeout: float | None) -> None:
        super().__init__(timeout=timeout)
        base = urlsplit(api_base)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError("api_base must be an absolute http(s) URL")
        self._base = base
        if self.session is not None:
            self.session.trust_env = False

    def rebase(self, url: str) -> str:
        """``url`` with the scheme and host of ``api_base`` (and its path, if any, as a prefix)."""
        parts = urlsplit(url)
        path = self._base.path.rstrip("/") + parts.path
        return urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, parts.fragment))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, self.rebase(url), *args, **kwargs)


def _close(client: Client) -> None:
    session = getattr(client.http_client, "session", None)
    if session is not None:
        session.close()


class TwilioSmsSender:
    """Sends SMS with the Twilio REST API, asking for status callbacks that carry our message id."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        messaging_service_sid: str | None = None,
        from_number: str | None = None,
        status_callback_base: str,
        api_base: str | None = None,
        timeout: float = 10,
    ) -> None:
        if not (messaging_service_sid or from_number):
            raise ValueError("TwilioSmsSender needs a messaging_service_sid or a from_number")
        self.messaging_service_sid = messaging_service_sid
        self.from_number = from_number
        self.status_callback_base = status_callback_base.rstrip("/")
        self._credentials = (account_sid, auth_token)
        self._api_base = api_base
        self._timeout = timeout
        # The SDK's HTTP client keeps each request's response on itself before returning it, so
        # two threads sharing one can get each other's answer: every thread gets its own client
        # (the dispatcher sends from a pool of threads).
        self._local = threading.local()
        self._clients: list[tuple[threading.Thread, Client]] = []
        self._clients_lock = threading.Lock()
        self.client  # noqa: B018 -- built now, so a bad api_base fails here, not at the first send

    @property
    def client(self) -> Client:
        """This thread's Twilio client."""
        client = getattr(self._local, "client", None)
        if client is None:
            http_client = (_RebasedHttpClient(self._api_base, self._timeout) if self._api_base
                           else TwilioHttpClient(timeout=self._timeout))
            client = self._local.client = Client(*self._credentials, http_client=http_client)
            client.messages  # noqa: B018 -- the SDK imports its API modules on first use: now
            with self._clients_lock:
                # Threads come and go (a pool per dispatcher run): close the clients of those gone.
                gone = [c for t, c in self._clients if not t.is_alive()]
                self._clients = [(t, c) for t, c in self._clients if t.is_alive()]
                self._clients.append((threading.current_thread(), client))
            for old in gone:
                _close(old)
        return client

    def status_callback_url(self, message_id: int) -> str:
        """The public URL Twilio posts this message's status changes to (and signs)."""
        return f"{self.status_callback_base}{STATUS_CALLBACK_PATH}?mid={message_id}"

    def send(self, message: SmsMessage) -> SendResult:
        """Hands one message to Twilio; a refusal or an unreachable API comes back as a result."""
        # Only the sender fields configured are passed: unset ones must not reach the form at all.
        sender: dict[str, str] = {}
        if self.messaging_service_sid:
            sender["messaging_service_sid"] = self.messaging_service_sid
        if self.from_number:
            sender["from_"] = self.from_number
        try:
            created = self.client.messages.create(
                to=message.to,
                body=message.body,
                status_callback=self.status_callback_url(message.message_id),
                **sender,
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            return self._refused(message, exc)
        except requests.ConnectTimeout:
            # Never connected, so nothing was sent: safe to try again.
            logger.warning("sms to twilio could not connect message id=%s", message.message_id)
            return SendResult(ok=False, error_code="connection-error",
                              error_message="Twilio API unreachable (ConnectTimeout)", retryable=True)
        except requests.Timeout:
            # Twilio may have accepted it before the answer timed out. Retrying could send it
            # twice, so the outcome is left for a person to check (the outbox promises once).
            logger.warning("sms to twilio timed out message id=%s", message.message_id)
            return SendResult(ok=False, error_code="timeout", error_message="Twilio API timed out",
                              retryable=False)
        except requests.RequestException as exc:
            logger.warning("sms to twilio not connected message id=%s error=%s",
                           message.message_id, type(exc).__name__)
            return SendResult(ok=False, error_code="connection-error",
                              error_message=f"Twilio API unreachable ({type(exc).__name__})", retryable=True)
        logger.info("sms accepted by twilio message id=%s sid=%s status=%s",
                    message.message_id, created.sid, created.status)
        return SendResult(ok=True, provider_id=created.sid, status=str(created.status or "queued"))

    def find_sent(self, to: str, after: datetime, before: datetime, *,
                  limit: int = 100) -> list[SentRecord]:
        """The messages Twilio sent to ``to`` between ``after`` and ``before`` (its Messages list,
        newest first). Twilio's list does not carry the status callback URL, so records have no
        message id: callers match on the body."""
        try:
            found = self.client.messages.list(to=to, date_sent_after=after.astimezone(UTC),
                                              date_sent_before=before.astimezone(UTC), limit=limit)
        except TwilioRestException as exc:
            code = str(exc.code if exc.code is not None else exc.status)
            transient = exc.status == 429 or exc.status >= 500
            logger.warning("twilio messages list refused http=%s code=%s", exc.status, code)
            raise LookupFailed(code, transient=transient) from None
        except TwilioException as exc:
            # A page the SDK could not read: Twilio answered with an error status.
            status = getattr(exc.args[1], "status_code", None) if len(exc.args) > 1 else None
            logger.warning("twilio messages list failed http=%s", status)
            raise LookupFailed(f"http-{status}" if status else "provider-error",
                               transient=status is None or status == 429 or status >= 500) from None
        except requests.RequestException as exc:
            logger.warning("twilio messages list not connected error=%s", type(exc).__name__)
            raise LookupFailed("connection-error") from None
        return [SentRecord(provider_id=m.sid, status=str(m.status or ""), body=m.body,
                           sent_at=m.date_sent,
                           error_code=str(m.error_code) if m.error_code else None)
                for m in found]

    def close(self) -> None:
        """Closes the pooled HTTP connections (every thread's)."""
        with self._clients_lock:
            clients, self._clients = self._clients, []
        self._local = threading.local()
        for _thread, client in clients:
            _close(client)

    def _refused(self, message: SmsMessage, exc: TwilioRestException | TwilioServiceException) -> SendResult:
        status = exc.status
        code = exc.code if exc.code is not None else status
        text = exc.msg if isinstance(exc, TwilioRestException) else (exc.detail or exc.title)
        opted_out = code == OPTED_OUT
        invalid = code in (INVALID_NUMBER, NOT_MOBILE)
        retryable = not (opted_out or invalid) and (status == 429 or status >= 500)
        logger.warning("sms refused by twilio message id=%s http=%s code=%s retryable=%s",
                       message.message_id, status, code, retryable)
        return SendResult(
            ok=False,
            error_code=str(code),
            error_message=_scrub(text),
            retryable=retryable,
            opted_out=opted_out,
            invalid_number=invalid,
        )


class ConsoleSmsSender:
    """Development backend: appends each message as one JSON line to a file instead of sending it.

    The file holds the number and body in clear (it is the developer's own machine, and reading the
    text is the point); the log line does not.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else Path("instance") / "outbox-sms.log"
        self._lock = threading.Lock()
        self._sent = 0

    def send(self, message: SmsMessage) -> SendResult:
        """Writes the message to the file and reports it sent."""
        info = segments.count(message.body)
        with self._lock:
            self._sent += 1
            provider_id = f"console-{self._sent}"
            line = {
                "provider_id": provider_id,
                "message_id": message.message_id,
                "to": message.to,
                "body": message.body,
                "encoding": info.encoding,
                "segments": info.segments,
                "at": datetime.now(UTC).isoformat(),
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Numbers and texts in clear: readable by the owner only (0600), even a file an older
            # version left world-readable.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        logger.info("sms to participant message id=%s segments=%d encoding=%s written to %s",
                    message.message_id, info.segments, info.encoding, self.path)
        return SendResult(ok=True, provider_id=provider_id, status="sent")

    def find_sent(self, to: str, after: datetime, before: datetime, *,
                  limit: int = 100) -> list[SentRecord]:
        """The messages this backend wrote for ``to`` between ``after`` and ``before``, newest
        first, each with our message id (the file records it)."""
        with self._lock:
            lines = (self.path.read_text(encoding="utf-8").splitlines()
                     if self.path.exists() else [])
        found = []
        for line in lines:
            try:
                entry = json.loads(line)
                at = datetime.fromisoformat(entry["at"])
            except (ValueError, KeyError, TypeError):
                continue
            if entry.get("to") == to and after <= at <= before:
                found.append(SentRecord(provider_id=str(entry.get("provider_id") or ""),
                                        status="sent", body=entry.get("body"), sent_at=at,
                                        message_id=entry.get("message_id")))
        found.reverse()
        return found[:limit]

    def purge(self, message_ids: set[int]) -> int:
        """Drop the lines of these messages from the file (erasure); returns how many went."""
        with self._lock:
            if not message_ids or not self.path.exists():
                return 0
            kept, dropped = [], 0
            for line in self.path.read_text(encoding="utf-8").splitlines(keepends=True):
                try:
                    mid = json.loads(line).get("message_id")
                except (ValueError, AttributeError):
                    mid = None
                if mid in message_ids:
                    dropped += 1
                else:
                    kept.append(line)
            if dropped:
                # Written aside and renamed: a reader never sees half a file.
                partial = self.path.with_name(self.path.name + ".part")
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.fchmod(fd, 0o600)  # owner-only, like the file it replaces
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write("".join(kept))
                os.replace(partial, self.path)
        return dropped


def validate_twilio_signature(
    auth_token: str, url: str, params: Mapping[str, Any], signature: str | None
) -> bool:
    """True when ``signature`` (the X-Twilio-Signature header) signs ``url`` and the POSTed ``params``.

    ``url`` must be the exact public URL Twilio called, query string included (``?mid=...``): behind a
    proxy that is the configured public base, not what the app sees.
    """
    if not signature or not auth_token:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


class _ScrubNumbers(logging.Filter):
    """The Twilio SDK logs each request's URL and query at INFO: a Messages list query carries
    the number asked about (``To=%2B…``). Its lines are kept, with anything number-like masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = _scrub(record.getMessage()), ()
        return True


logging.getLogger("twilio.http_client").addFilter(_ScrubNumbers())
