"""Deposit creation: with the connection's create_deposits on, a pushed payment is received into Undeposited
Funds and one QBO Deposit moves it into the chosen bank account, so bank reconciliation in QBO matches the
bank statement line (as Nexudus/Invoiced do).

Exactly once, like the payment itself: the deposit's requestid (derived from the payment's name, the
operation "deposit" and a generation) is saved on the payment's link, in link.pushed["deposit"], BEFORE the
create is sent. A later attempt that finds it without an id looks the deposit up first (same date, a line
linking our payment) and otherwise re-sends the same requestid, which QBO replays. A deposited payment
cannot be voided (6540), so a cancel deletes the deposit first.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal
from typing import Any

from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import NotFoundError, QBOError, StaleObjectError
from qbo_connector.qbo.query import Query

from . import ids
from .base import EngineBase, money
from .mapper import Mapped
from .outcome import is_definitive
from .store import ConnectionConfig, Link

logger = logging.getLogger(__name__)

DEPOSIT = "Deposit"
DEPOSIT_KEY = "deposit"  # key of the deposit's state in Link.pushed


def deposit_note(link: Link) -> str:
	"""The PrivateNote of a payment's deposit; also how a deposit that may have landed is recognised."""
	return f"ERPNext {link.doctype} {link.name} (deposit)"


def deposit_state(link: Link) -> dict[str, Any]:
	"""What the link records about the payment's deposit (a copy; empty when none was attempted).

	Keys: request_id, generation, txn_date, amount, bank, id, sync_token, state ("pending" | "created" |
	"deleted" | "none": a pending create found not to have landed when the payment was cancelled)."""
	state = link.pushed.get(DEPOSIT_KEY)
	return dict(state) if isinstance(state, dict) else {}


def links_payment(deposit: dict[str, Any], payment_id: str) -> bool:
	"""Does a QBO Deposit have a line that deposits this payment?"""
	for line in deposit.get("Line") or []:
		for txn in line.get("LinkedTxn") or []:
			if txn.get("TxnType") == "Payment" and str(txn.get("TxnId")) == str(payment_id):
				return True
	return False


