#!/usr/bin/env python3
"""The console in a real browser: headless Chromium (Debian's, driven by Selenium over its chromedriver) signs in
to a tenant's console, creates an application, reads its secret once (the copy button shown by the page's one
script, which the Content-Security-Policy allows by its hash), gets tokens with it by curl (and one refusal with a
wrong secret), waits for the application's chart to count them, and signs out. Screenshots go to OUTPUT. Prints one
JSON object of what happened.

usage: console.py BASE_URL TENANT USERNAME PASSWORD OUTPUT
"""
import json
import subprocess
import sys
import time
from pathlib import Path

import chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def curl_token(base, tenant, key, secret):
    """POST /t/TENANT/token with curl, as an operator would; the HTTP status."""
    done = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", f"{key}:{secret}",
         "-d", "grant_type=client_credentials", f"{base}/t/{tenant}/token"],
        capture_output=True, text=True, timeout=60, check=True)
    return int(done.stdout)


def chart_rows(browser, title):
    """The numbers of the chart `title` on the page: its data table's rows as [day, value, ...]."""
    figure = browser.find_element(By.XPATH, f'//figure[figcaption[normalize-space()="{title}"]]')
    rows = []
    for row in figure.find_elements(By.CSS_SELECTOR, "table.chart-data tbody tr"):
        cells = [cell.get_attribute("textContent").strip() for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
        rows.append([cells[0]] + [int(cell) for cell in cells[1:]])
    return rows


def main():
    base, tenant, username, password, output = sys.argv[1:6]
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    browser = chromium.start(1200, 1000)
    result = {}
    try:
        # Sign-in hashes the password on threads that run only on idle CPU: allow for a busy machine.
        wait = WebDriverWait(browser, 120)
        browser.get(f"{base}/console/?tenant={tenant}")
        result["sign_in_title"] = browser.title
        result["labelled"] = all(
            browser.find_elements(By.CSS_SELECTOR, f'label[for="{field}"]') for field in ["username", "password"])
        browser.save_screenshot(str(output / "1-sign-in.png"))
        browser.find_element(By.ID, "username").send_keys(username)
        browser.find_element(By.ID, "password").send_keys(password)
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait.until(expected_conditions.title_contains("Tenant"))
        result["overview_title"] = browser.title
        browser.save_screenshot(str(output / "2-overview.png"))

        browser.find_element(By.LINK_TEXT, "Applications").click()
        browser.find_element(By.LINK_TEXT, "Create an application").click()
        browser.find_element(By.ID, "name").send_keys("console app")
        browser.find_element(By.ID, "scopes").send_keys("read")
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait.until(expected_conditions.title_contains("Keys of"))
        result["keys_title"] = browser.title
        key = browser.find_element(By.ID, "consumer-key").get_attribute("value")
        secret = browser.find_element(By.ID, "consumer-secret").get_attribute("value")
        result["consumer_key"] = key
        # The copy buttons are hidden unless the page's script ran: the policy allowed it.
        copy = browser.find_element(By.CSS_SELECTOR, 'button[data-copy="consumer-secret"]')
        result["copy_button_shown"] = copy.is_displayed()
        copy.click()
        result["copy_button_after_click"] = copy.text
        browser.save_screenshot(str(output / "3-keys.png"))

        statuses = [curl_token(base, tenant, key, secret) for _ in range(3)]
        statuses.append(curl_token(base, tenant, key, "not-the-secret"))
        result["curl_statuses"] = statuses

        browser.find_element(By.LINK_TEXT, "Open the application").click()
        wait.until(expected_conditions.title_contains("console app"))
        result["secret_shown_again"] = secret in browser.page_source
        # Counts reach the database every ten seconds: reload until today's bar has them.
        deadline = time.monotonic() + 60
        while True:
            rows = chart_rows(browser, "Tokens per day")
            if (rows and rows[-1][1:] == [3, 1]) or time.monotonic() > deadline:
                break
            time.sleep(2)
            browser.refresh()
        result["token_chart"] = rows
        result["registered_chart"] = chart_rows(browser, "Registered users")
        result["chart_drawn"] = len(browser.find_elements(By.CSS_SELECTOR, "figure svg rect")) > 0
        figure = browser.find_element(By.CSS_SELECTOR, "figure")
        browser.execute_script("arguments[0].scrollIntoView()", figure)
        browser.save_screenshot(str(output / "4-application.png"))
        result["console_errors"] = chromium.severe_messages(browser)

        browser.find_element(By.XPATH, '//header//button[starts-with(normalize-space(), "Sign out")]').click()
        wait.until(expected_conditions.title_contains("Sign in"))
        browser.get(f"{base}/t/{tenant}/console/applications")
        result["after_sign_out_title"] = browser.title
        browser.save_screenshot(str(output / "5-signed-out.png"))
    finally:
        browser.quit()
    result["screenshots"] = sorted(path.name for path in output.glob("*.png"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
