"""Local receivers for the notification tests: an SMTP server (aiosmtpd) and an HTTP webhook
receiver (http.server), each appending one JSON object a line to a file for every message it
accepts. Before accepting a recipient, the SMTP server waits the seconds written in the file
OUT_FOLDER/smtp-delay (if any), which lets a test slow a batch down enough to kill the sender in
the middle of it; the wait comes before the message exists, so a sender killed then sent nothing.

Usage: python3 sinks.py SMTP_PORT WEBHOOK_PORT OUT_FOLDER
Writes OUT_FOLDER/smtp.jsonl, OUT_FOLDER/webhook.jsonl; prints "ready" once both listen.
"""

import asyncio
import email
import email.header
import email.policy
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

SMTP_PORT, WEBHOOK_PORT, OUT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
DELAY_FILE = os.path.join(OUT, "smtp-delay")
LOCK = threading.Lock()


def delay():
    try:
        with open(DELAY_FILE) as f:
            seconds = float(f.read().strip() or 0)
    except FileNotFoundError:
        seconds = 0
    if seconds:
        time.sleep(seconds)


def record(name, obj):
    with LOCK, open(os.path.join(OUT, name), "a", encoding="utf-8") as f:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


class Mailbox:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # The wait happens before the message is accepted: a sender killed now has sent nothing.
        await asyncio.get_running_loop().run_in_executor(None, delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        record(
            "smtp.jsonl",
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "message_id": message["Message-ID"],
                "subject": str(message["Subject"]),
                "from": str(message["From"]),
                "body": message.get_content(),
                "raw": envelope.original_content.decode("ascii", "replace"),
            },
        )
        return "250 Message accepted for delivery"


class Webhook(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        record(
            "webhook.jsonl",
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "content_type": self.headers.get("Content-Type"),
                "body": parsed,
                "raw": body.decode("utf-8", "replace"),
            },
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status":"queued"}')

    def log_message(self, *args):
        pass


controller = Controller(Mailbox(), hostname="127.0.0.1", port=SMTP_PORT)
controller.start()
server = ThreadingHTTPServer(("127.0.0.1", WEBHOOK_PORT), Webhook)
print("ready", flush=True)
try:
    server.serve_forever()
finally:
    controller.stop()
