"""How people reach the app on either desk: Frappe 15's workspace, Frappe 16's desktop icon and workspace
sidebar (shipped in desktop_icon/ and workspace_sidebar/), and the apps screen of both."""

from __future__ import annotations

import frappe

from qbo_connector.qbo_connector.permissions import has_app_permission
from qbo_connector.qbo_connector.settings import desk_path
from qbo_connector.qbo_connector.tests.utils import TestCase, make_user

WORKSPACE = "QuickBooks Online"
APP_ICON = "QBO Connector"  # the app_title: Frappe 16 pairs an app's App icon with its title


def frappe_16() -> bool:
	return int(frappe.__version__.split(".")[0]) >= 16


class TestNavigation(TestCase):
	def test_the_workspace_links_only_to_what_exists(self) -> None:
		workspace = frappe.get_doc("Workspace", WORKSPACE)
		self.assertTrue(workspace.public)
		for row in [*workspace.links, *workspace.shortcuts]:
			if row.get("link_to"):
				self.assertTrue(
					frappe.db.exists(row.get("link_type") or row.get("type"), row.link_to), row.link_to
				)

	def test_frappe_16_has_the_desktop_icons_and_the_sidebar_frappe_15_ignores_them(self) -> None:
		if not frappe_16():
			# Frappe 15 has no sidebars and its (legacy) Desktop Icon is another doctype: the JSON folders are
			# never read and the workspace is the way in.
			self.assertFalse(frappe.db.exists("DocType", "Workspace Sidebar"))
			self.assertFalse(frappe.db.exists("Desktop Icon", {"label": ("in", [WORKSPACE, APP_ICON])}))
			return
		sidebar = frappe.get_doc("Workspace Sidebar", WORKSPACE)
		self.assertEqual((sidebar.app, sidebar.standard), ("qbo_connector", 1))
		links = [(row.link_type, row.link_to) for row in sidebar.items if row.type == "Link"]
		self.assertEqual(links[0], ("Workspace", WORKSPACE))
		for link_type, name in links:
			self.assertTrue(frappe.db.exists(link_type, name), (link_type, name))
		self.assertIn(("DocType", "QBO Settings"), links)
		self.assertIn(("DocType", "QBO Sync Log"), links)

		app = frappe.get_doc("Desktop Icon", APP_ICON)
		self.assertEqual(
			(app.icon_type, app.app, app.link),
			("App", "qbo_connector", desk_path(WORKSPACE.lower().replace(" ", "-"))),
		)
		self.assertEqual(
			frappe.get_all("Desktop Icon", {"icon_type": "App", "app": "qbo_connector"}, pluck="name"),
			[APP_ICON],
		)
		icon = frappe.get_doc("Desktop Icon", WORKSPACE)
		self.assertEqual(
			(icon.icon_type, icon.link_type, icon.link_to, icon.parent_icon),
			("Link", "Workspace Sidebar", WORKSPACE, APP_ICON),
		)

	def test_the_apps_screen_opens_the_workspace_on_this_desk(self) -> None:
		from frappe.apps import get_apps, get_default_path

		hooks = frappe.get_hooks("add_to_apps_screen", app_name="qbo_connector")
		frappe.set_user("Administrator")
		ours = [app["route"] for app in get_apps() if app["name"] == "qbo_connector"]
		if frappe_16():
			self.assertEqual([hook["route"] for hook in hooks], [desk_path("quickbooks-online")])
			self.assertEqual(ours, [desk_path("quickbooks-online")])
		else:
			self.assertEqual((hooks, ours), ([], []))  # Frappe 15 would send the tile to the Home workspace
		if not frappe.get_system_settings("default_app"):
			# All apps open in the desk, so nobody lands on the apps picker (/apps) because of us.
			path = get_default_path()
			self.assertTrue(path == desk_path() or path.startswith(desk_path() + "/"), path)

	def test_only_accounting_roles_see_the_app(self) -> None:
		stock = make_user("qbo-nav-stock@example.com", ["Stock User"])
		accounts = make_user("qbo-nav-accounts@example.com", ["Accounts User"])
		try:
			frappe.set_user(stock)
			self.assertFalse(has_app_permission())
			frappe.set_user(accounts)
			self.assertTrue(has_app_permission())
		finally:
			frappe.set_user("Administrator")
