"""A real SMTP server for the mail tests and the digest benchmark (aiosmtpd).

Usage: python tests/compat/smtp_sink.py --port PORT --dir DIR [--delay-ms N] [--count-only]
           [--tls-cert CERT --tls-key KEY [--implicit-tls]] [--auth USER:PASSWORD]

With a certificate it offers STARTTLS and requires it (or, with --implicit-tls, speaks TLS from the
first byte, as on port 465); with --auth it requires AUTH PLAIN/LOGIN with that user and password.

Every message it accepts is written to DIR as NNNNNNNN.eml (the raw message as received, with
an `X-Envelope-To:` line of the SMTP recipients prepended), unless --count-only, which only
counts (for benchmarks). Recipients whose local part starts with `bounce` are refused with
550 (a permanent failure); those starting with `busy` with 451 (a temporary one). When ready it
prints `ready PORT` on stdout. It writes the count of accepted messages to DIR/count on exit
(SIGTERM) and every second.
"""

import argparse
import asyncio
import itertools
import os
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
import ssl


class Sink:
    def __init__(self, out_dir, delay, count_only):
        self.out_dir = out_dir
        self.delay = delay
        self.count_only = count_only
        self.counter = itertools.count(1)
        self.accepted = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if local.startswith("busy"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        n = next(self.counter)
        if not self.count_only:
            data = envelope.original_content or envelope.content
            if isinstance(data, str):
                data = data.encode()
            head = ("X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n").encode()
            tmp = os.path.join(self.out_dir, f".{n:08d}.tmp")
            with open(tmp, "wb") as f:
                f.write(head + data)
            os.replace(tmp, os.path.join(self.out_dir, f"{n:08d}.eml"))
        self.accepted += 1
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--count-only", action="store_true")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth", help="USER:PASSWORD")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir, args.delay_ms / 1000.0, args.count_only)
    kwargs = {"data_size_limit": 10 * 1024 * 1024}
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.implicit_tls:
            kwargs["ssl_context"] = ctx
        else:
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode()
                and auth_data.password == password.encode()
            )
            return AuthResult(success=ok, handled=False)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        # Implicit TLS is encrypted from the first byte, which aiosmtpd does not see as "TLS".
        kwargs["auth_require_tls"] = bool(args.tls_cert) and not args.implicit_tls
    controller = Controller(sink, hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    print(f"ready {args.port}", flush=True)

    def write_count():
        with open(os.path.join(args.dir, "count.tmp"), "w") as f:
            f.write(str(sink.accepted))
        os.replace(os.path.join(args.dir, "count.tmp"), os.path.join(args.dir, "count"))

    stop = {"now": False}

    def on_term(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        import time

        while not stop["now"]:
            write_count()
            time.sleep(0.2)
    finally:
        write_count()
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
