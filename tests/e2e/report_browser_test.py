#!/usr/bin/python3
"""End-to-end: the report as a person sees it, in a real browser.

Runs `mcrisk run configs/triborough_2010.yaml --trials 20000 --report --out TMP`,
opens TMP/report.html in headless Chromium (Debian's `chromium`), driven over
the DevTools protocol on a pipe (--remote-debugging-pipe: no port, no network),
and fails on
  - any console error, uncaught exception or browser log error,
  - any failed resource load, or any request that is not file:, data: or about:
    (the page must be self-contained), and any http(s):// src/href in the HTML,
  - a chart missing: each of distribution, s_curves, fan, tornado must be a
    decoded image (naturalWidth > 0) in the DOM, and its PNG and SVG on disk,
  - a headline number on the page that differs from summary.json: every
    element with data-option/data-stat carries the exact JSON value in
    data-value and its text must equal that value formatted independently here.
Saves a full-page screenshot (TMP/report.png) and the DOM (TMP/report.dom.html).

If Chromium is missing the test FAILS (CI installs it with scripts/setup).
Run by ctest (tests/CMakeLists.txt) as e2e.report_browser, or by hand:
    /usr/bin/python3 tests/e2e/report_browser_test.py --mcrisk build/engine/mcrisk --source .
"""

import argparse
import base64
import json
import math
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = os.environ.get("MCRISK_CHROMIUM", "/usr/bin/chromium")
CHARTS = ("distribution", "s_curves", "fan", "tornado")
TIMEOUT = 90.0
MINUS = "\u2212"


class Failure(Exception):
    pass


# ------------------------------------------------------------- the report's number formats, written out again


def expected_money(value):
    a = abs(value)
    if a >= 995_000:
        body = "%.*fm" % (2 if a < 9_995_000 else 1 if a < 99_950_000 else 0, a / 1e6)
    elif a >= 9_999.5:
        body = "%.*fk" % (1 if a < 99_950 else 0, a / 1e3)
    else:
        body = "{:,}".format(int("%.0f" % a))
    if body == "0":
        return "£0"
    return (MINUS if value < 0 else "") + "£" + body


def expected_percent(p):
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.999:
        return ">99.9%"
    return "%.1f%%" % (100 * p)


def json_value_of(option, stat):
    """The summary.json value an element (data-stat) shows, and how it is formatted."""
    total = option["total_net"]
    ci_end = {"_ci95_low": 0, "_ci95_high": 1}
    for suffix, index in ci_end.items():
        if stat.endswith(suffix):
            base = stat[: -len(suffix)]
            if base == "mean":
                return total["mean_ci95"][index], expected_money
            if base == "prob_loss":
                return total["prob_loss_ci95"][index], expected_percent
            if base == "prob_best":
                return option["prob_best_ci95"][index], expected_percent
            if base.startswith("target:"):
                return option["targets"][base[len("target:"):]]["prob_ci95"][index], expected_percent
            raise Failure(f"unknown statistic {stat!r} on the page")
    if stat == "plan":
        return option["planned"]["total_net"], expected_money
    if stat == "mean":
        return total["mean"], expected_money
    if stat in ("P10", "P50", "P90"):
        return total["percentiles"][stat], expected_money
    if stat == "es5":
        return total["expected_shortfall_5"], expected_money
    if stat == "prob_loss":
        return total["prob_loss"], expected_percent
    if stat == "prob_best":
        return option["prob_best"], expected_percent
    if stat.startswith("target:"):
        return option["targets"][stat[len("target:"):]]["prob"], expected_percent
    raise Failure(f"unknown statistic {stat!r} on the page")


# ------------------------------------------------------------- DevTools protocol over a pipe


