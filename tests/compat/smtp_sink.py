"""A real SMTP server for the mail tests and the digest benchmark (aiosmtpd).

Usage: python tests/compat/smtp_sink.py --port PORT --dir DIR [--delay-ms N] [--count-only]

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
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir, args.delay_ms / 1000.0, args.count_only)
    controller = Controller(
        sink, hostname="127.0.0.1", port=args.port, data_size_limit=10 * 1024 * 1024
    )
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
