#!/usr/bin/env python3
"""Drives Warden's dashboard in headless Chromium against a Warden with data: a PostgreSQL collector, a pool
past 80 %, an idle transaction, a leaking worker (`on_critical = "alert"`) and a crash-looping one.

Usage: data_check.py --url URL --token-file FILE --out DIR --pool-holder NAME --idle-tx NAME --leaky NAME --looper NAME

Checks: the overview's grade notes (first grade / provisional) and the LOOP flag; the pools page (usage
chart with points against the 80 % / 95 % lines, per-worker attribution with the backends' memory,
`unattributed`, the long-running transaction); the alerts page (a real pool alert and a process alert with
their reason / occurrences / evidence, Acknowledge and Snooze through the UI, an acknowledged alert still
shown, quiet, and out of the badge's count); Stop asking for confirmation, answered with the keyboard
(Esc cancels, Tab + Enter confirms); a stopped worker shown without grade or growth; exits in the events
with their exit status; 404 pages that say what is missing (`no such process: nosuch`, a malformed name, an
unknown path) without action buttons; screenshots of every page at 1280 and 390 px; no console errors.
Prints one JSON line of findings; exits 1 with the reason on failure.
"""
import argparse
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from dashboard_check import browser, cell, fail, finish, wait


def main():
    parser = argparse.ArgumentParser()
    for name in ("--url", "--token-file", "--out", "--pool-holder", "--idle-tx", "--leaky", "--looper"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    token = open(args.token_file).read().strip()
    findings = {}
    errors = []
    driver = browser(1280, 900)

    def console_errors():
        for entry in driver.get_log("browser"):
            if entry["level"] == "SEVERE":
                errors.append(entry["message"])

    def css(selector, root=None):
        return (root or driver).find_element(By.CSS_SELECTOR, selector)

    def csss(selector, root=None):
        return (root or driver).find_elements(By.CSS_SELECTOR, selector)

    def overflow():
        return driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")

    def shot(name, full_height=None):
        if full_height:
            width = driver.get_window_size()["width"]
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(width, max(full_height, height + 140))
            time.sleep(1.2)
        driver.save_screenshot(f"{args.out}/{name}.png")

    try:
        driver.get(args.url + "/login")
        css('input[name="token"]').send_keys(token + Keys.ENTER)
        wait("the overview", 10, lambda: css(f'tr[data-process="{args.leaky}"]'))

        # Provisional grades: the leaky worker shows "first grade in …", then "provisional …", then critical.
        notes = []

        def graded_critical():
            note = css(f'tr[data-process="{args.leaky}"] td[data-field="severity"] .note').text
            kind = note.split(" ")[0] if note else ""
            if kind and (not notes or notes[-1] != kind):
                notes.append(kind)
            return cell(driver, args.leaky, "severity").startswith("critical") and not note
        wait(f"{args.leaky} critical (final)", 90, graded_critical, interval=0.3)
        findings["grade_notes"] = notes
        assert "first" in notes and "provisional" in notes, f"grade notes seen: {notes}"

        # The LOOP flag on the crash-looping worker, with its restarts and reason in the title.
        loop = wait("the LOOP flag", 60, lambda: [e for e in csss(f'tr[data-process="{args.looper}"] .loop') if e.is_displayed()])[0]
        findings["loop_title"] = loop.get_attribute("title")
        assert findings["loop_title"].startswith("restart loop: "), findings["loop_title"]
        time.sleep(2)
        shot("overview-data-1280")
        console_errors()

        # Pools page: a chart of usage with points over the 80 % line, attribution, backend memory.
        driver.find_element(By.LINK_TEXT, "Pools").click()
        section = wait("a pool section", 20, lambda: css("section[data-pool]"))
        wait("usage points", 30, lambda: int(css('svg[data-chart="pool-usage"]').get_attribute("data-points")) >= 3)
        labels = [t.text for t in csss('svg[data-chart="pool-usage"] text')]
        assert "80 %" in labels and "95 %" in labels, f"reference lines missing: {labels}"
        assert csss('svg[data-chart="pool-usage"] .ref-80') and csss('svg[data-chart="pool-usage"] .ref-95')
        holder = wait("the holder's row", 20, lambda: css(f'table[data-attribution] tr[data-worker="{args.pool_holder}"]'))
        findings["holder_connections"] = int(holder.find_elements(By.TAG_NAME, "td")[1].text)
        assert findings["holder_connections"] >= 30, findings
        assert css('table[data-attribution] tr[data-worker="unattributed"]')
        memory = wait("backend memory of the holder", 20, lambda: css(
            f'table[data-attribution] tr[data-worker="{args.pool_holder}"] td[data-field="backend-memory"]').text.strip() not in ("", "—")
            and css(f'table[data-attribution] tr[data-worker="{args.pool_holder}"] td[data-field="backend-memory"]').text)
        findings["holder_backend_memory"] = memory
        assert "MiB" in memory, memory
        wait("the idle transaction", 20, lambda: args.idle_tx in css("table[data-long-running]").text)
        usage = css("section[data-pool] h2 .sev").text
        findings["pool_usage"] = usage
        assert int(usage.split(" ")[0]) >= 80, usage
        shot("pools-data-1280", full_height=900)
        driver.set_window_size(1280, 900)
        console_errors()

        # Alerts page: a pool alert and process alerts, with their facts.
        driver.find_element(By.PARTIAL_LINK_TEXT, "Alerts").click()
        wait("a high-usage alert", 40, lambda: css('article[data-alert="high-usage"]'))
        wait("a leak alert", 40, lambda: css('article[data-alert="leak"]'))
        wait("a restart-loop alert", 40, lambda: css('article[data-alert="restart-loop"]'))
        leak_facts = css('article[data-alert="leak"] [data-field="facts"]').text
        loop_facts = css('article[data-alert="restart-loop"] [data-field="facts"]').text
        findings["leak_facts"], findings["loop_facts"] = leak_facts, loop_facts
        assert "MiB/min" in leak_facts and "reason: memory-growth" in leak_facts, leak_facts
        assert "reason: " in loop_facts and "occurrences" in loop_facts, loop_facts
        badge_before = int(css("#alert-count").text or 0)
        time.sleep(1)
        shot("alerts-data-1280", full_height=900)
        driver.set_window_size(1280, 900)

        # Acknowledge the pool alert: it stays, quiet, with an Unmute; the badge counts one fewer.
        css('article[data-alert="high-usage"] button[data-mark="acknowledge"]').click()
        wait("the acknowledged alert", 10, lambda: css('article[data-alert="high-usage"]').get_attribute("data-loudness") == "acknowledged")
        quiet = css('article[data-alert="high-usage"]')
        assert "quiet" in quiet.get_attribute("class") and quiet.is_displayed()
        assert css('button[data-mark="clear"]', quiet).is_displayed()
        wait("the badge to count one fewer", 10, lambda: int(css("#alert-count").text or 0) == badge_before - 1)
        # Snooze the restart loop for 1 h with the keyboard-reachable select.
        loop_card = css('article[data-alert="restart-loop"]')
        Select(css("select", loop_card)).select_by_visible_text("1 h")
        css('button[data-mark="snooze"]', loop_card).click()
        wait("the snoozed alert", 10, lambda: css('article[data-alert="restart-loop"]').get_attribute("data-loudness") == "snoozed")
        assert "snoozed until" in css('article[data-alert="restart-loop"]').text
        # Still so after a reload (the marks live on the server).
        driver.refresh()
        wait("the marks after a reload", 10, lambda: css('article[data-alert="high-usage"]').get_attribute("data-loudness") == "acknowledged"
             and css('article[data-alert="restart-loop"]').get_attribute("data-loudness") == "snoozed")
        findings["badge"] = [badge_before, int(css("#alert-count").text or 0)]
        time.sleep(1)
        shot("alerts-marked-1280", full_height=900)
        driver.set_window_size(1280, 900)
        console_errors()

        # Stop asks first; Esc cancels, Tab + Enter on the confirm button stops.
        driver.get(args.url + "/")
        row = wait("the overview", 10, lambda: css(f'tr[data-process="{args.leaky}"]'))
        stop = css('button[data-action="stop"]', row)
        stop.click()
        dialog = wait("the confirmation", 5, lambda: css("dialog#confirm[open]"))
        assert driver.switch_to.active_element.text == "Cancel", driver.switch_to.active_element.text
        findings["confirm_text"] = css("#confirm-q").text
        shot("confirm-1280")
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait("the dialog closed", 5, lambda: not csss("dialog#confirm[open]"))
        time.sleep(1.5)
        assert cell(driver, args.leaky, "state") == "RUNNING", "Esc did not cancel the stop"
        assert driver.switch_to.active_element.get_attribute("data-action") == "stop", "focus did not return to Stop"
        driver.switch_to.active_element.send_keys(Keys.ENTER)  # the keyboard opens it again
        wait("the confirmation again", 5, lambda: css("dialog#confirm[open]"))
        driver.switch_to.active_element.send_keys(Keys.TAB)
        assert driver.switch_to.active_element.get_attribute("value") == "confirm"
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait(f"{args.leaky} stopped", 20, lambda: cell(driver, args.leaky, "state") == "STOPPED")
        findings["stopped_by_keyboard"] = True
        # Stopped: its last grade and growth are not shown any more (it was critical).
        wait(f"{args.leaky} without a grade", 5, lambda: cell(driver, args.leaky, "severity") == "—" and cell(driver, args.leaky, "growth") == "—")
        assert "graded-critical" not in css(f'tr[data-process="{args.leaky}"]').get_attribute("class")
        console_errors()

        # Paths that name nothing: a message, no live buttons; the page does not stay blank.
        for path, text in [("/process/nosuch", "no such process: nosuch"), ("/process/%E0%A4%A", "malformed process name"),
                           ("/process/", "no process name"), ("/nosuch", "nothing at /nosuch")]:
            driver.get(args.url + path)
            wait(f"the message on {path}", 10, lambda: text in driver.find_element(By.CSS_SELECTOR, "main").text)
            assert not driver.find_elements(By.CSS_SELECTOR, "main button[data-action]"), f"action buttons on {path}"
        driver.get_log("browser")  # each of these pages is a 404 (expected); errors after it are not
        findings["missing_pages"] = True

        # 390 px: every page with data, none scrolling sideways.
        driver.set_window_size(390, 844)
        for page, name, ready in [
            ("/", "overview-data-390", lambda: css(f'tr[data-process="{args.looper}"] .sev')),
            ("/pools", "pools-data-390", lambda: int(css('svg[data-chart="pool-usage"]').get_attribute("data-points")) >= 3),
            ("/alerts", "alerts-data-390", lambda: css('article[data-alert="leak"]')),
            ("/process/" + args.looper, "process-loop-390", lambda: css('svg[data-chart="rss"]')),
        ]:
            driver.get(args.url + page)
            wait(f"{page} at 390 px", 20, ready)
            time.sleep(1.5)
            sideways = overflow()
            assert sideways <= 1, f"{page} scrolls sideways at 390 px by {sideways} px"
            shot(name, full_height=844)
            driver.set_window_size(390, 844)
        driver.set_window_size(1280, 900)
        driver.get(args.url + "/process/" + args.looper)
        wait("the loop on the process page", 20, lambda: "restart loop: " in css("dl.facts").text)
        # Its exits in the events, with the exit status the CLI shows, the reason in words.
        exits = wait("an exit with its status", 20, lambda: [r.text for r in csss('tr[data-event="state-change"]') if "exit status" in r.text])
        findings["exit_event"] = exits[0]
        reasons = " ".join(r.text for r in csss('tr[data-event="state-change"]'))
        assert "the main process exited" in reasons, reasons
        time.sleep(1.5)
        shot("process-loop-1280", full_height=900)
        console_errors()
        finish(findings, errors)
    except Exception as error:
        fail(driver, f"{args.out}/failure-data.png", findings, errors, error)
    finally:
        driver.quit()

if __name__ == "__main__":
    main()
