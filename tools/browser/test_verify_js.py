#!/usr/bin/env python3
"""Runs the staff console's browser-side verifier (Sources/DefterHTTP/Console/js/verify.js) in
headless Chromium on the RFC 6962 Merkle vectors (the log's own fixtures,
Tests/DefterLogTests/Fixtures/merkle), RFC 8032's Ed25519 vectors and a checkpoint Defter signed,
each also with one byte changed. Serves them from a temporary folder over loopback HTTP (ES
modules do not load from file://). Prints one line a case and `N passed, N failed`."""
import functools
import http.server
import json
import os
import pathlib
import shutil
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(__file__))
from browser import new_browser, console_errors, wait  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
MERKLE = REPO / "Tests" / "DefterLogTests" / "Fixtures" / "merkle"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def cases(kind):
    out = []
    for path in sorted((MERKLE / kind).rglob("*.json")):
        case = json.loads(path.read_text())
        case["file"] = str(path.relative_to(MERKLE / kind))
        out.append(case)
    return out


def main():
    folder = pathlib.Path(tempfile.mkdtemp())
    try:
        shutil.copy(REPO / "Sources/DefterHTTP/Console/js/verify.js", folder / "verify.js")
        for name in ("index.html", "tests.js"):
            shutil.copy(HERE / "verify-js" / name, folder / name)
        vectors = {
            "reference": json.loads((MERKLE / "reference-roots.json").read_text()),
            "inclusion": cases("inclusion"), "consistency": cases("consistency"),
            "ed25519": json.loads((HERE / "fixtures/rfc8032.json").read_text()),
            "checkpoint": json.loads((HERE / "fixtures/checkpoint.json").read_text()),
        }
        (folder / "vectors.json").write_text(json.dumps(vectors))
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        driver = new_browser()
        try:
            driver.get(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            wait(driver, lambda d: d.execute_script("return document.body.dataset.done"), timeout=60)
            results = json.loads(driver.execute_script("return document.body.dataset.results"))
            errors = console_errors(driver)
        finally:
            driver.quit()
            server.shutdown()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    failed = [r for r in results if not r["passed"]]
    for r in failed:
        print(f"FAIL {r['name']}: {r['detail']}")
    for e in errors:
        print(f"FAIL browser console: {e}")
    passed = len(results) - len(failed)
    print(f"verify.js: {len(results)} cases in Chromium")
    print(f"{passed} passed, {len(failed) + len(errors)} failed")
    return 1 if failed or errors or not results else 0


if __name__ == "__main__":
    sys.exit(main())
