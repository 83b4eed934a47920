"""Coalesced pushes (coalesce.py): the push job that starts first takes the push jobs still queued for its
company and sends them in batch requests, each document keeping its own log row and link, nothing taken
twice, nothing lost when its taker dies.

The jobs go into a queue of this test's own that no worker listens to, in the shape frappe.enqueue gives
them, and push_document runs as if an RQ worker had started it from there.
"""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import frappe
from frappe.utils.background_jobs import execute_job, get_redis_conn
from rq import Queue
from rq.job import Job

from qbo_connector.qbo_connector import coalesce, tasks
from qbo_connector.qbo_connector.tasks import PUSH_JOB, push_job_id
from qbo_connector.qbo_connector.tests.sync_utils import (
	COMPANY,
	PRODUCT_ITEM,
	SERVICE_ITEM,
	SyncTestCase,
	make_invoice,
)


def _job_id_of_site(site: str, job_id: str) -> str:
	"""frappe's create_job_id for any site ("site::id" on v15, "site||id" on v16, where RQ 2 refuses ':')."""
	from frappe.utils.background_jobs import create_job_id

	own = frappe.local.site
	frappe.local.site = site
	try:
		return create_job_id(job_id)
	finally:
		frappe.local.site = own


class TestCoalescedPushes(SyncTestCase):
	def setUp(self) -> None:
		super().setUp()
		self.connection = get_redis_conn()
		self.queue = Queue(f"qbo-test-coalesce-{uuid.uuid4().hex[:8]}", connection=self.connection)
		self.addCleanup(self._drop_queue)
		self.claims = coalesce.CLAIMS_KEY + frappe.local.site
		self.addCleanup(self.connection.delete, self.claims)

	def _drop_queue(self) -> None:
		for job_id in self.queue.get_job_ids():
			Job.fetch(job_id, connection=self.connection).delete()
		self.queue.delete(delete_jobs=True)

	def queue_push(self, doctype: str, name: str, site: str | None = None, method: str = PUSH_JOB) -> Job:
		"""A push job as events.py queues one (frappe.enqueue's shape), in this test's queue."""
		site = site or frappe.local.site
		return self.queue.enqueue_call(
			execute_job,
			kwargs={
				"site": site,
				"user": "Administrator",
				"method": method,
				"event": None,
				"job_name": method,
				"is_async": True,
				"kwargs": {"doctype": doctype, "name": name},
			},
			job_id=_job_id_of_site(site, push_job_id(doctype, name)),
		)

	def as_worker(self, doctype: str, name: str) -> Any:
		"""Patch rq's current job: push_document believes an RQ worker took it from self.queue."""
		job = SimpleNamespace(
			id=_job_id_of_site(frappe.local.site, push_job_id(doctype, name)),
			origin=self.queue.name,
			connection=self.connection,
		)
		return patch("rq.get_current_job", return_value=job)

	def invoices(self, count: int) -> list[Any]:
		invoices = [make_invoice([(SERVICE_ITEM, 1 + n, 100), (PRODUCT_ITEM, 2, 25)]) for n in range(count)]
		self.jobs.calls.clear()  # their submits queued push jobs in the captured queue: not used here
		return invoices

	def push_rows(self, name: str) -> list[Any]:
		return frappe.get_all(
			"QBO Sync Log",
			filters={"operation": "push", "reference_doctype": "Sales Invoice", "reference_name": name},
			fields=["status", "qbo_id"],
		)

	def test_the_first_job_sends_the_queued_pushes_of_its_company_in_batches(self) -> None:
		own, *queued = self.invoices(4)
		for invoice in queued:
			self.queue_push("Sales Invoice", invoice.name)
		with self.as_worker("Sales Invoice", own.name):
			answer = tasks.push_document("Sales Invoice", own.name)
		self.assertEqual(answer["status"], "Success", answer)
		for invoice in [own, *queued]:
			link = self.link_of("Sales Invoice", invoice.name)
			self.assertEqual(link.state, "Synced", invoice.name)
			obj = self.qbo_object("Invoice", link.qbo_id)
			self.assertTrue(obj["PrivateNote"].startswith(f"ERPNext Sales Invoice {invoice.name}"))
			self.assertEqual(float(obj["TotalAmt"]), invoice.grand_total)
			rows = self.push_rows(invoice.name)
			self.assertEqual([(r.status, r.qbo_id) for r in rows], [("Success", link.qbo_id)], invoice.name)
		notes = [
			str(obj.get("PrivateNote") or "").split(";")[0].strip() for obj in self.emu.objects("Invoice")
		]
		for invoice in [own, *queued]:  # one each, none twice
			self.assertEqual(notes.count(f"ERPNext Sales Invoice {invoice.name}"), 1, invoice.name)
		self.assertEqual(self.queue.count, 0)
		for invoice in queued:  # deleted, so a later change of the document queues a new job
			self.assertFalse(Job.exists(_job_id_of_site(frappe.local.site, push_job_id("Sales Invoice", invoice.name)),
				connection=self.connection))  # fmt: skip
		self.assertEqual(self.connection.hlen(self.claims), 0)
		self.assertEqual(self.jobs.calls, [])  # nothing had to be queued again

	def test_jobs_of_other_sites_other_methods_and_other_companies_stay_queued(self) -> None:
		own = self.invoices(1)[0]
		self.queue_push("Sales Invoice", "ACC-SINV-OTHER-SITE-1", site="another.site")
		self.queue_push("Sales Invoice", own.name + "-x", method=tasks.CANCEL_JOB)
		self.queue_push("Sales Invoice", "ACC-SINV-NOT-HERE-1")  # no such invoice: not this company's
		with self.as_worker("Sales Invoice", own.name):
			answer = tasks.push_document("Sales Invoice", own.name)
		self.assertEqual(answer["status"], "Success", answer)
		self.assertEqual(self.queue.count, 3)
		self.assertEqual(len(self.push_rows(own.name)), 1)

	def test_a_taken_job_is_taken_once(self) -> None:
		invoice = self.invoices(1)[0]
		self.queue_push("Sales Invoice", invoice.name)
		first = coalesce.take_queued(self.queue, COMPANY, PUSH_JOB, "taker-1")
		second = coalesce.take_queued(self.queue, COMPANY, PUSH_JOB, "taker-2")
		self.assertEqual(first, [("Sales Invoice", invoice.name)])
		self.assertEqual(second, [])
		claim = json.loads(
			self.connection.hget(
				self.claims, _job_id_of_site(frappe.local.site, push_job_id("Sales Invoice", invoice.name))
			)
		)
		self.assertEqual((claim["taker"], claim["name"]), ("taker-1", invoice.name))

	def test_jobs_taken_by_a_worker_that_died_are_queued_again_by_the_sweep(self) -> None:
		invoice, alive = self.invoices(2)
		self.queue_push("Sales Invoice", invoice.name)
		self.queue_push("Sales Invoice", alive.name)
		# taken by a job that no longer exists (its work horse was killed), and by one still running
		[taken] = coalesce.take_queued(self.queue, COMPANY, PUSH_JOB, "gone-job-id")[:1]
		running = self.queue.enqueue_call(execute_job, kwargs={}, job_id=f"running-{uuid.uuid4().hex}")
		running.set_status("started")
		self.addCleanup(running.delete)
		alive_key = _job_id_of_site(frappe.local.site, push_job_id("Sales Invoice", alive.name))
		raw = json.loads(self.connection.hget(self.claims, alive_key))
		self.connection.hset(self.claims, alive_key, json.dumps({**raw, "taker": running.id}))
		self.assertEqual(taken, ("Sales Invoice", invoice.name))

		self.assertEqual(coalesce.requeue_orphans(PUSH_JOB), 1)
		self.assertEqual(
			[(method, kwargs, options["job_id"]) for method, kwargs, options in self.jobs.calls],
			[
				(
					PUSH_JOB,
					{"doctype": "Sales Invoice", "name": invoice.name},
					push_job_id("Sales Invoice", invoice.name),
				)
			],
		)
		self.assertEqual(list(self.connection.hkeys(self.claims)), [alive_key.encode()])

	def test_switched_off_in_site_config_each_job_sends_its_own(self) -> None:
		own, queued = self.invoices(2)
		self.queue_push("Sales Invoice", queued.name)
		with (
			self.as_worker("Sales Invoice", own.name),
			patch.dict(frappe.local.conf, {"qbo_coalesce_pushes": 0}),
		):
			tasks.push_document("Sales Invoice", own.name)
		self.assertEqual(self.queue.count, 1)
		self.assertIsNone(self.link_of("Sales Invoice", queued.name))

	def test_outside_a_worker_the_push_is_the_single_one(self) -> None:
		own, queued = self.invoices(2)
		self.queue_push("Sales Invoice", queued.name)
		tasks.push_document("Sales Invoice", own.name)  # a test, the console: no RQ job
		self.assertEqual(self.queue.count, 1)
		self.assertEqual(self.link_of("Sales Invoice", own.name).state, "Synced")
