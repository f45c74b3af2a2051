"""End to end, in a real browser: the incident room as the Head of Customer Support sees it.

A running stack (gunicorn, an RQ worker, Redis, the Zendesk simulator over HTTP; alerts through
Apprise to a local sink, and to a destination that refuses connections) handles two critical
tickets: one still open, whose CTO alert cannot be delivered, and one answered, assigned and
solved. Then Debian's Chromium, headless, loads the overview and the incident page at desktop
and phone width, in a viewer's time zone other than UTC, and the test checks what a person sees:
the rows and their customer, the live SLA countdown, the timeline, the failed delivery standing
out, local times with UTC on hover, the filters, nothing cut off at 420 px; a second web process
with no alert destination shows the "logged only" banner. Screenshots are saved in the test's
temp dir (their paths are printed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from middleware.local.simulator import SimulatorControl
from middleware.local.stack import Stack, running_stack
from rules.model import parse_time
from tests.e2e.browser import OVERFLOWING, authorise, chromium, desktop, phone, require_chromium, screenshot
from tests.e2e.support import Sink, flush_db, wait_until, write_config

pytestmark = pytest.mark.e2e

REDIS_DB = 13
PREFIX = "cimroom"
TOKEN = "room-admin-token"
ZONE = "Asia/Tokyo"  # UTC+9 all year: a local time never reads like the UTC one
OUTAGE = ("URGENT - platform down, none of our users can log in", "Nobody at Globex can sign in since 08:00.")
SOLVED = ("Production outage: checkout is down for all our stores", "Every checkout fails with a 500.")


def config(tmp_path: Path, name: str, roles: dict[str, Any] | None) -> Path:
    """The shipped config on this suite's prefix; ``roles`` replaced when given (else: log only)."""
    folder = tmp_path / name
    folder.mkdir()
    sections: dict[str, Any] = {"redis": {"prefix": PREFIX}}
    if roles is not None:
        sections["roles"] = roles
    return write_config(folder, merge={"alerts": {"retry": {"max": 1, "intervals": ["1s"]}}}, **sections)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sink: Sink) -> Iterator[Stack]:
    require_chromium()
    flush_db(REDIS_DB)
    tmp = tmp_path_factory.mktemp("room")
    roles = {"head_of_support": [sink.url("head_of_support")],
             "cto": ["json://127.0.0.1:9/cto"],  # the discard port: nobody listens, every delivery fails
             "engagement_director": {"organization_field": "engagement_director", "default": []},
             "engineering": [], "product": [], "customer_operations": []}
    with running_stack(config_path=str(config(tmp, "alerting", roles)), redis_db=REDIS_DB, log_dir=tmp / "logs",
                       extra_env={"ADMIN_TOKEN": TOKEN}) as s:
        yield s


def api(stack: Stack, path: str) -> Any:
    response = requests.get(f"{stack.web_url}{path}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    response.raise_for_status()
    return response.json()


def story(stack: Stack, sim: SimulatorControl) -> tuple[int, int]:
    """Two critical tickets from Globex: one open (its CTO alert fails), one answered and solved."""
    org = sim.create_organization("Globex Corporation")
    open_id = sim.customer_ticket(*OUTAGE, "it@globex.test", organization_id=org["id"])["id"]
    solved_id = sim.customer_ticket(*SOLVED, "shop@globex.test", organization_id=org["id"])["id"]
    agent = sim.create_user("Dana Scully", "dana@acme-support.test", role="agent")["id"]

    def declared() -> bool:
        return {open_id, solved_id} <= {i["id"] for i in api(stack, "/api/incidents")["incidents"]}

    wait_until(declared, 60, "both tickets declared critical")
    sim.update(solved_id, author_id=agent, assignee_id=agent)
    sim.comment(solved_id, "We are on it: the payment gateway is failing over.", author_id=agent)
    wait_until(lambda: api(stack, f"/api/incidents/{solved_id}")["first_response"], 60, "the first response")
    sim.update(solved_id, author_id=agent, status="solved", comment={"body": "Fixed.", "public": True})

    def settled() -> bool:
        failed = api(stack, f"/api/incidents/{open_id}")["alerts"]["failed"]
        resolved = api(stack, f"/api/incidents/{solved_id}")
        return bool(failed and resolved["status"] == "resolved" and resolved["review"])

    wait_until(settled, 90, "the CTO's delivery to fail for good and the other incident to be resolved")
    return open_id, solved_id


def visible_text(driver: Any, selector: str) -> str:
    from selenium.webdriver.common.by import By

    return "\n".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, selector))


