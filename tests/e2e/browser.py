"""A real browser for end-to-end tests: Debian's Chromium, headless, driven by Selenium.

Nothing is downloaded at test time: the browser and its driver are the Debian packages
``chromium`` and ``chromium-driver`` (``.ci/run`` installs them), and giving Selenium the
driver's path skips Selenium Manager. Each browser gets a fresh profile in the test's temp
dir and no background networking, so a test sees only what the page itself loads.

Outside CI a machine without Chromium skips these tests (saying how to install it); in CI
(``CI`` set) a missing browser fails them, so a broken install cannot pass for green.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1280,900")


def require_chromium() -> None:
    """Skip (fail in CI) when Debian's Chromium or its driver is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).exists() or shutil.which(Path(p).name))]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed: apt-get install chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium(profile: Path, timezone: str = "UTC") -> Iterator[Any]:
    """A headless Chromium whose clock shows ``timezone``; quit afterwards whatever happens."""
    require_chromium()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look anything up
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(executable_path=CHROMEDRIVER, env={**os.environ, "TZ": timezone})
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def authorise(driver: Any, token: str) -> None:
    """Send ``Authorization: Bearer`` with every request of this browser (as a proxy in front would)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Bearer {token}"}})


def phone(driver: Any, width: int = 420, height: int = 900) -> None:
    """Lay the page out as a phone of ``width`` CSS pixels would."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})


def desktop(driver: Any) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def screenshot(driver: Any, path: Path) -> Path:
    """The whole page, below the fold too, as PNG."""
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


# Every visible element that sticks out of the viewport on the left or right (what a phone cuts off).
OVERFLOWING = """
const w = document.documentElement.clientWidth;
return [...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && (r.right > w + 1 || r.left < -1);
}).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined
  ? '.' + String(e.className).split(' ').join('.') : '') + ': ' + (e.textContent || '').trim().slice(0, 40));
"""
