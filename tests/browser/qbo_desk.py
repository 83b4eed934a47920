"""A person at the Frappe desk, in Playwright terms: open a page and wait until it is really there, fill a
field, press a button (also one inside a button group), read what a dialog or a headline says.

Every wait is on something the user would wait for (the form showing this document, no request running,
no freeze), never a fixed sleep."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Locator, Page, expect

READY = """() => !!(window.frappe && frappe.boot && frappe.router && !frappe.dom.freeze_count
	&& !(frappe.request && frappe.request.ajax_count))"""


def slug(doctype: str) -> str:
	return doctype.lower().replace(" ", "-")


def desk_base(frappe_major: int) -> str:
	"""Where the desk lives: /app on Frappe 15, /desk from 16 (where /app/... only redirects there)."""
	return "/desk" if frappe_major >= 16 else "/app"


class Desk:
	def __init__(self, page: Page, url: str, shots: Path, frappe_major: int = 15) -> None:
		self.page = page
		self.url = url.rstrip("/")
		self.shots = shots
		self.frappe_major = frappe_major
		self.base = desk_base(frappe_major)

	# -- getting somewhere --------------------------------------------------------------------------------
	def idle(self, timeout: float = 20_000) -> None:
		self.page.wait_for_function(READY, timeout=timeout)
		# Another process migrating the same site (a test run elsewhere) makes frappe ask every open desk to
		# reload; nothing in these tests changes the code under them, so that question is not for us.
		self.page.evaluate(
			"() => frappe.realtime && frappe.realtime.off && frappe.realtime.off('version-update')"
		)

	def go(self, route: str) -> None:
		self.page.goto(f"{self.url}{self.base}/{route}")
		self.idle()

	def form(self, doctype: str, name: str) -> None:
		self.page.goto(f"{self.url}{self.base}/{slug(doctype)}/{quote(name)}")
		self.wait_form(doctype, name)

	def wait_form(self, doctype: str, name: str | None = None) -> None:
		self.page.wait_for_function(
			"""([doctype, name]) => window.cur_frm && cur_frm.doctype === doctype && cur_frm.doc
				&& (!name || cur_frm.docname === name) && !frappe.dom.freeze_count
				&& !(frappe.request && frappe.request.ajax_count)""",
			arg=[doctype, name],
			timeout=20_000,
		)

	def list(self, doctype: str, query: str = "") -> None:
		self.page.goto(f"{self.url}{self.base}/{slug(doctype)}{'?' + query if query else ''}")
		self.wait_list(doctype)

	def wait_list(self, doctype: str) -> None:
		self.page.wait_for_function(
			"""(doctype) => window.cur_list && cur_list.doctype === doctype && cur_list.data !== undefined
				&& !(frappe.request && frappe.request.ajax_count)""",
			arg=doctype,
			timeout=20_000,
		)
		self.idle()

	def js(self, script: str, arg=None):
		return self.page.evaluate(script, arg)

	# -- forms -------------------------------------------------------------------------------------------
	def control(self, fieldname: str) -> Locator:
		return self.page.locator(f'.frappe-control[data-fieldname="{fieldname}"]:visible').first

	def fill(self, fieldname: str, value: str) -> None:
		field = self.control(fieldname).locator("input, textarea").first
		field.fill(value)
		field.press("Tab")
		self.idle()

	def select(self, fieldname: str, value: str) -> None:
		self.control(fieldname).locator("select").select_option(value)
		self.idle()

	def save(self) -> None:
		self.page.keyboard.press("Control+s")
		self.page.wait_for_function("() => window.cur_frm && !cur_frm.is_dirty() && !frappe.dom.freeze_count")
		self.idle()

	def button(self, label: str, group: str | None = None) -> None:
		"""Press a form/page button; inside a group (a dropdown such as "QuickBooks"), open it first."""
		if group:
			self.page.locator(
				f'.page-actions .inner-group-button[data-label="{quote(group)}"] button'
			).first.click()
			self.page.locator(
				f'.page-actions .inner-group-button[data-label="{quote(group)}"] .dropdown-item',
				has_text=label,
			).first.click()
		else:
			self.page.locator(
				".page-actions button:visible, .page-head button:visible", has_text=label
			).first.click()

	def headline(self) -> Locator:
		return self.page.locator(".form-message-container .form-message, .form-message").first

	# -- dialogs -----------------------------------------------------------------------------------------
	def dialog(self) -> Locator:
		"""The dialog on top, once it has finished fading in (a picture taken earlier is half transparent)."""
		self.page.wait_for_function(
			"""() => { const m = Array.from(document.querySelectorAll('.modal.show')).pop();
				return m && getComputedStyle(m).opacity === '1'; }"""
		)
		return self.page.locator(".modal.show .modal-content").last

	def close_dialog(self) -> None:
		self.page.locator(".modal.show .btn-modal-close, .modal.show button.close").last.click()
		expect(self.page.locator(".modal.show")).to_have_count(0, timeout=10_000)

	def confirm(self) -> None:
		"""Answer Yes to a frappe.confirm / submit confirmation."""
		self.dialog().locator(".btn-primary", has_text=re.compile("Yes|Submit|Confirm")).first.click()

	# -- pictures ------------------------------------------------------------------------------------------
	def shot(self, name: str, full_page: bool = False) -> Path:
		"""A picture of the page as it stands (the passing "Saved"/"Submitted" toasts taken away first)."""
		self.shots.mkdir(parents=True, exist_ok=True)
		self.page.evaluate(
			"() => document.querySelectorAll('#alert-container .desk-alert').forEach((e) => e.remove())"
		)
		path = self.shots / f"{name}.png"
		self.page.screenshot(path=str(path), full_page=full_page)
		return path
