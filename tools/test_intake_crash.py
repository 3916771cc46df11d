#!/usr/bin/env python3
"""`defter serve` killed with SIGKILL under 16 concurrent intake clients, five times.

Usage: tools/test_intake_crash.py DEFTER_BINARY [--rounds 5] [--clients 16]

Each round starts `defter serve` on a fresh port over the same data folder, lets 16 clients post
new calls to POST /v1/calls as fast as it answers (every third with an Idempotency-Key), kills
the server with SIGKILL at a random moment, starts it again, and checks that every call answered
201 is in the log with the ticket it was answered with: retrying it answers 200 with the same
ticket. After the last round it checks that the log verifies (`defter log verify`), that the
ticket numbers of the year are 1..N with no gap and no duplicate, that every citizen key a
committed event names is in the vault (read with py-lmdb), and that the projections the killed
servers left equal a clean rebuild (`defter replay`, then the digests of `defter projections
status`). Python's standard library and py-lmdb only; it shares no code with Defter.
"""
import argparse
import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

TEXTS = [
    "Caddede yol çöktü, araçlar geçemiyor",
    "Sokağımızdaki çöpler üç gündür toplanmadı",
    "Parktaki ağaç devrildi, yolu kapattı",
    "Su borusu patladı, sokak göle döndü",
    "Başıboş köpekler çocuklara saldırıyor",
]
failures = []
results = []  # (check, passed), one per check, for the closing line


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}", file=sys.stderr)


