"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

The ``smtp_server`` fixture is a factory: ``server = smtp_server(auth=True, tls="starttls")`` starts
one (stopped at the end of the test). ``server.received`` holds each message as it arrived;
``server.refuse(address, 550)`` makes the server answer RCPT TO for that address with that code;
``server.client_ssl_context()`` trusts its self-signed certificate. To use the fixtures in a test
module, bind them there (``smtp_server = fakes_smtp.smtp_server``, and ``smtp_tls_files`` for TLS) or
list this module in a conftest's ``pytest_plugins``.
"""

from __future__ import annotations

import email.message
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from pathlib import Path
from typing import Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
USERNAME = "journey"
PASSWORD = "correct horse battery staple"

# Like real servers, the replies echo the address back, so tests can check it is not passed on.
_REPLIES = {
    451: "451 4.3.0 <{address}>: Mailbox temporarily unavailable, try again later",
    452: "452 4.2.2 <{address}>: Mailbox full",
    550: "550 5.1.1 <{address}>: Recipient address rejected: User unknown",
    553: "553 5.1.3 <{address}>: Mailbox name not allowed",
}


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes  # exactly the bytes that came after DATA

    def parse(self) -> email.message.EmailMessage:
        return BytesParser(policy=email.policy.default).parsebytes(self.content)


@dataclass
class _Handler:
    require_auth: bool = False
    refusals: dict[str, int] = field(default_factory=dict)
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # Enforced here rather than with aiosmtpd's auth_required: without TLS that option warns, and
        # the suite turns warnings into errors (in the server's thread too).
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.refusals.get(address.lower())
        if code is not None:
            return _REPLIES.get(code, "{code} <{address}>: Refused").format(code=code, address=address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 2.0.0 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    ):
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)  # aiosmtpd answers 535


class FakeSmtpServer:
    """One running aiosmtpd server and what it has received."""

    def __init__(self, handler: _Handler, controller: Controller, cafile: Path | None):
        self._handler = handler
        self._controller = controller
        self.host = HOST
        self.port: int = controller.port
        self.cafile = cafile
        self.username = USERNAME
        self.password = PASSWORD

    @property
    def received(self) -> list[ReceivedMail]:
        return self._handler.received

    def refuse(self, address: str, code: int) -> None:
        """Answer RCPT TO ``address`` with ``code`` (e.g. 550 or 451) from now on."""
        self._handler.refusals[address.lower()] = code

    def client_ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this server's self-signed certificate."""
        assert self.cafile is not None, "start the server with tls= to get a certificate"
        return ssl.create_default_context(cafile=str(self.cafile))

    def stop(self) -> None:
        self._controller.stop()


def free_port() -> int:
    """A loopback port nobody listens on (bound, read, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_tls_files(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made once per test run."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("TLS tests need a certificate: neither the cryptography package nor openssl is installed")
    directory = tmp_path_factory.mktemp("smtp-tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, no shell, openssl found on PATH
        [
            openssl, "req", "-x509", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
            # The client checks the host name, and for an IP address only a SAN entry counts.
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


@pytest.fixture
def smtp_server(request) -> Iterator[Callable[..., FakeSmtpServer]]:
    """Starts SMTP servers on 127.0.0.1: ``smtp_server(auth=False, tls=None|"starttls"|"ssl")``."""
    started: list[FakeSmtpServer] = []

    def start(*, auth: bool = False, tls: Literal["starttls", "ssl"] | None = None) -> FakeSmtpServer:
        handler = _Handler(require_auth=auth)
        options: dict = {}
        cafile = None
        if tls is not None:
            cafile, keyfile = request.getfixturevalue("smtp_tls_files")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cafile, keyfile)
            if tls == "starttls":
                options.update(tls_context=context, require_starttls=True)
            else:
                options.update(ssl_context=context)  # implicit TLS from the first byte
        if auth:
            # AUTH is offered without TLS too, so the plain-text test can log in; the handler enforces it.
            options.update(authenticator=_authenticate, auth_require_tls=False)
        controller = Controller(handler, hostname=HOST, port=free_port(), ready_timeout=5, **options)
        controller.start()
        server = FakeSmtpServer(handler, controller, cafile)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
