#!/usr/bin/env python3
"""Measures the department queue as its user sees it, in headless Chromium: the browser's own
Navigation Timing for /console/queue (DOM ready, load) and the moment its first page of 50 rows
was drawn (`defter:queue-visible`), over several fresh loads; then the delay from a call's
`POST /v1/calls` answer to its row appearing in the open queue (Server-Sent Events, no reload).
Prints figures; asserts nothing (speed is measured, not tested).

Environment: DEFTER_URL, DEFTER_TOKEN_ROADS, DEFTER_TOKEN_OPERATOR; optional DEFTER_LOADS (10), DEFTER_CALLS (10)."""
import json
import os
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from browser import new_browser, sign_in, wait  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

URL = os.environ["DEFTER_URL"]
ROADS = os.environ["DEFTER_TOKEN_ROADS"]
OPERATOR = os.environ["DEFTER_TOKEN_OPERATOR"]
LOADS = int(os.environ.get("DEFTER_LOADS", "10"))
CALLS = int(os.environ.get("DEFTER_CALLS", "10"))


def post_call(n):
    body = {"callId": f"bench-{time.time_ns()}-{n}", "channel": "phone", "operatorId": "bench", "district": "Onikişubat",
            "caller": {"text": "Ana caddede büyük bir çukur var, asfalt bozuldu"}}
    request = urllib.request.Request(URL + "/v1/calls", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {OPERATOR}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["ticket"]


def main():
    driver = new_browser()
    try:
        sign_in(driver, URL, ROADS)
        samples = []
        for _ in range(LOADS):
            driver.get(URL + "/console/queue")
            wait(driver, lambda d: d.execute_script("return performance.getEntriesByName('defter:queue-visible').length > 0"))
            samples.append(driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0];"
                "const v = performance.getEntriesByName('defter:queue-visible')[0].startTime;"
                "const r = performance.getEntriesByType('resource');"
                "return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd, visible: v,"
                " bytes: n.transferSize + r.reduce((s, e) => s + e.transferSize, 0),"
                " decoded: n.decodedBodySize + r.reduce((s, e) => s + e.decodedBodySize, 0)};"))
        matching = driver.find_element(By.ID, "queue-matching").text
        # The baseline, in the same page and run: the same first page as bare JSON from the API.
        department = "fen-isleri"
        api = driver.execute_async_script(
            "const done = arguments[arguments.length - 1]; const times = [];"
            "(async () => { for (let i = 0; i < 10; i++) { const t0 = performance.now();"
            " await (await fetch('/v1/departments/' + arguments[0] + '/queue?limit=50', {credentials: 'same-origin'})).json();"
            " times.push(performance.now() - t0); } done(times); })();", department)
        wait(driver, lambda d: "on" in d.find_element(By.ID, "queue-live").get_attribute("class"))
        delays = []
        for n in range(CALLS):
            before = driver.find_element(By.ID, "queue-matching").text
            post_call(n)
            answered = time.monotonic()
            # The first page shows the 50 most urgent; a new ticket sorts after them (latest
            # deadline), so the screen's update is the queue's count moving, redrawn from the API.
            wait(driver, lambda d: d.find_element(By.ID, "queue-matching").text != before, timeout=10)
            delays.append((time.monotonic() - answered) * 1000)
            time.sleep(0.3)
    finally:
        driver.quit()

    def summary(values):
        values = sorted(values)
        return f"median {statistics.median(values):.0f} ms, min {values[0]:.0f}, max {values[-1]:.0f}"
    print(f"queue: {matching}; {LOADS} fresh loads of /console/queue (first page of 50)")
    print(f"  DOMContentLoaded: {summary([s['dom'] for s in samples])}")
    print(f"  load:             {summary([s['load'] for s in samples])}")
    print(f"  first page drawn: {summary([s['visible'] for s in samples])}")
    print(f"  baseline, the same page of the API as JSON (fetch + parse): {summary(api)}")
    print(f"  ratio, first page drawn / (page load's DOMContentLoaded + API page): "
          f"{statistics.median([s['visible'] for s in samples]) / (statistics.median([s['dom'] for s in samples]) + statistics.median(api)):.2f}")
    print(f"  transferred: {samples[0]['bytes']} bytes (first load, less what the cache revalidated); decoded {samples[0]['decoded']} bytes")
    print(f"commit to screen ({CALLS} calls, POST answered -> row drawn via SSE): {summary(delays)}")


if __name__ == "__main__":
    main()