def test_the_incident_room_in_a_real_browser(stack: Stack, sim: SimulatorControl, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_id, solved_id = story(stack, sim)
    shots = tmp_path / "screenshots"
    with chromium(tmp_path / "profile", timezone=ZONE) as driver:
        authorise(driver, TOKEN)

        # -- the overview, desktop -------------------------------------------------------------
        driver.get(f"{stack.web_url}/dashboard")
        assert driver.title == "Critical incidents"
        row = driver.find_element(By.CSS_SELECTOR, f'#open-incidents tr[data-incident="{open_id}"]')
        assert "Globex Corporation" in row.text and "platform down" in row.text
        assert "alert-failed" in row.get_attribute("class") and "1 failed" in row.text
        countdown = row.find_element(By.CSS_SELECTOR, ".countdown")
        first = wait_until(lambda: re.fullmatch(r"\d+m \d\ds left", countdown.text) and countdown.text, 10,
                           "the countdown to show minutes and seconds")
        wait_until(lambda: countdown.text != first, 10, "the countdown to tick")
        assert "no public reply yet" in row.text
        done = driver.find_element(By.CSS_SELECTOR, f'#resolved-incidents tr[data-incident="{solved_id}"]')
        assert "resolved" in done.text and "Dana Scully" in done.text and "met" in done.text
        banner = driver.find_element(By.ID, "banner-failed")
        assert banner.is_displayed() and f"#{open_id}" in banner.text
        assert ZONE in driver.find_element(By.ID, "tz").text
        stamp = driver.find_element(By.CSS_SELECTOR, "header time")
        assert stamp.get_attribute("title").endswith(" UTC") and "UTC" not in stamp.text
        tokyo = parse_time(stamp.get_attribute("datetime")) + timedelta(hours=9)  # type: ignore[operator]
        assert tokyo.strftime("%I:%M") in stamp.text, stamp.text
        figures = driver.find_element(By.ID, "summary").text
        assert "7 days" in figures and "30 days" in figures and "100%" in figures  # 1 met of 1 decided
        assert driver.find_element(By.CSS_SELECTOR, "#weekly svg").is_displayed()
        screenshot(driver, shots / "overview-1280.png")

        # -- filters: a customer, then a category that has none of these --------------------------
        Select(driver.find_element(By.NAME, "status")).select_by_value("open")
        wait_until(lambda: "status=open" in driver.current_url, 10, "the status filter to apply")
        assert driver.find_elements(By.ID, "resolved-incidents") == []
        assert driver.find_elements(By.CSS_SELECTOR, f'tr[data-incident="{open_id}"]')
        driver.get(f"{stack.web_url}/dashboard?category=security")
        assert "No open critical incidents." in driver.find_element(By.ID, "open-incidents").text

        # -- the incident page -----------------------------------------------------------------------
        driver.get(f"{stack.web_url}/dashboard")
        driver.find_element(By.CSS_SELECTOR, f'tr[data-incident="{open_id}"] a').click()
        wait_until(lambda: driver.current_url.endswith(f"/dashboard/incidents/{open_id}"), 10, "the incident page")
        assert "platform down" in driver.find_element(By.CSS_SELECTOR, "h1.incident").text
        facts = driver.find_element(By.ID, "facts").text
        assert "Globex Corporation" in facts and "outage" in facts
        assert re.search(r"\d+m \d\ds left", facts)
        timeline = visible_text(driver, "#timeline li")
        for words in ("Declared a critical incident (outage)", "First-response SLA clock started",
                      "delivered to head of support", "to cto via", "FAILED", "Customer on"):
            assert words in timeline, f"{words!r} not on the timeline:\n{timeline}"
        failed = driver.find_element(By.CSS_SELECTOR, "#deliveries tr.failed")
        assert "cto" in failed.text and "failed" in failed.text
        cell = failed.find_element(By.CSS_SELECTOR, "td")
        assert cell.value_of_css_property("background-color") == "rgba(255, 235, 233, 1)"  # stands out in red
        zendesk = driver.find_element(By.LINK_TEXT, f"ticket #{open_id}").get_attribute("href")
        assert zendesk == f"{stack.simulator_url}/agent/tickets/{open_id}"
        reasons = driver.find_element(By.ID, "reasons").text  # the rules' explanation: score and signals
        assert "score" in reasons and "nobody can log in" in reasons, reasons
        screenshot(driver, shots / "incident-1280.png")

        driver.get(f"{stack.web_url}/dashboard/incidents/{solved_id}")
        story_text = visible_text(driver, "#timeline li")
        for words in ("First public reply by", "Public reply by Dana Scully", "Assigned to Dana Scully",
                      "Resolved (ticket solved)", "Post-incident review task"):
            assert words in story_text, f"{words!r} not on the timeline:\n{story_text}"
        screenshot(driver, shots / "resolved-1280.png")

        # -- phone width: nothing cut off ------------------------------------------------------------
        phone(driver)
        for name, path in (("overview", "/dashboard"), ("incident", f"/dashboard/incidents/{open_id}"),
                           ("resolved", f"/dashboard/incidents/{solved_id}")):
            driver.get(f"{stack.web_url}{path}")
            assert driver.execute_script("return document.documentElement.scrollWidth") <= 420, name
            assert driver.execute_script(OVERFLOWING) == [], name
            screenshot(driver, shots / f"{name}-420.png")
        driver.get(f"{stack.web_url}/dashboard")
        cell = driver.find_element(By.CSS_SELECTOR, f'tr[data-incident="{open_id}"] td[data-label="SLA"]')
        assert cell.is_displayed() and cell.rect["x"] + cell.rect["width"] <= 420
        desktop(driver)

        # -- no alert destination at all: the banner says so -------------------------------------------
        bare = stack.start_web("web-log-only", {"MIDDLEWARE_CONFIG": str(config(tmp_path, "bare", None))})
        driver.get(f"{bare}/dashboard")
        banner = driver.find_element(By.ID, "banner-log-only")
        assert banner.is_displayed() and "alerts are logged only" in banner.text
        screenshot(driver, shots / "log-only-1280.png")
    print(f"screenshots: {shots}")
