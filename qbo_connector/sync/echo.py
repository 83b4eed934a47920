"""Not reading back what a write already answered.

QBO sends a webhook for the app's own writes too. The create (or update) answer already told us the object's
MetaData.LastUpdatedTime, and the link keeps it: an event for that object at that same moment is our own
write coming back, and reading the object again would only spend a metered read on what we already know.
A change made in QBO afterwards carries a later time and is read as usual; CDC remains the backstop.
"""

from __future__ import annotations

from qbo_connector.qbo.webhooks import WebhookEvent

from .base import parse_time
from .store import Store

ECHO_OPERATIONS = ("Create", "Update")


def is_own_echo(store: Store, event: WebhookEvent) -> bool:
	"""Whether a webhook event announces the very write whose answer the link already holds."""
	if event.operation not in ECHO_OPERATIONS or not event.occurred_at:
		return False
	link = store.find_link(event.realm_id, event.entity, event.entity_id)
	if link is None or link.origin != "push" or link.state != "synced" or not link.remote_updated:
		return False
	told, known = parse_time(event.occurred_at), parse_time(link.remote_updated)
	if told is None or known is None:
		return False
	# QBO's MetaData times are to the second; webhook times may carry milliseconds.
	return told.replace(microsecond=0) == known.replace(microsecond=0)
