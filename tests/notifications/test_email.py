"""Email: what arrives at a real SMTP server on loopback, how refusals map to results, the file backend."""

from __future__ import annotations

import logging
import socket
from email import policy
from email.parser import BytesParser

import pytest

from notifications.channels import EmailMessage
from notifications.email import FileEmailSender, SmtpEmailSender, build_mime
from tests.fakes import smtp as smtp_fakes
from tests.fakes.smtp import HOST, free_port

smtp_server = smtp_fakes.smtp_server
smtp_tls_files = smtp_fakes.smtp_tls_files

SENDER = "Journey <noreply@journey.example>"
ARABIC_SUBJECT = "تم تحديث طلبك"
ARABIC_TEXT = "مرحبا سلمى،\nتمت الموافقة على جواز سفرك."
ARABIC = EmailMessage(
    to="salma@example.org",
    subject=ARABIC_SUBJECT,
    text=ARABIC_TEXT,
    html="<p>مرحبا سلمى،</p><p>تمت الموافقة على <strong>جواز سفرك</strong>.</p>",
    language="ar",
    rtl=True,
    message_id=42,
    headers={"List-Unsubscribe": "<https://journey.example/u/abc>"},
)
ENGLISH = EmailMessage(
    to="sam@example.org",
    subject="Your application was updated",
    text="Hello Sam,\nyour passport was approved.",
    html="<p>Hello Sam,</p>",
    language="en",
    message_id=43,
)


def smtp_sender(server, **options) -> SmtpEmailSender:
    options.setdefault("security", "none")
    # An explicit EHLO name: smtplib's default asks socket.getfqdn(), which may go to DNS.
    return SmtpEmailSender(server.host, server.port, sender=SENDER, timeout=5, local_hostname="localhost",
                           **options)


def html_part(mime):
    return mime.get_body(preferencelist=("html",)).get_content()


def test_arabic_message_arrives_as_utf8_multipart_rtl(smtp_server):
    server = smtp_server()

    result = smtp_sender(server).send(ARABIC)

    assert result.ok and not result.retryable
    [mail] = server.received
    assert mail.mail_from == "noreply@journey.example"
    assert mail.rcpt_tos == ["salma@example.org"]
    mail.content.decode("ascii")  # 7-bit clean on the wire: no relay needs 8BITMIME
    mime = mail.parse()
    assert mime.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mime.iter_parts()] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in mime.iter_parts())
    assert mime.get_body(preferencelist=("plain",)).get_content().rstrip("\n") == ARABIC_TEXT
    html = html_part(mime)
    assert '<html lang="ar" dir="rtl">' in html
    assert "<strong>جواز سفرك</strong>" in html  # the caller's HTML, not escaped again
    assert mime["Subject"] == ARABIC_SUBJECT
    assert "=?utf-8?" in mail.content.split(b"\r\n\r\n", 1)[0].decode().lower()  # RFC 2047 on the wire
    assert mime["Content-Language"] == "ar"
    assert mime["Message-ID"] == result.provider_id
    assert b"\r\nMessage-ID: <journey.42." in mail.content  # on one line, not folded
    assert result.provider_id.endswith("@journey.example>")
    assert mime["Date"] is not None
    assert mime["List-Unsubscribe"] == "<https://journey.example/u/abc>"


def test_english_message_is_left_to_right(smtp_server):
    server = smtp_server()

    assert smtp_sender(server).send(ENGLISH).ok

    mime = server.received[0].parse()
    assert '<html lang="en" dir="ltr">' in html_part(mime)
    assert mime["Content-Language"] == "en"


def test_build_mime_without_html_shows_the_escaped_text():
    message = EmailMessage(to="a@example.org", subject="s", text="1 < 2\nbye", html="", language="en")

    html = html_part(build_mime(message, sender=SENDER))

    assert "1 &lt; 2\nbye" in html


def test_extra_headers_cannot_override_the_ones_build_mime_sets(tmp_path):
    message = EmailMessage(to="a@example.org", subject="s", text="t", html="<p>t</p>", language="en",
                           headers={"Bcc": "someone@example.org"})

    with pytest.raises(ValueError, match="Bcc"):
        build_mime(message, sender=SENDER)
    for sender in (FileEmailSender(tmp_path),
                   # Refused before any connection: nothing listens on port 1.
                   SmtpEmailSender("127.0.0.1", 1, security="none", sender=SENDER)):
        result = sender.send(message)
        assert not result.ok and not result.retryable and result.error_code == "invalid-message"


