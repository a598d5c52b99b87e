"""Email over SMTP, and a file backend for development: both implement ``EmailSender``.

Only ids and SMTP codes are logged: addresses and bodies are personal data.
"""

from __future__ import annotations

import email.message
import email.policy
import email.utils
import logging
import os
import re
import secrets
import smtplib
import ssl
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Literal

from notifications.channels import EmailMessage, SendResult

logger = logging.getLogger(__name__)

Security = Literal["none", "starttls", "ssl"]

# 7bit: non-ASCII bodies go out as base64 or quoted-printable, so the message survives relays that do not
# speak 8BITMIME (smtplib never asks for BODY=8BITMIME unless an address itself is non-ASCII).
_POLICY = email.policy.default.clone(cte_type="7bit")

# Headers build_mime owns: letting message.headers set them would duplicate or contradict them.
_RESERVED_HEADERS = frozenset(
    {
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding", "content-language",
    }
)

_ADDRESS = re.compile(r"[^\s<>\"'@]+@[^\s<>\"']+")

_HTML_DOCUMENT = """\
<!DOCTYPE html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body style="direction: {dir}; text-align: {align};">
<div lang="{lang}" dir="{dir}">
{body}
</div>
</body>
</html>
"""


def build_mime(message: EmailMessage, *, sender: str) -> email.message.EmailMessage:
    """The multipart/alternative MIME message for ``message``, from ``sender``."""
    direction = "rtl" if message.rtl else "ltr"
    body = message.html
    if not body.strip():
        # Clients prefer the HTML alternative, so an empty one would show a blank email; the escaped
        # text keeps the lang and dir that plain text cannot carry.
        body = f'<div style="white-space: pre-wrap;">{escape(message.text)}</div>'
    lang = escape(message.language, quote=True)
    html = _HTML_DOCUMENT.format(
        lang=lang,
        dir=direction,
        align="right" if message.rtl else "left",
        title=escape(message.subject),
        # The caller's HTML is already safe (rendered by an autoescaping template): wrap, never escape.
        body=body,
    )

    mime = email.message.EmailMessage(policy=_POLICY)
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.formatdate(usegmt=True)
    # Not email.utils.make_msgid: its ids are long enough to be folded onto a second line, which some
    # software mishandles, and without a domain it asks socket.getfqdn(), which may query DNS.
    mime["Message-ID"] = f"<journey.{message.message_id}.{secrets.token_hex(8)}@{_domain_of(sender)}>"
    mime.set_content(message.text, subtype="plain", charset="utf-8")
    # Clients show the last alternative they can render, so HTML goes after the plain text.
    mime.add_alternative(html, subtype="html", charset="utf-8")
    # Only now: set_content and add_alternative drop or move every Content-* header set before them.
    mime["Content-Language"] = message.language
    for name, value in message.headers.items():
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"header {name!r} is set by build_mime and cannot be overridden")
        mime[name] = value
    return mime


def _domain_of(sender: str) -> str:
    _, address = email.utils.parseaddr(sender)
    _, _, domain = address.rpartition("@")
    return domain or "localhost"


def _redact(text: str) -> str:
    """A server's reply text, without the addresses servers like to echo back, kept short."""
    return _ADDRESS.sub("[address]", text)[:300]


class _MimeSender:
    """What both senders do first: build the MIME message, and refuse one that cannot be built."""

    sender: str
    done = "sent"  # for the log line: "email <id> not sent: ..."

    def send(self, message: EmailMessage) -> SendResult:
        try:
            mime = build_mime(message, sender=self.sender)
        except ValueError:
            logger.warning("email %s not %s: the message cannot be built", message.message_id,
                           self.done)
            return SendResult(ok=False, error_code="invalid-message", retryable=False)
        return self._send(message, mime)

    def _send(self, message: EmailMessage, mime: email.message.EmailMessage) -> SendResult:
        raise NotImplementedError


