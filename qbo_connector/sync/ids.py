"""Deterministic identifiers: QBO request ids and webhook dedupe keys.

A request id derived from what the write *is* (not when it was tried) means every retry of the same
write, in this worker or another one after a crash, carries the same `requestid`, and QBO replays the
first answer instead of creating a second invoice. uuid5 strings are 36 characters: within QBO's 50-char
limit for single writes and its 36-char limit for batch.
"""

from __future__ import annotations

import uuid

# Fixed namespace: changing it would change every request id and break replay of in-flight writes.
NAMESPACE = uuid.UUID("6f1c7a52-4be3-5d0a-9c3e-2f5b8d1e7a40")

CREATE = "create"
UPDATE = "update"
VOID = "void"
DELETE = "delete"
DEPOSIT = "deposit"  # the Deposit that moves a pushed payment from Undeposited Funds to the bank
DEPOSIT_DELETE = "deposit_delete"  # removing that Deposit before the payment is voided


def request_id(realm_id: str, doctype: str, name: str, operation: str, revision: str | int = 0) -> str:
	"""The QBO requestid of one write of one ERPNext document.

	revision: for a create, the link's generation (moves only when QBO definitively refused the create,
	so a fixed document gets a fresh id instead of a replayed refusal); for an update, the SyncToken it is
	based on; for a void/delete, 0 (there is only one). An amended document has its own name, so it is a
	new document with new ids; a cancel is its own operation.
	"""
	key = "\x1f".join((str(realm_id), doctype, name, operation, str(revision)))
	return str(uuid.uuid5(NAMESPACE, key))


def batch_request_id(request_ids: list[str]) -> str:
	"""One id for a batch chunk: the same chunk re-sent replays, a different chunk never does."""
	return str(uuid.uuid5(NAMESPACE, "batch\x1f" + "\x1f".join(request_ids)))


def event_key(realm_id: str, entity: str, entity_id: str, operation: str, occurred_at: str) -> str:
	"""Dedupe key of a webhook event: Intuit redelivers and may send one change more than once."""
	return "\x1f".join((str(realm_id), entity, str(entity_id), operation, occurred_at or ""))
