#!/usr/bin/env python3
"""Kill `defter import legacy` with SIGKILL at random points, run it again, and compare.

Usage: test_import_resume.py DEFTER [--records N] [--kills K] [--seed S]

1. Writes a synthetic Turkish-CRM export of N records (tools/gen_legacy_csv.py; with duplicates,
   bad and unmapped rows) and imports it into a clean data folder A in one run.
2. Copies A's empty-import starting point (its key vault, so both runs derive the same citizen
   references) into folder B, then starts the same import into B K times, killing it with SIGKILL
   after a random delay each time, and finally lets it run to the end.
3. Checks that B ends with the same log as A: the same entries, in the same order, with the same
   ids, types, streams and data, except what is different by design in every run: the time each
   entry was recorded (`recordedAt`) and the random nonce inside each sealed personal-data blob
   (`personalData.sealed`). Both logs verify; the stats agree; a further run appends nothing;
   and `tools/check_import.py` agrees with B.

Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MAPPING = os.path.join(HERE, "fixtures", "synthetic-crm.toml")
passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if ok:
        passed += 1
    else:
        failed += 1


def run(defter, *args, check_exit=True):
    result = subprocess.run([defter, *args], capture_output=True, text=True)
    if check_exit and result.returncode not in (0, 1):
        sys.exit(f"`defter {' '.join(args)}` failed ({result.returncode}): {result.stderr.strip()}")
    return result


def content(defter, data):
    """The log's entries without what differs by design between two runs of the same import."""
    lines = run(defter, "log", "read", "--data", data).stdout.splitlines()
    out = []
    for line in lines:
        entry = json.loads(line)
        entry.pop("recordedAt", None)
        sealed = entry.get("data", {}).get("personalData")
        if isinstance(sealed, dict):
            sealed.pop("sealed", None)
        out.append(json.dumps(entry, sort_keys=True, ensure_ascii=False))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("defter")
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    defter = os.path.abspath(args.defter)
    rng = random.Random(args.seed)
    print(f"seed {args.seed}, {args.records} records, {args.kills} kills", flush=True)
    root = tempfile.mkdtemp(prefix="defter-import-resume-")
    try:
        source = os.path.join(root, "export.csv")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_legacy_csv.py"), str(args.records), source,
                        "--seed", str(args.seed % 1000)], check=True, capture_output=True)
        a, b = os.path.join(root, "a"), os.path.join(root, "b")
        # Both folders start from the same log and vault: the vault's pepper decides the citizen
        # references, which must agree for the logs to be compared entry by entry. The first
        # record of the export, imported alone, makes them (and the catalog) in A, copied to B.
        seed = os.path.join(root, "seed.csv")
        with open(source, encoding="utf-8", newline="") as whole, open(seed, "w", encoding="utf-8", newline="") as first:
            first.write(whole.readline() + whole.readline())
        run(defter, "import", "legacy", seed, "--mapping", MAPPING, "--data", a)
        shutil.copytree(a, b)
        base = ["import", "legacy", source, "--mapping", MAPPING, "--batch-size", "500"]

        started = time.monotonic()
        clean = run(defter, *base, "--data", a, "--json")
        seconds = time.monotonic() - started
        summary = json.loads(clean.stdout)
        check(summary["imported"] > 0, f"clean import: {summary['imported']} tickets, {summary['changed']} changes in {seconds:.1f} s")

        kills = 0
        for attempt in range(args.kills):
            process = subprocess.Popen([defter, *base, "--data", b, "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, max(0.1, seconds * 0.9)))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
        check(kills > 0, f"killed the import {kills} of {args.kills} times with SIGKILL")
        final = json.loads(run(defter, *base, "--data", b, "--json").stdout)
        check(final["unchanged"] + final["imported"] + final["changed"] == summary["unchanged"] + summary["imported"] + summary["changed"],
              "the resumed run went on where the log stood")

        ca, cb = content(defter, a), content(defter, b)
        same = ca == cb
        if not same:
            first = next((i for i, (x, y) in enumerate(zip(ca, cb)) if x != y), min(len(ca), len(cb)))
            print(f"     first difference at entry {first + 1} of {len(ca)} / {len(cb)}:\n     A {ca[first][:300] if first < len(ca) else '-'}\n     B {cb[first][:300] if first < len(cb) else '-'}")
        check(same, f"the killed-and-resumed log equals the clean one, entry by entry ({len(ca)} entries; recordedAt and sealing nonces aside)")
        for name, folder in (("clean", a), ("resumed", b)):
            verify = run(defter, "log", "verify", "--data", folder, check_exit=False)
            check(verify.returncode == 0, f"the {name} log verifies")
        stats_a = run(defter, "stats", "--data", a, "--by", "status", "--json").stdout
        stats_b = run(defter, "stats", "--data", b, "--by", "status", "--json").stdout
        check(stats_a == stats_b, "the statistics of both logs are the same")

        size = len(cb)
        again = json.loads(run(defter, *base, "--data", b, "--json").stdout)
        check(again["imported"] == 0 and again["changed"] == 0 and len(content(defter, b)) == size,
              "a further run of the same file appends nothing")
        checker = subprocess.run([sys.executable, os.path.join(HERE, "check_import.py"), source, MAPPING,
                                  "--defter", defter, "--data", b], capture_output=True, text=True)
        check(checker.returncode == 0, "tools/check_import.py recomputes the counts and the median from the CSV alone and agrees"
              + ("" if checker.returncode == 0 else ":\n" + checker.stdout[-2000:] + checker.stderr[-2000:]))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
