#!/usr/bin/env python3
"""Imported tickets in the staff console, in headless Chromium against a real `defter serve` on a
data folder holding only an import of the Turkish CRM fixture (tools/test_console.sh sets it up):

DEFTER_IMPORT_URL, DEFTER_IMPORT_TOKEN (department:temizlik), DEFTER_IMPORT_TICKET (an open
imported ticket of temizlik), DEFTER_IMPORT_SOURCE (its id in the source), DEFTER_SCREENSHOTS.

A clerk must see at a glance that a ticket came from the previous system and which record it
was, and work it like any other."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from browser import new_browser, console_errors, run_tests, screenshot, sign_in, wait  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

URL = os.environ.get("DEFTER_IMPORT_URL", "http://127.0.0.1:8153")
TOKEN = os.environ.get("DEFTER_IMPORT_TOKEN", "")
TICKET = os.environ.get("DEFTER_IMPORT_TICKET", "")
SOURCE = os.environ.get("DEFTER_IMPORT_SOURCE", "")
SHOTS = os.environ.get("DEFTER_SCREENSHOTS", "/tmp/defter-console-screenshots")


class ImportedTickets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.driver = new_browser()
        sign_in(cls.driver, URL, TOKEN)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()

    def test_1_the_queue_holds_the_imported_open_ticket(self):
        driver = self.driver
        driver.get(URL + "/console/queue")
        wait(driver, lambda d: TICKET in d.find_element(By.ID, "queue-table").text, timeout=15)
        screenshot(driver, SHOTS, "import-queue")
        self.assertEqual(console_errors(driver), [])

    def test_2_the_ticket_says_where_it_came_from_and_the_timeline_starts_with_the_import(self):
        driver = self.driver
        driver.get(URL + f"/console/ticket/{TICKET}")
        source = wait(driver, lambda d: d.find_element(By.ID, "ticket-source").text or None)
        self.assertIn("kahramanmaras-crm", source)
        self.assertIn(SOURCE, source)
        self.assertIn("bu defterin tanıklığı değildir", source, "the clerk is told the times are the old system's")
        first = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#ticket-timeline li strong").text or None)
        self.assertEqual(first, "Eski sistemden aktarıldı")
        screenshot(driver, SHOTS, "import-ticket")
        self.assertEqual(console_errors(driver), [])

    def test_3_the_department_works_it_like_any_other(self):
        driver = self.driver
        driver.get(URL + f"/console/ticket/{TICKET}")
        wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#action-acknowledge button")).click()
        wait(driver, lambda d: "Birim aldı" in d.find_element(By.ID, "ticket-facts").text
             or "acknowledged" in d.find_element(By.ID, "ticket-facts").text.lower()
             or not d.find_elements(By.ID, "action-acknowledge"))
        screenshot(driver, SHOTS, "import-ticket-acknowledged")
        self.assertEqual(console_errors(driver), [])


if __name__ == "__main__":
    run_tests()
