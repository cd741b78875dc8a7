# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An SMTP sink on loopback for tests: every message accepted is written, as received,
to a Maildir so that tests read the mail a user would have read.

It speaks plain SMTP and, when --tls-cert/--tls-key are given, STARTTLS, and accepts
any AUTH PLAIN/LOGIN credentials (recording the user name, never the password), which
is what ssmtp and msmtp need to exercise a relay configured like a mail provider's.
"""

import argparse
import asyncio
import json
import mailbox
import os
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class MaildirHandler:
    def __init__(self, maildir):
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        self.box = mailbox.Maildir(maildir, create=False)

    async def handle_DATA(self, server, session, envelope):
        msg = mailbox.MaildirMessage(envelope.original_content or envelope.content)
        msg["X-Sink-Envelope"] = json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "auth_user": getattr(session, "sink_user", None),
            "tls": session.ssl is not None,
        })
        self.box.add(msg)
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    login = getattr(auth_data, "login", b"") or b""
    session.sink_user = login.decode("utf-8", "replace")
    return AuthResult(success=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=18025)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()

    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)

    controller = Controller(
        MaildirHandler(args.maildir),
        hostname="127.0.0.1",
        port=args.port,
        authenticator=authenticator,
        auth_require_tls=False,
        tls_context=tls,
        require_starttls=False,
    )
    controller.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    main()
