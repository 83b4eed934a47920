"""The browser tier: Playwright for Python driving the system's Chromium against a running Frappe site with
its worker and realtime server, and a QBO emulator started here (in this process, so a test can act as a
QuickBooks user: change a tax rate, look at what was created).

Configuration (environment):
  QBO_BROWSER_URL       the site's web server          (default http://127.0.0.1:8000)
  QBO_BROWSER_SITE      the site's name                (default qbo.localhost): sent as X-Frappe-Site-Name,
                        as nginx does in production, so the realtime server knows the site of a browser that
                        reaches it by IP address
  QBO_BROWSER_USER      a System Manager           (default Administrator)
  QBO_BROWSER_PASSWORD                             (default admin)
  QBO_BROWSER_COMPANY   the ERPNext company the tests connect (default QBO Browser Co, made on first use, so
                        that only this tier's documents are in it: Sync Now sends what it has not sent)
  QBO_CHROMIUM          the browser executable     (default /usr/bin/chromium; never downloaded)
  QBO_SCREENSHOTS       where pictures go          (default a temporary folder; QBO_BROWSER_DOCS=1 -> docs/)

Without Playwright, Chromium or a site answering, every test here is skipped with the reason.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from qbo_site import CALLBACK, Site

REPO = Path(__file__).resolve().parents[2]
URL = os.environ.get("QBO_BROWSER_URL", "http://127.0.0.1:8000").rstrip("/")
SITE = os.environ.get("QBO_BROWSER_SITE", "qbo.localhost")
USER = os.environ.get("QBO_BROWSER_USER", "Administrator")
PASSWORD = os.environ.get("QBO_BROWSER_PASSWORD", "admin")
COMPANY = os.environ.get("QBO_BROWSER_COMPANY", "QBO Browser Co")
COMPANY_ABBR = os.environ.get("QBO_BROWSER_COMPANY_ABBR", "QBC")
CHROMIUM = os.environ.get("QBO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}  # the pictures in docs/ are 1280 px wide
ACCOUNTANT = "qbo.accountant@example.com"
ACCOUNTANT_PASSWORD = "Qbo-Browser-Tier-1!"


def _why_not() -> str | None:
	try:
		import playwright.sync_api  # noqa: F401
	except ImportError:
		return "Playwright for Python is not installed (pip install playwright; no browser download needed)"
	if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
		return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set QBO_CHROMIUM)"
	import requests

	try:
		answer = requests.get(f"{URL}/api/method/ping", timeout=5)
	except requests.RequestException as exc:
		return f"no site answering at {URL} ({type(exc).__name__}); start one (see tests/browser/README.md)"
	if answer.status_code != 200:
		return f"the site at {URL} answered {answer.status_code} to ping"
	return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
	reason = _why_not()
	if reason:
		for item in items:
			if "tests/browser" in str(item.fspath):
				item.add_marker(pytest.mark.skip(reason=f"SKIPPED browser tier: {reason}"))


# -- the site and QuickBooks ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site() -> Site:
	return Site(URL, USER, PASSWORD)


@pytest.fixture(scope="session")
def frappe_major(site: Site) -> int:
	"""15 or 16: the desk lives under /app or /desk, and parts of it are drawn differently."""
	return site.frappe_major()


@pytest.fixture(scope="session")
def company(site: Site) -> dict:
	"""The tier's own ERPNext company (US, USD, ERPNext's standard chart), made once per site."""
	if not site.exists("Company", COMPANY):
		site.insert(
			{
				"doctype": "Company",
				"company_name": COMPANY,
				"abbr": COMPANY_ABBR,
				"default_currency": "USD",
				"country": "United States",
				"chart_of_accounts": "Standard",
			}
		)
	return site.get("Company", COMPANY)


@pytest.fixture(scope="session")
def emulator(site: Site) -> Iterator:
	"""Two QuickBooks companies: "Old Books" (connected first, as if from an earlier setup) and "QBO Test
	Co Books", the one the tests keep. Fresh realms each run: links left by earlier runs point at objects
	of QuickBooks companies that are gone, and must not be mistaken for these."""
	from qbo_connector.emulator import EmulatorServer

	books = str(random.randint(10**15, 10**16 - 1))
	old = str(random.randint(10**15, 10**16 - 1))
	emu = EmulatorServer(
		port=0, realm_id=books, company_name="QBO Browser Co Books", redirect_uris=[URL + CALLBACK]
	).start()
	emu.set_company(realm_id=old, name="Old Books")
	emu.old_realm = old
	yield emu
	emu.stop()


# -- the browser -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def shots() -> Iterator[Path]:
	if os.environ.get("QBO_BROWSER_DOCS"):
		yield REPO / "docs"
		return
	folder = os.environ.get("QBO_SCREENSHOTS")
	if folder:
		yield Path(folder)
		return
	with tempfile.TemporaryDirectory(prefix="qbo-browser-") as tmp:
		yield Path(tmp)


@pytest.fixture(scope="session")
def browser() -> Iterator:
	from playwright.sync_api import sync_playwright

	with sync_playwright() as playwright:
		chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
		yield chromium
		chromium.close()


def _desk(browser, shots: Path, user: str, password: str, frappe_major: int):
	"""A browser context logged in as `user` (the session opened over the API, its cookie handed over)."""
	from urllib.parse import urlsplit

	from qbo_desk import Desk

	session = Site(URL, user, password).session
	context = browser.new_context(
		viewport=VIEWPORT, base_url=URL, extra_http_headers={"X-Frappe-Site-Name": SITE}
	)
	context.set_default_timeout(20_000)
	host = urlsplit(URL).hostname
	context.add_cookies(
		[{"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in session.cookies]
	)
	page = context.new_page()
	desk = Desk(page, URL, shots, frappe_major)
	desk.label = user.split("@")[0]
	_OPEN_DESKS.append(desk)
	return context, desk


@pytest.fixture(scope="session")
def admin(browser, shots: Path, frappe_major: int) -> Iterator:
	"""The System Manager's desk."""
	context, desk = _desk(browser, shots, USER, PASSWORD, frappe_major)
	yield desk
	context.close()


@pytest.fixture(scope="session")
def accountant(browser, shots: Path, site: Site, frappe_major: int) -> Iterator:
	"""An Accounts User's desk: submits invoices, may not retry or change settings."""
	site.ensure_user(ACCOUNTANT, ACCOUNTANT_PASSWORD, ["Accounts User", "Sales User"])
	context, desk = _desk(browser, shots, ACCOUNTANT, ACCOUNTANT_PASSWORD, frappe_major)
	yield desk
	context.close()


# -- when a step fails: what the screen showed -----------------------------------------------------------

_OPEN_DESKS: list = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
	outcome = yield
	report = outcome.get_result()
	if report.when == "call" and report.failed:
		for desk in _OPEN_DESKS:
			try:
				path = desk.shot(f"FAILED-{item.name}-{desk.label}")
				dialog = desk.page.locator(".modal.show .modal-body").all_inner_texts()
				report.sections.append(("screen", f"{path}\nopen dialogs: {dialog}"))
			except Exception as exc:  # noqa: BLE001 - a picture must not hide the failure itself
				report.sections.append(("screen", f"no screenshot: {exc}"))
