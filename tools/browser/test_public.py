#!/usr/bin/env python3
"""The public pages in headless Chromium against a real `defter serve` (tools/test_console.sh
starts it on a seeded folder and sets DEFTER_URL, DEFTER_TOKEN_OPERATOR, DEFTER_SCREENSHOTS):

- the dashboard renders in Turkish and in English with no console error, and its headline
  figures equal the JSON report of the same period at the same checkpoint;
- the tracking page refuses wrong phone digits (keeping what was typed), shows a seeded
  ticket's timeline for the right ones, verifies every step in the browser, and offers each
  step's proof as a C2SP tlog-proof;
- a call recorded with the citizen's photo (multipart, as an app sends it), resolved by the roads
  crew with their "after" photo, shows the crew's photo on the tracking page and never the
  citizen's.
Screenshots are checked not blank."""
import json
import os
import re
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from browser import click, new_browser, console_errors, run_tests, screenshot, wait  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

URL = os.environ.get("DEFTER_URL", "http://127.0.0.1:8153")
SHOTS = os.environ.get("DEFTER_SCREENSHOTS", "/tmp/defter-console-screenshots")
OPERATOR = os.environ.get("DEFTER_TOKEN_OPERATOR", "")
ROADS = os.environ.get("DEFTER_TOKEN_ROADS", "")
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "DefterImagesTests", "Fixtures")


def send(path, body, token, content_type="application/json"):
    """POSTs `body` (bytes) and returns the JSON answer."""
    request = urllib.request.Request(URL + path, data=body, method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read().decode())


def multipart(parts):
    """A multipart/form-data body of (name, filename or None, content type, bytes) parts."""
    boundary = "defter-browser-test-boundary"
    body = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as file:
        return file.read()


def get(path, token=None):
    request = urllib.request.Request(URL + path)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return response.read().decode()


def heading(driver):
    """The page's heading, read in the page: the element is replaced when the page redraws."""
    return driver.execute_script("const h = document.getElementById('heading'); return h ? h.textContent : '';")


def digits(text):
    """The integer a localised figure shows: 148.910 (tr) or 148,910 (en)."""
    return int(re.sub(r"[^\d]", "", text))


def seeded_caller():
    """A seeded ticket whose caller gave a phone, and that phone's last four digits (read as an
    operator, which the log records)."""
    for n in range(12, 200):
        ticket = f"2025-{n:06d}"
        data = json.loads(get(f"/v1/tickets/{ticket}/personal-data?reason=browser+test+of+request+tracking", OPERATOR))
        phone = (data.get("personalData") or {}).get("phone")
        if phone:
            return ticket, phone[-4:]
    raise AssertionError("no seeded caller with a phone among the first tickets")


class Dashboard(unittest.TestCase):
    def setUp(self):
        self.driver = new_browser(width=1280, height=900)

    def tearDown(self):
        self.driver.quit()

    def test_headline_equals_the_json_report_in_both_languages(self):
        d = self.driver
        d.get(URL + "/?period=2025")
        wait(d, lambda d: d.find_element(By.ID, "headline"))
        self.assertIn("2025", heading(d))
        data = json.loads(get("/v1/public/dashboard?period=2025"))
        report = json.loads(get("/v1/public/reports/2025?format=json"))
        shown = data["dashboard"]["report"]
        self.assertEqual(shown["checkpoint"], report["checkpoint"])
        values = [digits(e.text) for e in d.find_elements(By.CSS_SELECTOR, "#headline .figure .value")]
        headline = report["headline"]
        self.assertEqual(values[0], headline["calls"])
        self.assertEqual(values[1], headline["ticketsOpened"])
        self.assertEqual(values[2], headline["resolved"])
        self.assertEqual(values[4], headline["closedAtFirstContact"])
        # The checkpoint line names the report's tree size and links to its signed note.
        line = d.find_element(By.ID, "checkpoint-line").text
        self.assertIn(report["checkpoint"]["root"], line)
        link = d.find_element(By.ID, "checkpoint-link").get_attribute("href")
        self.assertEqual(get(link.replace(URL, "")), report["checkpoint"]["note"])
        # Departments are ranked; the ones below 30 tickets are not among them.
        for row in d.find_elements(By.CSS_SELECTOR, "#departments tbody tr"):
            self.assertGreaterEqual(digits(row.find_elements(By.TAG_NAME, "td")[2].text), 30)
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#districts-chart rect")), 11)
        self.assertGreater(len(d.find_elements(By.CSS_SELECTOR, "#reports tbody tr")), 12)
        screenshot(d, SHOTS, "public-dashboard-tr")
        self.assertEqual(console_errors(d), [])

        d.find_element(By.ID, "lang").click()
        wait(d, lambda d: "calls and requests" in heading(d))
        self.assertEqual(d.find_element(By.TAG_NAME, "html").get_attribute("lang"), "en")
        values_en = [digits(e.text) for e in d.find_elements(By.CSS_SELECTOR, "#headline .figure .value")]
        self.assertEqual(values_en[:3], values[:3])
        screenshot(d, SHOTS, "public-dashboard-en")
        self.assertEqual(console_errors(d), [])
        d.find_element(By.ID, "lang").click()

    def test_this_month_and_a_picked_range(self):
        d = self.driver
        d.get(URL + "/")
        # "This month" is the newest call's: the console's tests may have added calls of today.
        current = json.loads(get("/v1/public/dashboard"))["periods"]["currentMonth"]
        months = ["Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık"]
        expected = f"{months[int(current[5:]) - 1]} {current[:4]}"
        click(d, By.ID, "this-month")
        wait(d, lambda d: expected in heading(d))
        d.find_element(By.ID, "range-show").click()
        self.assertIn("Başlangıç", wait(d, lambda d: d.find_element(By.CSS_SELECTOR, ".periods + .error").text))
        d.execute_script("document.getElementById('from').value = '2025-03-01'; document.getElementById('to').value = '2025-03-31';")
        d.find_element(By.ID, "range-show").click()
        wait(d, lambda d: "2025-03-01" in heading(d))
        march = json.loads(get("/v1/public/reports/2025-03?format=json"))
        calls = digits(d.find_elements(By.CSS_SELECTOR, "#headline .figure .value")[0].text)
        self.assertEqual(calls, march["headline"]["calls"])
        screenshot(d, SHOTS, "public-dashboard-range")
        self.assertEqual(console_errors(d), [])


