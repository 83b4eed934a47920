"""No attempt left open on a real site: FrappeStore's open/stale/last attempts and interrupt_log, the
scheduled sweep closing what a dead worker left Running, and internal errors keeping a traceback that
only managers see and that holds no secret."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import frappe
from frappe.utils import random_string
from frappe.utils.background_jobs import create_job_id, get_queues_timeout, get_redis_conn
from rq.job import Job, JobStatus

from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo_connector import tasks
from qbo_connector.qbo_connector.store import FrappeStore
from qbo_connector.qbo_connector.tests.sync_utils import COMPANY, SERVICE_ITEM, SyncTestCase, make_invoice
from qbo_connector.qbo_connector.tests.utils import make_user
from qbo_connector.sync.outcome import INTERNAL_CODE, MAX_INTERNAL_ATTEMPTS
from qbo_connector.sync.store import LogEntry, LogOutcome

LOG = "QBO Sync Log"
SI = "Sales Invoice"
SWEEP = "qbo_connector.qbo_connector.tasks.sweep_interrupted"
CURRENT_JOB = "qbo_connector.qbo_connector.store.get_current_job"


def in_job(job_id: str) -> Any:
	"""Run as if inside the RQ job job_id (bench tests run outside any worker)."""
	return patch(CURRENT_JOB, return_value=SimpleNamespace(id=job_id))


def _now() -> datetime:
	return datetime.now(timezone.utc)


class TestInterruptedAttempts(SyncTestCase):
	# A realm of its own: links are kept per realm, and the sync-flow tests start from an empty one.
	emulator_options = {"limits_enabled": False, "realm_id": str(random.randint(10**15, 10**16 - 1))}

	def setUp(self) -> None:
		super().setUp()
		self.store = FrappeStore()
		self.realm = frappe.db.get_value("QBO Connection", COMPANY, "realm_id")

	def _open(
		self, name: str | None, operation: str = "push", started: datetime | None = None, **kw: Any
	) -> str:
		doctype = kw.pop("doctype", SI)
		entry = LogEntry(COMPANY, self.realm, operation, doctype, name, started_at=started or _now(), **kw)
		return self.store.start_log(entry)

	def _status(self, log_id: str) -> str:
		return frappe.db.get_value(LOG, log_id, "status")

	def _qbo_invoices_of(self, name: str) -> list[dict[str, Any]]:
		marker = f"ERPNext Sales Invoice {name}"
		return [
			obj
			for obj in self.emu.objects("Invoice")
			if str(obj.get("PrivateNote") or "").split(";")[0].strip() == marker
		]

	# -- the store ------------------------------------------------------------------------------------
	def test_open_last_and_stale_attempts_and_interrupt_only_what_is_open(self) -> None:
		name = "ACC-SINV-OPEN-" + random_string(8)
		old = _now() - timedelta(hours=3)
		a1 = self._open(name, started=old)
		a2 = self._open(name, started=old + timedelta(minutes=1))
		cancel = self._open(name, operation="cancel", started=old)
		qbo_id = random_string(6)
		entity_row = self._open(qbo_id, operation="pull_entity", doctype="Payment", started=old)
		a3 = self._open(name)  # fresh
		self.store.finish_log(a2, LogOutcome("Failed", "QuickBooks is down", retryable=True))
		ids = lambda entries: [e.id for e in entries]  # noqa: E731

		self.assertEqual(ids(self.store.open_attempts(self.realm, "push", SI, name)), [a1, a3])
		self.assertEqual(ids(self.store.open_attempts(self.realm, "push", SI, name, before=a3)), [a1])
		self.assertEqual(ids(self.store.open_attempts(self.realm, "push", SI, name, before=a1)), [])
		self.assertEqual(ids(self.store.open_attempts(self.realm, "cancel", SI, name)), [cancel])
		self.assertEqual(ids(self.store.open_attempts("other-realm", "push", SI, name)), [])
		self.assertEqual(
			ids(self.store.open_attempts(self.realm, "pull_entity", "Payment", qbo_id)), [entity_row]
		)
		self.assertEqual(self.store.last_attempt(self.realm, "push", SI, name).id, a3)
		self.assertIsNone(self.store.last_attempt(self.realm, "push", SI, name + "-none"))
		stale = ids(self.store.stale_attempts(_now() - timedelta(hours=1)))
		self.assertEqual(
			[x for x in stale if x in (a1, a2, a3, cancel, entity_row)], [a1, cancel, entity_row]
		)

		closed = LogOutcome(
			"Interrupted",
			"Interrupted: the worker running this attempt stopped before it ended; no later attempt.",
			error_code="INTERRUPTED",
			retryable=True,
			next_retry_at=_now() - timedelta(seconds=1),
		)
		self.assertTrue(self.store.interrupt_log(a1, closed))
		self.assertFalse(self.store.interrupt_log(a1, closed))  # closed once
		self.assertFalse(self.store.interrupt_log(a2, closed))  # it ended on its own: its verdict stays
		self.assertEqual((self._status(a1), self._status(a2)), ("Interrupted", "Failed"))
		row = frappe.db.get_value(LOG, a1, ["error_code", "error_message", "retryable"], as_dict=True)
		self.assertEqual((row.error_code, row.retryable), ("INTERRUPTED", 1))
		self.assertIn("stopped before it ended", row.error_message)
		back = self.store.get_log(a1)
		self.assertEqual((back.status, back.retryable), ("Interrupted", True))
		# Interrupted and due, but a later attempt (a3) exists: not a candidate; a lone one is.
		self.assertNotIn(a1, ids(self.store.retry_candidates(_now())))
		lone = "ACC-SINV-LONE-" + random_string(8)
		b = self._open(lone, started=old)
		self.store.interrupt_log(b, closed)
		self.assertIn(b, ids(self.store.retry_candidates(_now())))
		# A worker that was alive after all (a slow job) still writes its own verdict over Interrupted.
		self.store.finish_log(b, LogOutcome("Success", "Created Invoice 7 (id 7) in QuickBooks."))
		row = frappe.db.get_value(LOG, b, ["status", "retryable", "next_retry_at"], as_dict=True)
		self.assertEqual((row.status, row.retryable, row.next_retry_at), ("Success", 0, None))

	def test_a_webhook_row_left_queued_is_swept_too(self) -> None:
		from qbo_connector.qbo_connector.webhook import _log

		log = _log(status="Queued", message="1 QuickBooks events received: 1 x Payment Create.", request={})
		frappe.db.set_value(LOG, log, "started_at", frappe.utils.add_to_date(None, hours=-3))
		frappe.db.commit()
		tasks.sweep_interrupted()
		row = frappe.db.get_value(LOG, log, ["status", "message", "retryable"], as_dict=True)
		self.assertEqual((row.status, row.retryable), ("Interrupted", 0))
		self.assertIn("The scheduled pull reads the changes it named", row.message)
		self.assertIn("1 x Payment Create", row.message)

	# -- the sweep on the scheduler --------------------------------------------------------------------
	def test_sweep_runs_every_five_minutes_and_outlasts_every_job(self) -> None:
		self.assertIn(SWEEP, frappe.get_hooks("scheduler_events")["cron"]["*/5 * * * *"])
		self.assertTrue(frappe.db.exists("Scheduled Job Type", {"method": SWEEP}), "migrate registered it")
		longest = max([tasks.LONG_JOB_TIMEOUT, *get_queues_timeout().values()])
		# RQ kills a work horse a minute after its job's timeout; the sweep waits longer than that.
		self.assertGreater(tasks.ATTEMPT_TIMEOUT, timedelta(seconds=longest + 60))

	def test_a_push_killed_after_qbo_committed_is_swept_then_retried_once(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 2, 35)])
		self.jobs.calls.clear()  # the submit's queued push: this test runs it by hand
		real_create = QBOClient.create

		def killed_after_commit(client: QBOClient, entity: str, body: dict, request_id: str | None = None):
			obj = real_create(client, entity, body, request_id=request_id)
			if entity == "Invoice":
				raise SystemExit("the worker was killed")  # QBO has the invoice; nobody reads the answer
			return obj

		with patch.object(QBOClient, "create", killed_after_commit), self.assertRaises(SystemExit):
			tasks.push_document(SI, invoice.name)
		frappe.db.rollback()  # what a dead process leaves: only what was committed
		[running] = frappe.get_all(
			LOG, {"reference_name": invoice.name, "operation": "push"}, ["name", "status"]
		)
		self.assertEqual(running.status, "Running")
		self.assertEqual(self.link_of(SI, invoice.name).state, "Pending")
		self.assertEqual(len(self._qbo_invoices_of(invoice.name)), 1)

		tasks.sweep_interrupted()
		self.assertEqual(self._status(running.name), "Running", "not past the timeout: it may be alive")
		started = frappe.utils.now_datetime() - tasks.ATTEMPT_TIMEOUT - timedelta(minutes=1)
		frappe.db.set_value(LOG, running.name, "started_at", started, update_modified=False)
		frappe.db.commit()
		tasks.sweep_interrupted()
		row = frappe.db.get_value(
			LOG, running.name, ["status", "message", "retryable", "next_retry_at"], as_dict=True
		)
		self.assertEqual((row.status, row.retryable), ("Interrupted", 1))
		self.assertTrue(row.next_retry_at)
		self.assertIn("no later attempt, so it is retried automatically", row.message)

		tasks.retry_due()
		retried = frappe.get_all(LOG, {"retry_of": running.name}, ["status", "message", "attempts"])
		self.assertEqual(len(retried), 1)
		self.assertEqual(retried[0].status, "Success", retried[0].message)
		self.assertEqual(retried[0].attempts, 2)
		self.assertEqual(self.link_of(SI, invoice.name).state, "Synced")
		self.assertEqual(len(self._qbo_invoices_of(invoice.name)), 1, "found in QBO, not sent twice")
		still_open = frappe.get_all(
			LOG, {"reference_name": invoice.name, "status": ("in", ("Running", "Queued"))}
		)
		self.assertEqual(still_open, [])

	def test_a_later_push_closes_the_row_a_dead_worker_left_running(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 1, 15)])
		self.jobs.calls.clear()
		dead = self._open(invoice.name, started=_now() - timedelta(minutes=2))
		link = self.push(invoice)
		self.assertEqual(link.state, "Synced")
		later = frappe.get_last_doc(
			LOG, {"reference_name": invoice.name, "operation": "push", "name": ("!=", dead)}
		)
		self.assertEqual(later.status, "Success")
		row = frappe.db.get_value(LOG, dead, ["status", "message", "retryable"], as_dict=True)
		self.assertEqual((row.status, row.retryable), ("Interrupted", 0))
		self.assertIn(f"a later attempt {later.name} ended Success at ", row.message)

	def test_rows_of_a_background_job_that_has_ended_are_swept_without_waiting(self) -> None:
		# Ids as Frappe makes them: "<site>::<id>" on 15, "<site>||<id>" on 16 (RQ 2 refuses ":" in an id).
		dead_job = create_job_id(f"qbo-test-dead-{random_string(8)}")  # RQ forgot it: its work horse died
		live = Job.create(
			"frappe.ping", connection=get_redis_conn(), id=create_job_id(f"qbo-test-live-{random_string(8)}")
		)
		live.save()
		live.set_status(JobStatus.STARTED)
		self.addCleanup(live.delete)
		with in_job(dead_job):
			dead = self._open("ACC-SINV-DEAD-" + random_string(8))
		with in_job(live.id):
			alive = self._open("ACC-SINV-LIVE-" + random_string(8))
		outside = self._open("ACC-SINV-WEB-" + random_string(8))  # opened outside any job: timeout only
		self.assertEqual(frappe.db.get_value(LOG, dead, "job_id"), dead_job)
		self.assertIsNone(frappe.db.get_value(LOG, outside, "job_id"))

		tasks.sweep_interrupted()
		self.assertEqual(self._status(dead), "Interrupted")
		self.assertIn(
			"no later attempt, so it is retried automatically", frappe.db.get_value(LOG, dead, "message")
		)
		self.assertEqual((self._status(alive), self._status(outside)), ("Running", "Running"))
		live.set_status(JobStatus.FINISHED)  # the job ended without closing its row
		tasks.sweep_interrupted()
		self.assertEqual((self._status(alive), self._status(outside)), ("Interrupted", "Running"))
		self.store.finish_log(outside, LogOutcome("Skipped", "test row"))

	def test_a_worker_killed_mid_batch_leaves_nothing_running_once_the_documents_are_synced(self) -> None:
		invoices = [make_invoice([(SERVICE_ITEM, n, 10)]) for n in (1, 2, 3)]
		names = [invoice.name for invoice in invoices]
		self.jobs.calls.clear()
		real_batch = QBOClient.batch

		def killed(client: QBOClient, items: list, request_id: str | None = None) -> list:
			real_batch(client, items, request_id=request_id)
			raise SystemExit("work horse killed")  # QBO committed the batch; the answer is lost

		dead_job = create_job_id(f"qbo-push-many::killed-{random_string(8)}")
		with in_job(dead_job), patch.object(QBOClient, "batch", killed), self.assertRaises(SystemExit):
			tasks.push_many(SI, names)
		frappe.db.rollback()
		running = frappe.get_all(
			LOG, {"job_id": dead_job, "status": "Running"}, ["name", "operation", "reference_name"]
		)
		self.assertEqual(sorted(r.reference_name for r in running if r.operation == "push"), sorted(names))
		[bulk] = [r.name for r in running if r.operation == "bulk"]

		tasks.push_many(SI, names)  # a later run (the button again, Sync Now or auto-push)
		for invoice in names:
			self.assertEqual(self.link_of(SI, invoice).state, "Synced")
			self.assertEqual(len(self._qbo_invoices_of(invoice)), 1, "found in QBO, not sent twice")
		for row in running:
			if row.operation == "push":
				message = frappe.db.get_value(LOG, row.name, "message")
				self.assertEqual(self._status(row.name), "Interrupted")
				self.assertRegex(message, r"a later attempt \S+ ended (Success|Warning) at ")
		tasks.sweep_interrupted()  # the scheduler, within 5 minutes: the dead run's summary row
		self.assertEqual(self._status(bulk), "Interrupted")
		self.assertEqual(
			frappe.get_all(LOG, {"job_id": dead_job, "status": ("in", ("Running", "Queued"))}), []
		)
		self.assertEqual(
			frappe.get_all(LOG, {"reference_name": ("in", names), "status": ("in", ("Running", "Queued"))}),
			[],
		)

	# -- internal errors -------------------------------------------------------------------------------
	def test_an_internal_error_keeps_a_traceback_without_secrets_for_managers_only(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 1, 25)])
		self.jobs.calls.clear()
		secret = self.emu.client_secret  # bare, with nothing around it that looks like a secret

		def broken(*args: Any, **kwargs: Any) -> Any:
			raise RuntimeError(f"mapping blew up near {secret}")

		with patch("qbo_connector.sync.push.PushMixin.prepare", broken):
			tasks.push_document(SI, invoice.name)
		log = frappe.get_last_doc(LOG, {"reference_name": invoice.name, "operation": "push"})
		self.assertEqual((log.status, log.error_code, log.retryable), ("Failed", INTERNAL_CODE, 1))
		self.assertIn("Traceback (most recent call last)", log.traceback)
		self.assertIn("RuntimeError: mapping blew up near ***", log.traceback)
		stored = json.dumps(frappe.db.get_value(LOG, log.name, "*", as_dict=True), default=str)
		self.assertNotIn(secret, stored)
		self.assertEqual(self.store.get_log(log.name).traceback, log.traceback)

		# The last of MAX_INTERNAL_ATTEMPTS is Failed for good and says what to do.
		frappe.db.set_value(LOG, log.name, "attempts", MAX_INTERNAL_ATTEMPTS - 1)
		frappe.db.commit()
		with patch("qbo_connector.sync.push.PushMixin.prepare", broken):
			tasks.get_engine().retry(log.name)
		last = frappe.get_last_doc(LOG, {"retry_of": log.name})
		self.assertEqual((last.status, last.retryable, last.next_retry_at), ("Failed", 0, None))
		self.assertIn(f"Stopped retrying after {MAX_INTERNAL_ATTEMPTS} attempts", last.message)

		meta = frappe.get_meta(LOG)
		self.assertEqual(meta.get_field("traceback").permlevel, 1)
		clerk = make_user("qbo-clerk@example.com", ["Accounts User"])
		manager = make_user("qbo-am@example.com", ["Accounts Manager", "Accounts User"])
		seen = {}
		for user in (clerk, manager):
			frappe.set_user(user)
			try:
				doc = frappe.get_doc(LOG, log.name)
				doc.apply_fieldlevel_read_permissions()  # what the form's getdoc does
				seen[user] = (doc.get("message"), doc.get("traceback"))
			finally:
				frappe.set_user("Administrator")
		self.assertIsNone(seen[clerk][1], "an Accounts User sees the message, not the traceback")
		self.assertTrue(seen[clerk][0])
		self.assertEqual(seen[manager][1], log.traceback)
