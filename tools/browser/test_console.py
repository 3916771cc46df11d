#!/usr/bin/env python3
"""The staff console end to end, in headless Chromium against a real `defter serve`
(tools/test_console.sh starts it on a seeded folder and sets the environment):

DEFTER_URL, DEFTER_TOKEN_OPERATOR, DEFTER_TOKEN_ROADS (department:fen-isleri),
DEFTER_TOKEN_CLEANING (department:temizlik), DEFTER_TOKEN_OFFICER, DEFTER_SCREENSHOTS.

The cases run in order and share the ticket the operator records. Each screen is screenshotted
(and checked not blank) and must leave nothing in the browser console. Timings are printed,
never asserted, except the issue's functional bound: the queue shows a new call within 2 s."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from browser import new_browser, console_errors, run_tests, screenshot, sign_in as browser_sign_in, wait  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

URL = os.environ.get("DEFTER_URL", "http://127.0.0.1:8153")
SHOTS = os.environ.get("DEFTER_SCREENSHOTS", "/tmp/defter-console-screenshots")
TOKENS = {k: os.environ.get(f"DEFTER_TOKEN_{k.upper()}", "") for k in ("operator", "roads", "cleaning", "officer")}
POTHOLE = "Mahallemizdeki ana caddede büyük bir çukur oluştu, asfalt tamamen bozuldu"


def sign_in(driver, token):
    browser_sign_in(driver, URL, token)


def text_of(driver, element_id, timeout=10):
    return wait(driver, lambda d: d.find_element(By.ID, element_id).text or None, timeout)


def api_status(driver, path):
    """The HTTP status of a GET from inside the page (so with its session cookie)."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status), () => done(0));", path)


