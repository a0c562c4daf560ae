#!/usr/bin/env python3
"""Drives Warden's dashboard in Debian's headless Chromium (selenium + /usr/bin/chromedriver).

Usage: dashboard_check.py --url http://127.0.0.1:PORT --token-file FILE --leaky NAME --steady NAME --out DIR

Checks, in order: the login form; a leaking worker shown rising to `critical` without a page reload; Restart
restarting a worker after a confirmation (its pid changes); the process page's charts drawing from history (with severity bands);
the legend's swatches matching the bands, UTC times, reasons in words, no line across a gap in the samples;
the pools and alerts pages; 1280 px and 390 px layouts (screenshots in DIR); the keyboard's first stop (the
skip link); logout; no console errors. Prints one JSON line of findings; exits 1 with the reason on failure.
"""
import argparse
import json
import re
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def wait(what, timeout, condition, interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # the element may not exist yet
            last = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f" ({last})" if last else ""))


def browser(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--no-first-run", "--disable-extensions"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def finish(findings, errors):
    """Fails on console errors, else prints the findings with ok = true."""
    if errors:
        raise AssertionError("console errors: " + "; ".join(errors))
    findings["ok"] = True
    print(json.dumps(findings))


def fail(driver, screenshot, findings, errors, error):
    """Saves `screenshot`, prints the findings with ok = false and the reason, exits 1."""
    try:
        driver.save_screenshot(screenshot)
    except Exception:
        pass
    findings.update(ok=False, error=f"{type(error).__name__}: {error}", console=errors)
    print(json.dumps(findings))
    sys.exit(1)


def cell(driver, name, field):
    row = driver.find_element(By.CSS_SELECTOR, f'tr[data-process="{name}"]')
    return row.find_element(By.CSS_SELECTOR, f'td[data-field="{field}"]').text.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--leaky", required=True)
    parser.add_argument("--steady", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    token = open(args.token_file).read().strip()
    findings = {}
    errors = []
    driver = browser(1280, 900)
    try:
        def console_errors():
            for entry in driver.get_log("browser"):
                if entry["level"] == "SEVERE":
                    errors.append(entry["message"])

        # Login: a page asks for the token first.
        driver.get(args.url + "/")
        wait("the login form", 10, lambda: driver.current_url.endswith("/login"))
        field = driver.find_element(By.CSS_SELECTOR, 'input[name="token"]')
        assert field.get_attribute("type") == "password", "the token field is not a password field"
        field.send_keys("wrong-token")
        field.submit()
        wait("the refusal", 10, lambda: "Wrong token" in driver.page_source)
        driver.get_log("browser")  # the refused login's 401 is expected; later errors are not
        driver.find_element(By.CSS_SELECTOR, 'input[name="token"]').send_keys(token + Keys.ENTER)
        wait("the overview", 10, lambda: driver.find_element(By.CSS_SELECTOR, f'tr[data-process="{args.leaky}"]'))
        findings["login"] = True
        console_errors()

        # Live: the leaking worker (autostart = false) is started from the page and reaches critical with no
        # reload (a marker set in the page survives).
        driver.execute_script("window.__sameDocument = 'yes'")
        leaky_row = driver.find_element(By.CSS_SELECTOR, f'tr[data-process="{args.leaky}"]')
        wait(f"{args.leaky} stopped", 10, lambda: cell(driver, args.leaky, "state") == "STOPPED")
        # No process: no grade and no growth, as `warden status` (not the last ones seen).
        assert cell(driver, args.leaky, "severity") == "—" and cell(driver, args.leaky, "growth") == "—", \
            (cell(driver, args.leaky, "severity"), cell(driver, args.leaky, "growth"))
        # Times are UTC, 24-hour, and say so.
        wait("the live clock in UTC", 10, lambda: re.fullmatch(r"live · \d\d:\d\d:\d\d UTC", driver.find_element(By.ID, "live").text))
        leaky_row.find_element(By.CSS_SELECTOR, 'button[data-action="start"]').click()
        seen = []

        def critical():
            severity = cell(driver, args.leaky, "severity")
            if not seen or seen[-1] != severity:
                seen.append(severity)
            return severity == "critical"
        wait(f"{args.leaky} to be shown critical", 90, critical, interval=0.25)
        assert driver.execute_script("return window.__sameDocument") == "yes", "the page was reloaded"
        assert driver.execute_script("return performance.getEntriesByType('navigation').length") == 1
        findings["severities_seen"] = seen
        assert len(seen) >= 2, f"critical was never preceded by a lower grade on the page: {seen}"
        row = driver.find_element(By.CSS_SELECTOR, f'tr[data-process="{args.leaky}"]')
        badge = row.find_element(By.CSS_SELECTOR, ".sev")
        findings["critical_colour"] = badge.value_of_css_property("background-color")
        assert "sev-critical" in badge.get_attribute("class")
        cleanup = row.find_element(By.CSS_SELECTOR, 'button[data-action="cleanup"]')
        assert cleanup.is_displayed(), "no cleanup button where cleanup_signal is set"
        steady_row = driver.find_element(By.CSS_SELECTOR, f'tr[data-process="{args.steady}"]')
        assert not steady_row.find_element(By.CSS_SELECTOR, 'button[data-action="cleanup"]').is_displayed()
        time.sleep(1.5)  # let the recommendations arrive
        driver.save_screenshot(f"{args.out}/overview-1280.png")

        # Restart: the steady worker's pid changes.
        before = cell(driver, args.steady, "pid")
        steady_row.find_element(By.CSS_SELECTOR, 'button[data-action="restart"]').click()
        # Restart asks first (a modal dialog, focus on Cancel); the confirm button goes ahead.
        wait("the confirmation dialog", 5, lambda: driver.find_element(By.CSS_SELECTOR, "dialog#confirm[open]"))
        assert "Restart " + args.steady in driver.find_element(By.ID, "confirm-q").text
        driver.find_element(By.CSS_SELECTOR, 'dialog#confirm button[value="confirm"]').click()
        wait("a new pid after Restart", 30,
             lambda: cell(driver, args.steady, "pid") not in (before, "—") and cell(driver, args.steady, "state") == "RUNNING")
        findings["restart_pids"] = [before, cell(driver, args.steady, "pid")]
        status = driver.find_element(By.ID, "status").text
        assert "Restart" in status, f"no announcement of the restart: {status!r}"
        console_errors()

        # Process page: charts from history, severity bands, the verdict's evidence.
        driver.find_element(By.LINK_TEXT, args.leaky).click()
        wait("the RSS chart with points", 20, lambda: int(driver.find_element(
            By.CSS_SELECTOR, 'svg[data-chart="rss"]').get_attribute("data-points")) >= 5)
        for chart in ("rss", "fds", "threads"):
            path = driver.find_element(By.CSS_SELECTOR, f'svg[data-chart="{chart}"] path.line').get_attribute("d")
            assert path.count("L") >= 4, f"{chart} chart has no line: {path!r}"
        findings["rss_points"] = int(driver.find_element(By.CSS_SELECTOR, 'svg[data-chart="rss"]').get_attribute("data-points"))
        wait("a severity band", 20, lambda: driver.find_elements(By.CSS_SELECTOR, 'svg[data-chart="rss"] rect.band'))
        findings["bands"] = sorted({e.get_attribute("class") for e in driver.find_elements(By.CSS_SELECTOR, 'svg[data-chart="rss"] rect.band')})
        wait("the leak verdict's evidence", 20, lambda: driver.find_elements(By.CSS_SELECTOR, "#evidence dl[data-verdict]"))
        # The legend's swatches have the colours of the bands drawn; times are UTC; reasons are words.
        for band in driver.find_elements(By.CSS_SELECTOR, 'svg[data-chart="rss"] rect.band'):
            grade = band.get_attribute("class").split("band-")[1]
            fill = driver.execute_script("return getComputedStyle(arguments[0]).fill", band)
            swatch = driver.execute_script(f"return getComputedStyle(document.querySelector('.legend .l-{grade}')).backgroundColor")
            assert fill == swatch, f"band {grade} is {fill}, its legend swatch {swatch}"
        assert "times in UTC" in driver.find_element(By.CSS_SELECTOR, ".legend").text
        when = driver.find_element(By.CSS_SELECTOR, "#evidence dl").text
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", when), when
        facts = driver.find_element(By.CSS_SELECTOR, "dl.facts").text
        assert "start-seconds-elapsed" not in facts, facts
        # A line is not drawn across a pause in the samples (the worker stopped): two runs, two subpaths.
        runs = driver.execute_script("""
            const pts = [0, 1, 2, 3, 60, 61, 62].map(t => ({t: 1000 + t, v: t}));
            const svg = W.chart({id: 'gap', title: 'gap', format: String, points: pts, range: [1000, 1062], width: 600});
            return [W.runs(pts).length, (svg.querySelector('path.line').getAttribute('d').match(/M/g) || []).length];""")
        assert runs == [2, 2], f"runs and subpaths across a gap: {runs}"
        findings["legend_matches_bands"] = True

        driver.find_element(By.CSS_SELECTOR, '.ranges button[data-hours="0.25"]').click()
        driver.set_window_size(1280, 1900)  # the whole page: three charts, the evidence, the events
        time.sleep(2.5)
        driver.save_screenshot(f"{args.out}/process-1280.png")
        driver.set_window_size(1280, 900)
        console_errors()

        driver.find_element(By.LINK_TEXT, "Pools").click()
        wait("the pools page", 10, lambda: "Connection pools" in driver.find_element(By.TAG_NAME, "h1").text)
        time.sleep(1)
        driver.save_screenshot(f"{args.out}/pools-1280.png")
        driver.find_element(By.PARTIAL_LINK_TEXT, "Alerts").click()
        wait("the alerts page", 10, lambda: driver.find_element(By.TAG_NAME, "h1").text == "Alerts")
        time.sleep(1)
        driver.save_screenshot(f"{args.out}/alerts-1280.png")
        console_errors()

        # 390 px: the overview and the process page still fit.
        driver.set_window_size(390, 844)
        driver.get(args.url + "/")
        wait("the overview at 390 px", 10, lambda: driver.find_element(By.CSS_SELECTOR, f'tr[data-process="{args.leaky}"] .sev'))
        time.sleep(1)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the overview scrolls sideways at 390 px by {overflow} px"
        driver.save_screenshot(f"{args.out}/overview-390.png")
        driver.get(args.url + "/process/" + args.leaky)
        wait("the chart at 390 px", 20, lambda: int(driver.find_element(
            By.CSS_SELECTOR, 'svg[data-chart="rss"]').get_attribute("data-points")) >= 5)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the process page scrolls sideways at 390 px by {overflow} px"
        driver.save_screenshot(f"{args.out}/process-390.png")

        # Keyboard: the first Tab lands on the skip link, Enter moves to the content.
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        assert driver.switch_to.active_element.text == "Skip to content"
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        findings["keyboard"] = driver.switch_to.active_element.get_attribute("id")
        console_errors()

        # Logout ends the session.
        driver.set_window_size(1280, 900)
        driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
        wait("the login form after logout", 10, lambda: driver.current_url.endswith("/login"))
        driver.get(args.url + "/")
        wait("a redirect to the login form", 10, lambda: driver.current_url.endswith("/login"))
        findings["logout"] = True
        console_errors()
        finish(findings, errors)
    except Exception as error:
        fail(driver, f"{args.out}/failure.png", findings, errors, error)
    finally:
        driver.quit()

if __name__ == "__main__":
    main()