class Browser:
    """Chromium with --remote-debugging-pipe: commands on fd 3, replies and events on fd 4, NUL-separated JSON."""

    def __init__(self, profile):
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def wire():
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        arguments = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "--window-size=1280,1000",
            "about:blank",
        ]
        self.stderr = open(os.path.join(profile, "..", "chromium.stderr"), "wb")
        self.process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr, preexec_fn=wire, pass_fds=(3, 4))
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self, deadline):
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Failure("timed out waiting for Chromium")
            ready, _, _ = select.select([self.from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise Failure("Chromium closed the DevTools pipe (did it crash? see chromium.stderr)")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=TIMEOUT):
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise Failure(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for_event(self, method, timeout=TIMEOUT):
        for event in self.events:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(deadline)
            if "method" in message:
                self.events.append(message)
                if message["method"] == method:
                    return message

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                message = self.receive(deadline)
                if "method" in message:
                    self.events.append(message)
        except Failure:
            pass

    def close(self):
        try:
            self.send("Browser.close")
            self.process.wait(timeout=15)
        except Exception:  # noqa: BLE001 - closing is best effort; kill below
            pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)
        self.stderr.close()


# ------------------------------------------------------------- the test

PAGE_FACTS = """
(() => {
  const charts = {};
  document.querySelectorAll('figure[data-chart]').forEach(f => {
    const img = f.querySelector('img');
    charts[f.getAttribute('data-chart')] = {
      rendered: f.getAttribute('data-rendered'),
      complete: img ? img.complete : false,
      width: img ? img.naturalWidth : 0,
      height: img ? img.naturalHeight : 0,
      shown: img ? img.getBoundingClientRect().width : 0,
    };
  });
  const values = [...document.querySelectorAll('[data-option][data-stat]')].map(e => ({
    option: e.getAttribute('data-option'), stat: e.getAttribute('data-stat'),
    value: e.getAttribute('data-value'), text: e.textContent.trim() }));
  const links = [...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') || e.getAttribute('href'));
  const sections = ['findings', 'headline', 'charts', 'method', 'drivers', 'correlations'].filter(id => document.getElementById(id));
  return JSON.stringify({charts, values, links, sections, findings: document.querySelectorAll('ul.findings li').length,
                         drivers: [...new Set([...document.querySelectorAll('tr[data-driver]')].map(r => r.getAttribute('data-driver')))],
                         events: [...document.querySelectorAll('[data-event]')].map(e => e.getAttribute('data-event')),
                         html: document.documentElement.outerHTML});
})()
"""


def run_report(mcrisk, source, out):
    command = [mcrisk, "run", os.path.join(source, "configs", "triborough_2010.yaml"), "--trials", "20000", "--report", "--out", out, "--quiet"]
    result = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise Failure(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    if "report.html" not in result.stdout:
        raise Failure(f"mcrisk run --report did not print the report's path:\n{result.stdout}")
    return result.stdout


def check_files(out, errors):
    for name in CHARTS:
        for extension in ("png", "svg"):
            path = os.path.join(out, "charts", f"{name}.{extension}")
            if not os.path.isfile(path) or os.path.getsize(path) == 0:
                errors.append(f"missing chart file {path}")
    for name in ("summary.xlsx", "samples.csv", "model.json", "report.html"):
        if not os.path.isfile(os.path.join(out, name)):
            errors.append(f"missing {name}")
    with open(os.path.join(out, "report.html"), encoding="utf-8") as file:
        text = file.read()
    for match in re.finditer(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.IGNORECASE):
        errors.append(f"report.html refers to an external resource: {text[match.start():match.start() + 80]!r}")
    if re.search(r"@import|url\(\s*['\"]?https?:", text, re.IGNORECASE):
        errors.append("report.html's CSS fetches something external")


def check_in_browser(out, work, errors):
    profile = os.path.join(work, "profile")
    os.makedirs(profile)
    browser = Browser(profile)
    try:
        targets = browser.call("Target.getTargets")["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        target = pages[0]["targetId"] if pages else browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=session)
        browser.events.clear()
        url = "file://" + os.path.abspath(os.path.join(out, "report.html"))
        navigation = browser.call("Page.navigate", {"url": url}, session=session)
        if navigation.get("errorText"):
            raise Failure(f"navigation to {url} failed: {navigation['errorText']}")
        browser.wait_for_event("Page.loadEventFired")
        browser.drain(1.0)  # late console messages and resource errors
        facts = json.loads(browser.call("Runtime.evaluate", {"expression": PAGE_FACTS, "returnByValue": True}, session=session)["result"]["value"])
        shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
        with open(os.path.join(out, "report.png"), "wb") as file:
            file.write(base64.b64decode(shot["data"]))
        with open(os.path.join(out, "report.dom.html"), "w", encoding="utf-8") as file:
            file.write(facts["html"])
        browser.drain(0.2)
    finally:
        browser.close()

    for event in browser.events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            errors.append(f"console {params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(f"uncaught exception: {details.get('exception', {}).get('description', details.get('text'))}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            errors.append(f"browser log {entry['level']} ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.loadingFailed":
            errors.append(f"resource failed to load: {params.get('errorText')} (request {params.get('requestId')})")
        elif method == "Network.requestWillBeSent":
            request_url = params["request"]["url"]
            if not request_url.startswith(("file:", "data:", "about:")):
                errors.append(f"the page requested {request_url}")
        elif method == "Network.responseReceived" and params["response"].get("status", 200) >= 400:
            errors.append(f"HTTP {params['response']['status']} for {params['response']['url']}")
    return facts


def check_page(facts, summary, errors):
    for name in CHARTS:
        chart = facts["charts"].get(name)
        if chart is None:
            errors.append(f"chart {name} is not in the DOM")
        elif not (chart["complete"] and chart["width"] > 0 and chart["height"] > 0 and chart["shown"] > 100 and chart["rendered"] == "true"):
            errors.append(f"chart {name} did not render: {chart}")
    for link in facts["links"]:
        if not (link.startswith("data:") or link.startswith("#")):
            errors.append(f"the page links to {link[:80]!r} (only data: and #anchors are allowed)")
    for section in ("findings", "headline", "charts", "method", "drivers", "correlations"):
        if section not in facts["sections"]:
            errors.append(f"section #{section} is missing")
    if facts["findings"] < 5:
        errors.append(f"only {facts['findings']} findings")

    options = summary["options"]
    ids = summary["option_order"]
    target_names = list(options[ids[0]]["targets"].keys())
    expected = set()
    for option in ids:
        for stat in ("plan", "mean", "mean_ci95_low", "mean_ci95_high", "P10", "P50", "P90", "prob_loss", "prob_loss_ci95_low",
                     "prob_loss_ci95_high", "es5", "prob_best", "prob_best_ci95_low", "prob_best_ci95_high"):
            expected.add((option, stat))
        for name in target_names:
            for suffix in ("", "_ci95_low", "_ci95_high"):
                expected.add((option, f"target:{name}{suffix}"))
    seen = set()
    for item in facts["values"]:
        key = (item["option"], item["stat"])
        seen.add(key)
        if item["option"] not in options:
            errors.append(f"the page shows an unknown option {item['option']!r}")
            continue
        try:
            value, formatter = json_value_of(options[item["option"]], item["stat"])
        except (Failure, KeyError) as error:
            errors.append(f"{key}: {error}")
            continue
        shown = float(item["value"])
        if not (shown == value or (math.isnan(shown) and math.isnan(value))):
            errors.append(f"{key}: the page holds {item['value']}, summary.json {value!r}")
        if item["text"] != formatter(value):
            errors.append(f"{key}: the page shows {item['text']!r}, summary.json's {value!r} formats as {formatter(value)!r}")
    for key in sorted(expected - seen):
        errors.append(f"the headline table lacks {key}")


def check_appendix(facts, out, errors):
    with open(os.path.join(out, "model.json"), encoding="utf-8") as file:
        model = json.load(file)
    drivers = {d["name"] for d in model["drivers"]}
    if set(facts["drivers"]) != drivers:
        errors.append(f"the appendix lists drivers {sorted(facts['drivers'])}, the model has {sorted(drivers)}")
    events = {e["name"] for e in model["events"]}
    if set(facts["events"]) != events:
        errors.append(f"the appendix lists events {facts['events']}, the model has {sorted(events)}")
    html_text = facts["html"]
    for driver in model["drivers"]:
        rationale = " ".join(driver["rationale"].split())[:60]
        if rationale and rationale.replace("&", "&amp;") not in " ".join(html_text.split()):
            errors.append(f"the appendix lacks the rationale of {driver['name']}")
    for fact in (model["config_sha256"],):
        if fact not in html_text:
            errors.append(f"the appendix lacks {fact}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mcrisk", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the output folder")
    arguments = parser.parse_args()

    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        print(f"FAIL: {CHROMIUM} not found: install Debian's chromium (bash scripts/setup)", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="mcrisk_report_browser_")
    out = os.path.join(work, "out")
    errors = []
    try:
        printed = run_report(arguments.mcrisk, os.path.abspath(arguments.source), out)
        with open(os.path.join(out, "summary.json"), encoding="utf-8") as file:
            summary = json.load(file)
        check_files(out, errors)
        facts = check_in_browser(out, work, errors)
        check_page(facts, summary, errors)
        check_appendix(facts, out, errors)
    except Failure as failure:
        errors.append(str(failure))
        printed = ""
    if errors:
        print(f"FAIL: {len(errors)} problem(s) with {out}/report.html:", file=sys.stderr)
        for error in errors:
            print("  " + error, file=sys.stderr)
        print(f"(output kept in {out}; Chromium's stderr in {work}/chromium.stderr)", file=sys.stderr)
        return 1
    print(printed.strip())
    print(f"OK: report.html rendered in Chromium with no console errors or failed loads; {len(facts['values'])} headline numbers equal "
          f"summary.json; charts {', '.join(CHARTS)} present; screenshot {out}/report.png")
    if not arguments.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