class Console(unittest.TestCase):
    ticket = None
    browsers = {}

    @classmethod
    def setUpClass(cls):
        for role in ("operator", "roads", "cleaning", "officer"):
            cls.browsers[role] = new_browser()
        for role, driver in cls.browsers.items():
            sign_in(driver, TOKENS[role])

    @classmethod
    def tearDownClass(cls):
        for driver in cls.browsers.values():
            driver.quit()

    def clean_console(self, driver, screen, expected_status=None):
        """Screenshots the screen and checks the browser console stayed empty (but for the one
        refusal the case expects, which Chromium logs as a failed resource)."""
        screenshot(driver, SHOTS, screen)
        allow = (f"status of {expected_status}",) if expected_status else ()
        self.assertEqual(console_errors(driver, allow=allow), [], f"the browser console logged errors on {screen}")

    def test_01_operator_records_a_call_with_the_keyboard_and_the_queue_shows_it_live(self):
        operator, roads = self.browsers["operator"], self.browsers["roads"]
        roads.get(URL + "/console/queue")
        wait(roads, lambda d: "on" in d.find_element(By.ID, "queue-live").get_attribute("class"))
        roads.execute_script("window.__notReloaded = true;")
        timing = roads.execute_script(
            "const n = performance.getEntriesByType('navigation')[0]; const v = performance.getEntriesByName('defter:queue-visible')[0];"
            "return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd, visible: v ? v.startTime : null, bytes: n.transferSize};")
        print(f"queue navigation timing (ms): {json.dumps(timing)}", file=sys.stderr)
        self.clean_console(roads, "queue-before")

        operator.get(URL + "/console/call")
        wait(operator, lambda d: d.find_element(By.ID, "call-name"))
        keys = operator.switch_to.active_element
        self.assertEqual(keys.get_attribute("id"), "call-name", "the form starts in the caller's name")
        keys.send_keys("Ayşe Yılmaz", Keys.TAB, "0532 123 45 67", Keys.TAB, "10000000146", Keys.TAB, "Onikişubat", Keys.TAB,
                       "Hayrullah", Keys.TAB, "Atatürk Caddesi 12", Keys.TAB, POTHOLE)
        self.assertIn("+90 532 123 45 67", text_of(operator, "call-phone-msg"))
        self.assertIn("geçerli", text_of(operator, "call-nationalId-msg"))
        suggestion = wait(operator, lambda d: "Fen İşleri" in d.find_element(By.ID, "suggestion").text)
        self.assertTrue(suggestion)
        marked = [m.text for m in operator.find_elements(By.CSS_SELECTOR, "#highlighted mark")]
        self.assertIn("çukur", marked, "the deciding words are marked in the text")
        self.clean_console(operator, "call-typed")
        submitted = time.monotonic()
        operator.switch_to.active_element.send_keys(Keys.CONTROL, Keys.ENTER)
        number = text_of(operator, "ticket-number")
        self.assertRegex(number, r"^\d{4}-\d{6}$")
        self.assertIn("Tahmini tamamlanma", text_of(operator, "ticket-due"))
        Console.ticket = number
        self.clean_console(operator, "call-recorded")

        wait(roads, lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-ticket="{number}"]'), timeout=2)
        print(f"commit to queue row: {(time.monotonic() - submitted) * 1000:.0f} ms", file=sys.stderr)
        self.assertTrue(roads.execute_script("return window.__notReloaded === true"), "the queue updated without a reload")
        self.clean_console(roads, "queue-live")

    def test_02_a_retry_of_the_same_form_makes_no_second_ticket(self):
        operator = self.browsers["operator"]
        before = operator.execute_script("return JSON.parse(sessionStorage.getItem('defter.callDraft'))")
        self.assertIsNone(before, "a recorded call leaves no draft behind")
        operator.find_element(By.ID, "call-new").send_keys(Keys.ENTER)
        field = wait(operator, lambda d: d.find_element(By.ID, "call-text"))
        operator.find_element(By.ID, "call-district").send_keys("Elbistan")
        field.send_keys("Sokağımızdaki çöpler üç gündür toplanmadı")
        call_id = operator.execute_script("return JSON.parse(sessionStorage.getItem('defter.callDraft')).callId")
        # Two submits at once: the button is disabled while the first is in flight; the server's
        # callId makes a retry the same ticket anyway.
        operator.execute_script("document.getElementById('call-form').requestSubmit(); document.getElementById('call-form').requestSubmit();")
        first = text_of(operator, "ticket-number")
        again = operator.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/v1/calls', {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({callId: arguments[0], channel: 'phone', operatorId: 'op', district: 'Elbistan', caller: {text: 'x'}})})"
            ".then(r => r.json().then(b => done([r.status, b.ticket])));", call_id)
        self.assertEqual(again, [200, first])

    def test_03_the_department_works_the_ticket_and_a_stale_tab_keeps_its_note(self):
        roads = self.browsers["roads"]
        number = Console.ticket
        self.assertIsNotNone(number)
        roads.get(URL + f"/console/ticket/{number}")
        wait(roads, lambda d: d.find_element(By.ID, "action-acknowledge"))
        main_tab = roads.current_window_handle
        roads.switch_to.new_window("tab")
        roads.get(URL + f"/console/ticket/{number}")
        wait(roads, lambda d: d.find_element(By.ID, "note-text"))
        stale_tab = roads.current_window_handle
        roads.switch_to.window(main_tab)
        for action in ("acknowledge", "start"):
            wait(roads, lambda d: d.find_element(By.CSS_SELECTOR, f"#action-{action} button")).click()
            wait(roads, lambda d: not d.find_elements(By.ID, f"action-{action}"))
        wait(roads, lambda d: d.find_element(By.ID, "resolve-template")).send_keys(Keys.ARROW_DOWN)
        self.assertTrue(roads.find_element(By.ID, "resolve-note").get_attribute("value"), "a reply template fills the note")
        self.clean_console(roads, "ticket-resolving")
        roads.find_element(By.CSS_SELECTOR, "#action-resolve button[type=submit]").click()
        wait(roads, lambda d: "Çözüldü" in d.find_element(By.ID, "ticket-facts").text)
        self.clean_console(roads, "ticket-resolved")

        roads.switch_to.window(stale_tab)
        note = "Ekip yarın sabah tekrar bakacak"
        roads.find_element(By.ID, "note-text").send_keys(note)
        roads.find_element(By.ID, "note-internal").click()
        roads.find_element(By.ID, "note-submit").click()
        message = text_of(roads, "conflict-message")
        self.assertIn("değişti", message)
        self.assertIn("department.fen-isleri", message, "it says who changed the ticket")
        self.assertEqual(roads.find_element(By.ID, "note-text").get_attribute("value"), note, "the typed note is kept")
        self.clean_console(roads, "ticket-conflict", expected_status=409)
        roads.find_element(By.ID, "conflict-reload").click()
        wait(roads, lambda d: "Çözüldü" in d.find_element(By.ID, "ticket-facts").text)
        self.assertEqual(roads.find_element(By.ID, "note-text").get_attribute("value"), note, "reloading keeps the typed note")
        roads.close()
        roads.switch_to.window(main_tab)

    def test_04_a_note_with_markup_is_shown_as_text(self):
        roads = self.browsers["roads"]
        roads.get(URL + f"/console/ticket/{Console.ticket}")
        markup = "<script>alert(1)</script> <b>kalın değil</b>"
        wait(roads, lambda d: d.find_element(By.ID, "note-text")).send_keys(markup)
        roads.find_element(By.ID, "note-public").click()
        roads.find_element(By.ID, "note-submit").click()
        notes = "return [...document.querySelectorAll('#ticket-timeline .note-text')].map(e => e.textContent).filter(t => t.includes('script'))"
        shown = wait(roads, lambda d: d.execute_script(notes))
        self.assertIn(markup, shown)
        self.assertEqual(roads.find_elements(By.CSS_SELECTOR, "#ticket-timeline b"), [])
        with self.assertRaises(NoAlertPresentException):
            roads.switch_to.alert.text
        self.clean_console(roads, "ticket-note-markup")

    def test_04b_the_department_attaches_an_after_photo_and_sees_it_without_its_gps(self):
        roads = self.browsers["roads"]
        roads.get(URL + f"/console/ticket/{Console.ticket}")
        photo = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "DefterImagesTests", "Fixtures", "gps.jpg")
        wait(roads, lambda d: d.find_element(By.ID, "photo-after")).send_keys(os.path.realpath(photo))
        roads.find_element(By.CSS_SELECTOR, "#photo-upload button[type=submit]").click()
        loaded = "const i = document.querySelector('#ticket-photos figure[data-role=after] img'); return i && i.complete && i.naturalWidth"
        self.assertEqual(wait(roads, lambda d: d.execute_script(loaded)), 48, "the thumbnail shows the uploaded photo")
        leftover = roads.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const url = document.querySelector('#ticket-photos figure[data-role=after] img').src;"
            "fetch(url, {credentials: 'same-origin'}).then(r => r.arrayBuffer()).then(b => {"
            "  const text = new TextDecoder('latin1').decode(b); done(['Exif', 'SERIAL-12345', 'xpacket'].filter(m => text.includes(m)));"
            "}, () => done(['fetch failed']));")
        self.assertEqual(leftover, [], "the served photo holds no EXIF, serial or XMP")
        self.clean_console(roads, "ticket-after-photo")

    def test_05_another_department_is_refused_in_words(self):
        cleaning = self.browsers["cleaning"]
        cleaning.get(URL + f"/console/ticket/{Console.ticket}")
        self.assertIn("başka bir birime ait", text_of(cleaning, "ticket-refusal"))
        self.assertEqual(api_status(cleaning, f"/v1/tickets/{Console.ticket}"), 403)
        self.clean_console(cleaning, "ticket-other-department", expected_status=403)

    def test_06_a_screen_of_another_role_says_so(self):
        operator = self.browsers["operator"]
        operator.get(URL + "/console/audit")
        body = wait(operator, lambda d: d.find_element(By.ID, "main").text)
        self.assertIn("rolünüz için değil", body)
        self.assertIn("Denetçi", body)
        nav = operator.find_element(By.ID, "nav").text
        self.assertNotIn("Denetim", nav, "a screen the role may not use is not offered")
        self.clean_console(operator, "forbidden-screen")

    def test_07_triage_statistics_and_english(self):
        operator, officer = self.browsers["operator"], self.browsers["officer"]
        operator.get(URL + "/console/triage")
        wait(operator, lambda d: d.find_element(By.CSS_SELECTOR, "#triage-table tbody tr"))
        self.clean_console(operator, "triage")
        officer.get(URL + "/console/stats")
        wait(officer, lambda d: d.find_element(By.CSS_SELECTOR, "#stats-table tbody tr"))
        self.assertIn("Fen İşleri", officer.find_element(By.ID, "stats-table").text)
        self.clean_console(officer, "stats")
        officer.find_element(By.ID, "lang").click()
        wait(officer, lambda d: "Statistics" in d.find_element(By.ID, "main").text)
        self.assertEqual(officer.execute_script("return document.documentElement.lang"), "en")
        self.clean_console(officer, "stats-english")
        officer.find_element(By.ID, "lang").click()
        officer.get(URL + "/console/")
        wait(officer, lambda d: d.find_element(By.CSS_SELECTOR, ".tiles a"))
        self.clean_console(officer, "home")

    def test_08_the_sign_in_page_refuses_a_wrong_token_in_words(self):
        driver = new_browser()
        try:
            driver.get(URL + "/console/queue")
            wait(driver, lambda d: d.find_element(By.ID, "token")).send_keys("dft_wrong", Keys.ENTER)
            self.assertIn("geçerli değil", text_of(driver, "signin-error"))
            screenshot(driver, SHOTS, "signin-refused")
            self.assertEqual(console_errors(driver, allow=("status of 401",)), [])
            driver.find_element(By.ID, "token").clear()
            driver.find_element(By.ID, "token").send_keys(TOKENS["roads"], Keys.ENTER)
            wait(driver, lambda d: d.current_url.endswith("/console/queue"), timeout=5)
            wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#queue-table tbody tr"))
            driver.find_element(By.ID, "signout").click()
            wait(driver, lambda d: d.find_element(By.ID, "token"))
            self.assertEqual(api_status(driver, "/v1/catalog"), 401, "signed out")
        finally:
            driver.quit()


if __name__ == "__main__":
    run_tests()