class Tracking(unittest.TestCase):
    def setUp(self):
        self.driver = new_browser(width=1000, height=1100)

    def tearDown(self):
        self.driver.quit()

    def test_wrong_digits_then_the_timeline_verified_in_the_browser(self):
        d = self.driver
        ticket, last4 = seeded_caller()
        wrong = f"{(int(last4) + 1) % 10000:04d}"
        d.get(URL + f"/takip?no={ticket}")
        phone = wait(d, lambda d: d.find_element(By.ID, "phone4"))
        self.assertEqual(d.find_element(By.ID, "ticket").get_attribute("value"), ticket)
        phone.send_keys(wrong)
        d.find_element(By.ID, "submit").click()
        error = wait(d, lambda d: d.find_element(By.ID, "track-error").text)
        self.assertIn("bulunamadı", error)
        self.assertEqual(d.find_elements(By.ID, "result"), [])
        # Nothing typed is lost: both fields still hold what the citizen wrote.
        self.assertEqual(d.find_element(By.ID, "ticket").get_attribute("value"), ticket)
        self.assertEqual(d.find_element(By.ID, "phone4").get_attribute("value"), wrong)
        screenshot(d, SHOTS, "public-track-refused")
        self.assertEqual(console_errors(d, allow=("404",)), [])

        field = d.find_element(By.ID, "phone4")
        field.clear()
        field.send_keys(last4)
        d.find_element(By.ID, "submit").click()
        wait(d, lambda d: d.find_element(By.ID, "result"))
        steps = d.find_elements(By.CSS_SELECTOR, "#timeline li")
        self.assertGreaterEqual(len(steps), 3)
        self.assertIn("Çağrı alındı", steps[0].text)
        self.assertTrue(d.find_element(By.ID, "status").text)
        d.find_element(By.ID, "check").click()
        verdict = wait(d, lambda d: d.find_element(By.ID, "check-verdict").text, timeout=20)
        self.assertIn("Bütün adımlar imzalı kayıt defterinde", verdict)
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#timeline .check.ok")), len(steps))
        screenshot(d, SHOTS, "public-track-verified")
        # Each published step offers its proof; the file is a C2SP tlog-proof of that step.
        link = d.find_elements(By.CSS_SELECTOR, "#timeline a.proof-download")[0].get_attribute("href")
        proof = get(link.replace(URL, ""))
        self.assertTrue(proof.startswith("c2sp.org/tlog-proof@v1\nextra "))
        self.assertIn("\n\n", proof)
        self.assertEqual(console_errors(d, allow=("404",)), [])

    def test_the_crews_after_photo_shows_and_the_citizens_photo_does_not(self):
        d = self.driver
        call = {
            "callId": "browser-photo-1", "channel": "mobile-app", "operatorId": "op-app", "district": "Elbistan",
            "category": "fen-isleri.yol-cukuru",
            "caller": {"text": "Okulun önünde büyük bir çukur var, fotoğrafını ekledim", "phone": "0532 765 43 21"},
        }
        body, content_type = multipart([
            ("call", None, "application/json", json.dumps(call).encode()),
            ("photo", "cukur.jpg", "image/jpeg", fixture("gps.jpg")),
        ])
        ticket = send("/v1/calls", body, OPERATOR, content_type)["ticket"]
        for action, payload in (("acknowledge", {}), ("resolve", {"code": "repaired", "note": "Çukur asfaltlandı"})):
            send(f"/v1/tickets/{ticket}/{action}", json.dumps(payload).encode(), ROADS)
        after = send(f"/v1/tickets/{ticket}/photos?role=after", fixture("gps.png"), ROADS, "image/png")
        citizen = json.loads(get(f"/v1/tickets/{ticket}/photos", ROADS))["photos"][0]
        self.assertEqual(citizen["role"], "citizen")

        d.get(URL + f"/takip?no={ticket}")
        wait(d, lambda d: d.find_element(By.ID, "phone4")).send_keys("4321")
        d.find_element(By.ID, "submit").click()
        wait(d, lambda d: d.find_element(By.ID, "result"))
        images = d.find_elements(By.CSS_SELECTOR, "#after-photos img")
        self.assertEqual(len(images), 1)
        self.assertTrue(images[0].get_attribute("src").endswith(f"/v1/public/photos/{ticket}/{after['sha256']}"))
        # The browser really drew it: the image loaded and has the fixture's size.
        loaded = wait(d, lambda d: d.execute_script(
            "const i = document.querySelector('#after-photos img'); return i.complete && i.naturalWidth;"))
        self.assertEqual(loaded, after["width"])
        timeline = d.find_element(By.ID, "timeline").text
        self.assertIn("Gönderdiğiniz fotoğraf eklendi", timeline)
        self.assertIn("Ekip, işin bitmiş hâlinin fotoğrafını ekledi", timeline)
        self.assertNotIn(citizen["sha256"], d.page_source)
        screenshot(d, SHOTS, "public-track-after-photo")
        self.assertEqual(console_errors(d), [])


if __name__ == "__main__":
    run_tests()