def check(name, passed):
    results.append((name, passed))
    return passed


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(base, token, body, key=None, timeout=30):
    """POSTs a call; returns (status, JSON answer), or (None, None) when the server is gone."""
    request = urllib.request.Request(base + "/v1/calls", data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None, None


def start(defter, data, log):
    port = free_port()
    process = subprocess.Popen(
        [defter, "serve", "--data", data, "--port", str(port), "--checkpoint-every", "5s"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return process, base
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None:
                raise SystemExit(f"defter serve exited with {process.returncode}; see {log.name}")
            time.sleep(0.1)
    raise SystemExit(f"defter serve did not answer /healthz in 60 s; see {log.name}")


def call(call_id):
    return {"callId": call_id, "channel": "phone", "operatorId": "op-crash", "district": "Elbistan",
            "caller": {"text": random.choice(TEXTS)}}


def run_round(defter, data, token, log, number, clients):
    process, base = start(defter, data, log)
    acknowledged = {}  # call id -> (ticket, body, key)
    lock = threading.Lock()
    stop = threading.Event()
    unexpected = []

    def client(n):
        i = 0
        while not stop.is_set():
            call_id = f"crash-{number}-{n}-{i}"
            key = f"key-{call_id}" if i % 3 == 0 else None
            i += 1
            body = call(call_id)
            status, answer = post(base, token, body, key)
            if status == 201:
                with lock:
                    acknowledged[call_id] = (answer["ticket"], body, key)
            elif status is None or status == 503:
                time.sleep(0.02)  # the server is gone (killed) or full: not acknowledged
            else:
                unexpected.append(f"{call_id}: {status} {answer}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(random.uniform(1.5, 4.0))
    process.kill()  # SIGKILL
    process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    for line in unexpected[:5]:
        fail(f"round {number}: unexpected answer {line}")
    check(f"round {number}: only 201, 503 or no answer while running", not unexpected)

    # Every acknowledged call is in the log with its ticket: a retry answers 200 and the same ticket.
    process, base = start(defter, data, log)
    missing = 0
    for call_id, (ticket, body, key) in sorted(acknowledged.items()):
        status, answer = post(base, token, body, key)
        if status != 200 or answer.get("ticket") != ticket or answer.get("duplicate") is not True:
            missing += 1
            if missing <= 5:
                fail(f"round {number}: {call_id} was answered 201 with {ticket}; its retry answered {status} {answer}")
    process.terminate()
    if process.wait(timeout=60) != 0:
        fail(f"round {number}: defter serve did not stop cleanly on SIGTERM ({process.returncode})")
    print(f"round {number}: {len(acknowledged)} calls acknowledged before SIGKILL, {len(acknowledged) - missing} found again")
    if not acknowledged:
        fail(f"round {number}: no call was acknowledged; the round proved nothing")
    check(f"round {number}: every acknowledged call found again", acknowledged and missing == 0)
    return {ticket for ticket, _, _ in acknowledged.values()}


def digests(defter, data):
    out = subprocess.run([defter, "projections", "status", "--json", "--data", data], check=True,
                         capture_output=True, text=True).stdout
    status = json.loads(out)
    items = status if isinstance(status, list) else status.get("projections", [])
    return {item["name"]: item["digest"] for item in items}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("defter")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="defter-intake-crash-")
    data = f"{work}/data"
    log = open(f"{work}/serve.log", "w")
    try:
        token = subprocess.run([args.defter, "tokens", "issue", "--role", "operator", "--name", "crash-test", "--data", data],
                               check=True, capture_output=True, text=True).stdout.strip()
        tickets = set()
        for number in range(1, args.rounds + 1):
            tickets |= run_round(args.defter, data, token, log, number, args.clients)

        verify = subprocess.run([args.defter, "log", "verify", "--data", data], capture_output=True, text=True)
        if not check("the log verifies", verify.returncode == 0):
            fail(f"defter log verify: {verify.stdout}{verify.stderr}")

        numbered = []
        citizens = set()
        read = subprocess.run([args.defter, "log", "read", "--data", data], check=True, capture_output=True, text=True)
        for line in read.stdout.splitlines():
            entry = json.loads(line)
            if entry.get("type") == "TicketNumberAssigned":
                numbered.append(entry["data"]["ticket"])
            sealed = entry.get("data", {}).get("personalData")
            if isinstance(sealed, dict) and "citizen" in sealed:
                citizens.add(sealed["citizen"])
        # A citizen key is durable no later than the first event that names it: every key a
        # committed event names is in the vault, whichever moment the SIGKILLs fell on.
        import lmdb  # py-lmdb, installed by tools/setup
        vault = lmdb.open(f"{data}/vault", readonly=True, lock=False, max_dbs=4, subdir=True)
        with vault.begin() as txn:
            keys = vault.open_db(b"keys", txn=txn, create=False)
            lost = sorted(c for c in citizens if txn.get(c.encode(), db=keys) is None)
        vault.close()
        if not check(f"every citizen key the log names is in the vault ({len(citizens)} keys)", citizens and not lost):
            fail(f"{len(lost)} citizen keys named by committed events are missing from the vault: {lost[:5]}")
        by_year = {}
        for ticket in numbered:
            year, sequence = ticket.split("-")
            by_year.setdefault(year, []).append(int(sequence))
        gapless = all(sorted(sequences) == list(range(1, len(sequences) + 1)) for sequences in by_year.values())
        if not check("ticket numbers 1..N without gap or duplicate", gapless and bool(numbered)):
            fail(f"the ticket numbers are not 1..N without gap or duplicate in every year: {sorted(by_year)}")
        if not check("every acknowledged ticket is numbered in the log", tickets <= set(numbered)):
            fail(f"{len(tickets - set(numbered))} acknowledged tickets have no TicketNumberAssigned")

        left = digests(args.defter, data)
        subprocess.run([args.defter, "replay", "--data", data], check=True, capture_output=True)
        rebuilt = digests(args.defter, data)
        if not check("projections equal a clean rebuild", left == rebuilt and bool(left)):
            fail(f"the projections the killed servers left differ from a clean rebuild: {left} vs {rebuilt}")
        print(f"{len(tickets)} acknowledged tickets over {args.rounds} SIGKILLs; {len(numbered)} numbered; "
              f"log verifies: {verify.returncode == 0}; projections equal a clean rebuild: {left == rebuilt}")
    finally:
        log.close()
        if failures:
            print(f"the servers' output is kept in {work}/serve.log", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    passed = sum(1 for _, ok in results if ok)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(1 if failures or passed != len(results) else 0)


if __name__ == "__main__":
    main()
