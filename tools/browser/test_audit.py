#!/usr/bin/env python3
"""The audit screens in headless Chromium against a real `defter serve`: a ticket's proofs and
the checkpoint's signature verified in the browser; the same page fed a proof with one byte
changed (by the test, through the DevTools protocol, not by anything in the console) must say
which step failed; the checkpoints screen verifies every consistency proof.

Environment: DEFTER_URL, DEFTER_TOKEN_AUDITOR, DEFTER_TICKET (covered by a checkpoint), DEFTER_SCREENSHOTS."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from browser import new_browser, console_errors, run_tests, screenshot, sign_in as browser_sign_in, wait  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

URL = os.environ.get("DEFTER_URL", "http://127.0.0.1:8153")
SHOTS = os.environ.get("DEFTER_SCREENSHOTS", "/tmp/defter-console-screenshots")
TOKEN = os.environ.get("DEFTER_TOKEN_AUDITOR", "")
TICKET = os.environ.get("DEFTER_TICKET", "2025-000042")

# Wraps fetch before any page script runs: the history's first proof hash gets one byte changed.
TAMPER = """
const original = window.fetch;
window.fetch = async (...args) => {
  const response = await original(...args);
  if (!String(args[0]).includes('/history')) return response;
  const body = await response.json();
  const hash = Uint8Array.from(atob(body.events[0].proof.path[0]), c => c.charCodeAt(0));
  hash[5] ^= 0x01;
  body.events[0].proof.path[0] = btoa(String.fromCharCode(...hash));
  return new Response(JSON.stringify(body), {status: 200, headers: {'Content-Type': 'application/json'}});
};
"""


def sign_in(driver):
    browser_sign_in(driver, URL, TOKEN)


def result_of(driver):
    element = wait(driver, lambda d: d.find_element(By.ID, "audit-result"), timeout=20)
    return element.get_attribute("data-result"), element.text


class Audit(unittest.TestCase):
    def test_1_a_ticket_verifies_in_the_browser(self):
        driver = new_browser()
        try:
            sign_in(driver)
            driver.get(URL + f"/console/audit/{TICKET}")
            result, text = result_of(driver)
            self.assertEqual(result, "verified", text)
            self.assertIn("Bu tarayıcıda doğrulandı", text)
            marks = driver.find_elements(By.CSS_SELECTOR, "#audit-table .check-ok")
            self.assertGreater(len(marks), 1)
            screenshot(driver, SHOTS, "audit-verified")
            self.assertEqual(console_errors(driver), [])
        finally:
            driver.quit()

    def test_2_a_proof_with_one_byte_changed_fails_naming_the_step(self):
        driver = new_browser()
        try:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TAMPER})
            sign_in(driver)
            driver.get(URL + f"/console/audit/{TICKET}")
            result, text = result_of(driver)
            self.assertEqual(result, "failed", text)
            self.assertIn("BAŞARISIZ", text)
            self.assertIn("kök", text, "it says the computed root differs")
            self.assertEqual(len(driver.find_elements(By.CSS_SELECTOR, "#audit-table .check-bad")), 1, "exactly the changed event fails")
            screenshot(driver, SHOTS, "audit-tampered")
            self.assertEqual(console_errors(driver), [])
        finally:
            driver.quit()

    def test_3_every_checkpoint_is_consistent_with_the_one_before(self):
        driver = new_browser()
        try:
            sign_in(driver)
            driver.get(URL + "/console/checkpoints")
            element = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#cp-result [data-result]"), timeout=20)
            self.assertEqual(element.get_attribute("data-result"), "verified", element.text)
            rows = driver.find_elements(By.CSS_SELECTOR, "#cp-table tbody tr")
            self.assertGreaterEqual(len(rows), 2, "the test folder has two checkpoints")
            self.assertGreaterEqual(len(driver.find_elements(By.CSS_SELECTOR, "#cp-table .check-ok")), 3)
            screenshot(driver, SHOTS, "checkpoints")
            self.assertEqual(console_errors(driver), [])
        finally:
            driver.quit()


if __name__ == "__main__":
    run_tests()