class DepositMixin(EngineBase):
	"""ensure_deposit() after a payment push, remove_deposit() before a payment void."""

	def fingerprint(self, config: ConnectionConfig | None, doctype: str, name: str) -> str | None:
		"""The base fingerprint, plus the deposit bank account while deposits are on: a refused deposit
		(say, an inactive account) is retried once the setting is fixed. Unchanged while deposits are off."""
		base = super().fingerprint(config, doctype, name)
		if base is None or config is None or not config.create_deposits:
			return base
		key = f"{base}\x1fdeposits\x1f{config.deposit_bank_account or ''}"
		return hashlib.sha256(key.encode()).hexdigest()[:32]

	def _save_deposit(self, link: Link, state: dict[str, Any]) -> None:
		link.pushed = {**link.pushed, DEPOSIT_KEY: state}
		self.store.save_link(link)

	def needs_deposit(self, link: Link, mapped: Mapped) -> bool:
		"""A synced payment of a connection with deposits on that has no deposit yet."""
		if not mapped.deposit_to or link.qbo_entity != "Payment" or not link.qbo_id or link.state != "synced":
			return False
		return deposit_state(link).get("state") not in ("created", "deleted")

	def ensure_deposit(self, client: QBOClient, link: Link, mapped: Mapped) -> str:
		"""Deposit the linked payment into mapped.deposit_to once; returns the sentence for the log row.

		Raises whatever QBO raised; the payment stays linked and in Undeposited Funds, and the next attempt
		only completes the deposit (same requestid after an ambiguous failure, a new one after a refusal)."""
		assert link.qbo_id is not None and mapped.deposit_to
		state = deposit_state(link)
		how = "Deposited"
		found = None
		if state.get("request_id"):
			found = self.find_deposit(
				client, link, state.get("txn_date")
			)  # an earlier create may have landed
			how = "Found the deposit of an interrupted attempt:"
		else:
			state = {
				"state": "pending",
				"generation": 0,
				"request_id": ids.request_id(link.realm_id, link.doctype, link.name, ids.DEPOSIT, 0),
				"txn_date": mapped.body.get("TxnDate"),
			}
		amount = money(link.remote_total if link.remote_total is not None else mapped.body.get("TotalAmt"))
		state.update(amount=str(amount), bank=mapped.deposit_to)
		self._save_deposit(link, state)  # pending, BEFORE anything is sent
		if found is None:
			how = "Deposited"
			body = self.deposit_body(link, mapped, amount, state.get("txn_date"))
			try:
				found = client.create(DEPOSIT, body, request_id=state["request_id"])
			except QBOError as exc:
				if is_definitive(exc):  # refused: nothing written; a fixed setting gets a fresh requestid
					state["generation"] = int(state.get("generation") or 0) + 1
					state["request_id"] = ids.request_id(
						link.realm_id, link.doctype, link.name, ids.DEPOSIT, state["generation"]
					)
					self._save_deposit(link, state)
				raise
		bank = (found.get("DepositToAccountRef") or {}).get("value") or mapped.deposit_to
		state.update(
			state="created", id=str(found["Id"]), sync_token=str(found.get("SyncToken", "0")), bank=bank
		)
		self._save_deposit(link, state)
		return f"{how} {amount} into QuickBooks bank account {bank} (Deposit {state['id']})."

	@staticmethod
	def deposit_body(link: Link, mapped: Mapped, amount: Decimal, txn_date: str | None) -> dict[str, Any]:
		"""The whole payment, out of Undeposited Funds into the bank account, on the payment's date."""
		body: dict[str, Any] = {
			"DepositToAccountRef": {"value": mapped.deposit_to},
			"Line": [
				{
					"Amount": float(amount),
					"LinkedTxn": [{"TxnId": link.qbo_id, "TxnType": "Payment", "TxnLineId": "0"}],
				}
			],
			"PrivateNote": deposit_note(link),
		}
		if txn_date:
			body["TxnDate"] = txn_date
		for key in (
			"CurrencyRef",
			"ExchangeRate",
		):  # a foreign-currency payment goes to a bank in its currency
			if key in mapped.body:
				body[key] = mapped.body[key]
		return body

	def find_deposit(self, client: QBOClient, link: Link, txn_date: str | None) -> dict[str, Any] | None:
		"""A deposit of this payment that an interrupted attempt may have created: on the payment's date,
		with a line linking the payment (QBO cannot filter on LinkedTxn, so the date narrows it down)."""
		query = Query(DEPOSIT)
		if txn_date:
			query.where("TxnDate", "=", txn_date)
		rows = [r for r in self.rows(client, query) if r.get("status") != "Deleted"]
		ours = [r for r in rows if link.qbo_id and links_payment(r, link.qbo_id)]
		return min(ours, key=lambda r: int(r["Id"]) if str(r["Id"]).isdigit() else 0) if ours else None

	def remove_deposit(self, client: QBOClient, link: Link) -> str:
		"""Before voiding a payment: delete the Deposit this connector made of it (QBO refuses to void a
		deposited payment, 6540). Returns the sentence for the log row ("" when there was none)."""
		state = deposit_state(link)
		if not state or state.get("state") in ("deleted", "none"):
			return ""
		if not state.get("id"):  # the create's answer was lost: did it land?
			found = self.find_deposit(client, link, state.get("txn_date"))
			if found is None:
				state["state"] = "none"
				self._save_deposit(link, state)
				return ""
			state.update(id=str(found["Id"]), sync_token=str(found.get("SyncToken", "0")))
			self._save_deposit(link, state)
		deposit_id = str(state["id"])
		for attempt in range(self.stale_retries + 1):
			token = str(state.get("sync_token") or "0")
			rid = ids.request_id(link.realm_id, link.doctype, link.name, ids.DEPOSIT_DELETE, token)
			try:
				client.delete(DEPOSIT, deposit_id, token, request_id=rid)
				break
			except NotFoundError:
				break  # already deleted in QBO
			except StaleObjectError:
				if attempt >= self.stale_retries:
					raise
				fresh = client.read(DEPOSIT, deposit_id)
				state["sync_token"] = str(fresh.get("SyncToken"))
				self._save_deposit(link, state)
		state["state"] = "deleted"
		self._save_deposit(link, state)
		logger.info("deleted Deposit %s of %s %s before voiding it", deposit_id, link.doctype, link.name)
		return f"Deleted Deposit {deposit_id} (it held the payment in bank account {state.get('bank')})."
