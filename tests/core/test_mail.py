"""E-mail: text and HTML alternatives with attachments, to files in development and over SMTP."""

from __future__ import annotations

import email
import socket
import threading
from email import policy

from comptoir.core.mail import Attachment, FileMailer, Mail, SmtpMailer, compose, mailer_from_settings, render
from comptoir.core.settings import Settings

RECEIPT = Mail(
    to="claire.martin@example.fr",
    subject="Votre ticket",
    text="Merci de votre visite.",
    html="<p>Merci de votre visite.</p>",
    attachments=[Attachment("ticket.pdf", b"%PDF-1.4 test", "application/pdf")],
)


def test_file_transport_writes_a_complete_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    mailer = mailer_from_settings(
        Settings(mail_url=f"file://{tmp_path}", mail_from="Boutique <ticket@shop.fr>")
    )
    assert isinstance(mailer, FileMailer)
    message = compose(RECEIPT, "Boutique <ticket@shop.fr>")
    mailer.deliver(render(message), RECEIPT.to)
    message_id = message["Message-ID"]
    (path,) = list(tmp_path.glob("*.eml"))
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == message_id
    assert parsed["To"] == "claire.martin@example.fr"
    assert parsed["From"] == "Boutique <ticket@shop.fr>"
    assert parsed.get_body(("plain",)).get_content().strip() == "Merci de votre visite."  # type: ignore[union-attr]
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Merci de votre visite.</p>"  # type: ignore[union-attr]
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == "ticket.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


def test_smtp_transport_talks_to_a_real_smtp_server() -> None:
    received: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def serve() -> None:  # the minimal SMTP dialogue of RFC 5321
        conn, _ = server.accept()
        f = conn.makefile("rwb")

        def reply(line: str) -> None:
            f.write(line.encode() + b"\r\n")
            f.flush()

        reply("220 test ESMTP")
        data: list[bytes] = []
        in_data = False
        for raw in f:
            if in_data:
                if raw == b".\r\n":
                    in_data = False
                    received.append(b"".join(data))
                    reply("250 queued")
                else:
                    data.append(raw)
                continue
            command = raw.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                reply("250 test")
            elif command == b"DATA":
                in_data = True
                reply("354 go ahead")
            elif command == b"QUIT":
                reply("221 bye")
                break
            else:
                reply("250 ok")
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    SmtpMailer(f"smtp://127.0.0.1:{port}", "Boutique <ticket@shop.fr>", timeout=5).deliver(
        render(compose(RECEIPT, "Boutique <ticket@shop.fr>")), "Claire Martin <claire.martin@example.fr>"
    )
    thread.join(timeout=5)
    server.close()
    parsed = email.message_from_bytes(received[0], policy=policy.default)
    assert parsed["Subject"] == "Votre ticket"
    assert [a.get_filename() for a in parsed.iter_attachments()] == ["ticket.pdf"]