def test_login_with_the_right_password_delivers(smtp_server):
    server = smtp_server(auth=True)

    result = smtp_sender(server, username=server.username, password=server.password).send(ENGLISH)

    assert result.ok
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("credentials", "code"),
    [({"username": "journey", "password": "wrong"}, "535"), ({}, "530")],
    ids=["wrong-password", "no-login"],
)
def test_refused_login_is_not_retryable(smtp_server, credentials, code):
    server = smtp_server(auth=True)

    result = smtp_sender(server, **credentials).send(ENGLISH)

    assert not result.ok and not result.retryable
    assert result.error_code == code
    assert server.received == []


def test_starttls_with_login(smtp_server):
    server = smtp_server(tls="starttls", auth=True)
    sender = smtp_sender(server, security="starttls", ssl_context=server.client_ssl_context(),
                         username=server.username, password=server.password)

    result = sender.send(ARABIC)

    assert result.ok
    assert server.received[0].parse()["Subject"] == ARABIC_SUBJECT


def test_starttls_verifies_the_certificate_by_default(smtp_server):
    server = smtp_server(tls="starttls")

    result = smtp_sender(server, security="starttls").send(ENGLISH)

    assert not result.ok and result.retryable
    assert result.error_code == "SSLCertVerificationError"
    assert server.received == []


def test_starttls_against_a_server_without_it_is_a_configuration_error(smtp_server):
    server = smtp_server()

    result = smtp_sender(server, security="starttls").send(ENGLISH)

    assert not result.ok and not result.retryable
    assert result.error_code == "SMTPNotSupportedError"


def test_implicit_tls(smtp_server):
    server = smtp_server(tls="ssl")

    result = smtp_sender(server, security="ssl", ssl_context=server.client_ssl_context()).send(ENGLISH)

    assert result.ok
    assert len(server.received) == 1


@pytest.mark.parametrize(("code", "retryable"), [(550, False), (451, True)])
def test_refused_recipient(smtp_server, code, retryable):
    server = smtp_server()
    server.refuse(ENGLISH.to, code)

    result = smtp_sender(server).send(ENGLISH)

    assert not result.ok
    assert result.retryable is retryable
    assert result.error_code == str(code)
    assert ENGLISH.to not in result.error_message  # the server echoed it; the result must not keep it
    assert server.received == []


def test_server_down_is_retryable():
    result = SmtpEmailSender(HOST, free_port(), security="none", sender=SENDER, timeout=2,
                             local_hostname="localhost").send(ENGLISH)

    assert not result.ok and result.retryable
    assert result.error_code == "ConnectionRefusedError"


def test_server_that_never_answers_times_out_and_is_retryable():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind((HOST, 0))
        silent.listen()  # connections complete in the backlog, but no greeting ever comes
        result = SmtpEmailSender(HOST, silent.getsockname()[1], security="none", sender=SENDER,
                                 timeout=0.2, local_hostname="localhost").send(ENGLISH)

    assert not result.ok and result.retryable
    assert result.error_code == "TimeoutError"


def test_unknown_security_is_refused():
    with pytest.raises(ValueError, match="security"):
        SmtpEmailSender(HOST, 25, security="tls", sender=SENDER)  # type: ignore[arg-type]


def test_file_backend_writes_a_readable_eml(tmp_path):
    directory = tmp_path / "instance" / "mail"

    result = FileEmailSender(directory).send(ARABIC)

    assert result.ok
    [path] = directory.iterdir()
    assert path.suffix == ".eml"
    mime = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert mime["Message-ID"] == result.provider_id
    assert mime["To"] == ARABIC.to
    assert mime["Subject"] == ARABIC_SUBJECT
    assert mime.get_body(preferencelist=("plain",)).get_content().rstrip("\n") == ARABIC_TEXT
    assert 'dir="rtl"' in html_part(mime)


def test_logs_carry_ids_never_addresses(smtp_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="notifications")
    good = smtp_server()
    good.refuse("refused@example.org", 550)
    guarded = smtp_server(auth=True)
    refused = EmailMessage(to="refused@example.org", subject="s", text="t", html="<p>t</p>", language="en",
                           message_id=44)

    assert smtp_sender(good).send(ARABIC).ok
    assert not smtp_sender(good).send(refused).ok
    assert not smtp_sender(guarded, username="journey", password="wrong").send(ENGLISH).ok
    assert not SmtpEmailSender(HOST, free_port(), security="none", sender=SENDER, timeout=2,
                               local_hostname="localhost").send(ENGLISH).ok
    assert FileEmailSender(tmp_path).send(ARABIC).ok

    ours = [r for r in caplog.records if r.name.startswith("notifications")]
    assert len(ours) == 5
    text = "\n".join(r.getMessage() for r in ours)
    for secret in ("@example.org", "salma", "sam@", ARABIC_TEXT, "wrong"):
        assert secret not in text
    assert all(str(mid) in text for mid in (42, 43, 44))
