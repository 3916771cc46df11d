"""Shared helpers for Defter's browser tests: a headless Debian Chromium driven by chromedriver
through Selenium, a check that the page logged no console errors, and screenshots that are
checked not blank.

Used by tools/browser/test_*.py; nothing here knows about Defter's screens.
"""
import os
import struct
import sys
import unittest
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = os.environ.get("DEFTER_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("DEFTER_CHROMEDRIVER", "/usr/bin/chromedriver")


def new_browser(width=1366, height=768, lang="tr-TR"):
    """A fresh headless Chromium with its own profile (cookies, storage), logging the console."""
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", f"--lang={lang}", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait(driver, condition, timeout=10):
    """Waits until `condition(driver)` is truthy and returns its value."""
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def click(driver, by, value, timeout=10):
    """Clicks the element found by `by` and `value` once it is there, finding it again when the
    page replaced it between finding and clicking (a screen that renders again as its data
    arrives), as a person's click would land on whatever is there."""
    def attempt(d):
        try:
            d.find_element(by, value).click()
            return True
        except StaleElementReferenceException:
            return False
    return wait(driver, attempt, timeout)


def sign_in(driver, url, token):
    """Signs in to the console with the keyboard alone: the token, then Enter."""
    driver.get(url + "/console/signin")
    wait(driver, lambda d: d.find_element(By.ID, "token")).send_keys(token, Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "signout").is_displayed())


def run_tests():
    """Runs the module's unittest cases, prints `N passed, N failed` and exits non-zero on a failure."""
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed or result.testsRun == 0 else 0)


def console_errors(driver, allow=()):
    """The browser console's SEVERE entries since the last call, less those containing any of `allow`."""
    entries = driver.get_log("browser")
    return [e["message"] for e in entries
            if e.get("level") == "SEVERE" and not any(a in e["message"] for a in allow)]


def screenshot(driver, folder, name):
    """Saves a PNG of the viewport as folder/name.png and fails when it is blank (one colour)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.png")
    driver.save_screenshot(path)
    colours = png_colour_count(path)
    if colours < 2:
        raise AssertionError(f"screenshot {path} is blank ({colours} colour)")
    return path


def png_colour_count(path, limit=16):
    """How many distinct pixel values a PNG holds (stops counting at `limit`), standard library only."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError(f"{path} is not a PNG")
    pos, idat, width, height, colour_type, depth = 8, b"", 0, 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour_type)
    if depth != 8 or channels is None:
        return limit  # an unusual format: do not judge it
    raw = zlib.decompress(idat)
    stride = width * channels
    seen = set()
    previous = bytearray(stride)
    pos = 0
    for _ in range(height):
        filter_type = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        for x in range(0, stride, channels * 7):
            seen.add(bytes(line[x:x + channels]))
            if len(seen) >= limit:
                return len(seen)
        previous = line
    return len(seen)