class SmtpEmailSender(_MimeSender):
    """Sends through an SMTP server (plain, STARTTLS or implicit TLS), logging in when configured."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Security,
        username: str | None = None,
        password: str | None = None,
        sender: str,
        timeout: float = 10,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"unknown SMTP security {security!r}")
        if (username is None) != (password is None):
            raise ValueError("SMTP username and password are set together or not at all")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.sender = sender
        self.timeout = timeout
        self.local_hostname = local_hostname
        if ssl_context is None and security != "none":
            # smtplib's own default for STARTTLS and SMTP_SSL verifies nothing; this one checks the
            # certificate chain and the host name.
            ssl_context = ssl.create_default_context()
        self.ssl_context = ssl_context

    def _send(self, message: EmailMessage, mime: email.message.EmailMessage) -> SendResult:
        """Sends one message; a refusal or a network failure comes back in the result."""
        provider_id = mime["Message-ID"]
        try:
            self._deliver(mime, message.to)
        except smtplib.SMTPRecipientsRefused as exc:
            # One recipient per message, so exactly one entry.
            code, reply = next(iter(exc.recipients.values()))
            return self._failed(message, code=code, reply=reply)
        except smtplib.SMTPResponseException as exc:
            # Connect, HELO, AUTH, MAIL FROM, DATA: each refusal carries the server's code.
            return self._failed(message, code=exc.smtp_code, reply=exc.smtp_error)
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib reports a read timeout or reset as a disconnection; name the cause when there is one.
            cause = exc.__context__ if isinstance(exc.__context__, OSError) else exc
            return self._failed(message, error_code=type(cause).__name__, retryable=True)
        except smtplib.SMTPException as exc:
            # No STARTTLS or AUTH offered, no shared AUTH mechanism, SMTPUTF8 needed: configuration,
            # which trying again will not fix.
            return self._failed(message, error_code=type(exc).__name__, retryable=False)
        except OSError as exc:
            # Refused or reset connections, timeouts, TLS handshake and certificate failures.
            return self._failed(message, error_code=type(exc).__name__, retryable=True)
        logger.info("email %s accepted by the SMTP server as %s", message.message_id, provider_id)
        return SendResult(ok=True, provider_id=provider_id)

    def _deliver(self, mime: email.message.EmailMessage, to: str) -> None:
        # The host goes to the constructor, not to connect(): TLS takes the name to verify from there.
        # The constructor closes its socket itself when connecting or the greeting fails.
        client: smtplib.SMTP
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, local_hostname=self.local_hostname,
                                      timeout=self.timeout, context=self.ssl_context)
        else:
            client = smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname,
                                  timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.starttls(context=self.ssl_context)
            if self.username is not None and self.password is not None:
                client.login(self.username, self.password)
            # The envelope recipient is given explicitly, never re-parsed from the To header.
            client.send_message(mime, to_addrs=[to])
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                # The message was accepted; a failed goodbye must not turn into a resend.
                pass
        finally:
            client.close()

    def _failed(
        self,
        message: EmailMessage,
        *,
        code: int | None = None,
        reply: bytes | str | None = None,
        error_code: str | None = None,
        retryable: bool = False,
    ) -> SendResult:
        error_message = None
        if code is not None:
            # 4xx is a transient refusal (greylisting, full mailbox, rate limit); 5xx is final.
            retryable = 400 <= code < 500
            error_code = str(code)
            if isinstance(reply, bytes):
                reply = reply.decode("utf-8", "replace")
            error_message = _redact(reply) if reply else None
        logger.warning(
            "email %s not sent: error %s, retryable=%s", message.message_id, error_code, retryable
        )
        return SendResult(
            ok=False,
            error_code=error_code,
            error_message=error_message,
            retryable=retryable,
        )


class FileEmailSender(_MimeSender):
    """Development backend: writes each message as an .eml file instead of sending it."""

    done = "written"

    def __init__(self, directory: Path = Path("instance") / "mail", *, sender: str = "journey@localhost"):
        self.directory = Path(directory)
        self.sender = sender

    def _send(self, message: EmailMessage, mime: email.message.EmailMessage) -> SendResult:
        """Writes the message to ``<directory>/<time>-<id>-<random>.eml``."""
        # Owner-only too: file names carry message ids, and the directory lists them.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{message.message_id}-{secrets.token_hex(4)}.eml"
        # Written under a temporary name and renamed, so a mail viewer never opens half a file.
        partial = path.with_suffix(".eml.part")
        # Owner-only (0600): the message holds a person's address and text.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(mime.as_bytes())
        os.replace(partial, path)
        logger.info("email %s written to %s", message.message_id, path.name)
        return SendResult(ok=True, provider_id=mime["Message-ID"])

    def purge(self, message_ids: set[int]) -> int:
        """Delete the files of these messages (erasure); returns how many went."""
        if not message_ids or not self.directory.is_dir():
            return 0
        dropped = 0
        for path in self.directory.glob("*.eml*"):
            parts = path.name.split("-")
            if len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) in message_ids:
                path.unlink(missing_ok=True)
                dropped += 1
        return dropped
