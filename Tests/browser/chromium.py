"""Headless Chromium as the browser tests drive it: Debian's chromium and chromedriver, the browser's console log
kept (a Content-Security-Policy violation shows there), and a page load timeout long enough for a sign-in whose
bcrypt runs only on idle CPU."""
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def start(width=1000, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    browser.set_page_load_timeout(120)
    return browser


def severe_messages(browser):
    """What the browser refused or failed, from its console log."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
