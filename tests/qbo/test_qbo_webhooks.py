"""Webhook signatures and both payload formats Intuit sends."""

import json

import pytest

from qbo_connector.qbo import webhooks
from qbo_connector.qbo.webhooks import WebhookEvent, WebhookPayloadError, parse_events, sign, verify_signature

# Test vector from QuickBooks-V3-Java-SDK WebhooksServiceTest.java (see QBO_API_NOTES.md).
VECTOR_TOKEN = "b5771f19b12ddb4bcdb9f08bdc50bc63878a"
VECTOR_BODY = (
	b'{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":[{"name":"Customer",'
	b'"id":"1","operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"}]}}]}'
)
VECTOR_SIGNATURE = "JC2GUwciPmRBwEO7WvrRmKqu9tGOKL8FFallocTFi8Q="


def test_sign_matches_intuit_test_vector():
	assert sign(VECTOR_BODY, VECTOR_TOKEN) == VECTOR_SIGNATURE
	assert sign(VECTOR_BODY.decode(), VECTOR_TOKEN) == VECTOR_SIGNATURE


def test_verify_signature_accepts_vector_and_rejects_tampering():
	assert verify_signature(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_TOKEN)
	assert verify_signature(VECTOR_BODY, f" {VECTOR_SIGNATURE}\n", VECTOR_TOKEN)
	assert not verify_signature(VECTOR_BODY + b" ", VECTOR_SIGNATURE, VECTOR_TOKEN)
	assert not verify_signature(VECTOR_BODY, VECTOR_SIGNATURE, "other-token")
	assert not verify_signature(VECTOR_BODY, None, VECTOR_TOKEN)
	assert not verify_signature(VECTOR_BODY, "", VECTOR_TOKEN)
	assert not verify_signature(VECTOR_BODY, VECTOR_SIGNATURE, "")
	assert not verify_signature(VECTOR_BODY, "naïve-not-ascii", VECTOR_TOKEN)


def test_verify_uses_constant_time_compare(monkeypatch):
	calls = []
	real = webhooks.hmac.compare_digest

	def spy(a, b):
		calls.append((a, b))
		return real(a, b)

	monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
	assert verify_signature(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_TOKEN)
	assert len(calls) == 1


def test_parse_legacy_vector():
	assert parse_events(VECTOR_BODY) == [
		WebhookEvent(
			realm_id="1185883450",
			entity="Customer",
			entity_id="1",
			operation="Create",
			occurred_at="2015-10-05T14:42:19-07:00",
			event_id=None,
		)
	]


def test_parse_legacy_several_realms_entities_and_merge():
	body = {
		"eventNotifications": [
			{
				"realmId": "111",
				"dataChangeEvent": {
					"entities": [
						{
							"name": "Invoice",
							"id": "5",
							"operation": "Void",
							"lastUpdated": "2024-01-02T03:04:05.000Z",
						},
						{
							"name": "Customer",
							"id": "9",
							"operation": "Merge",
							"deletedId": "7",
							"lastUpdated": "",
						},
						"junk",
					]
				},
			},
			{
				"realmId": "222",
				"dataChangeEvent": {"entities": [{"name": "creditmemo", "id": "3", "operation": "Emailed"}]},
			},
			{"realmId": "333", "dataChangeEvent": "garbage"},
			"junk",
		]
	}
	events = parse_events(json.dumps(body))
	assert [(e.realm_id, e.entity, e.entity_id, e.operation) for e in events] == [
		("111", "Invoice", "5", "Void"),
		("111", "Customer", "9", "Merge"),
		("222", "CreditMemo", "3", "Emailed"),
	]
	assert events[1].deleted_id == "7"
	assert events[0].occurred_at == "2024-01-02T03:04:05.000Z"


@pytest.mark.parametrize(
	("event_type", "entity", "operation"),
	[
		("qbo.invoice.voided.v1", "Invoice", "Void"),
		("qbo.invoice.void.v1", "Invoice", "Void"),
		("qbo.customer.created.v1", "Customer", "Create"),
		("qbo.item.updated.v1", "Item", "Update"),
		("qbo.payment.deleted.v1", "Payment", "Delete"),
		("qbo.customer.merged.v1", "Customer", "Merge"),
		("qbo.invoice.emailed.v1", "Invoice", "Emailed"),
		("QBO.CreditMemo.CREATED.V2", "CreditMemo", "Create"),
		("qbo.salesreceipt.created", "SalesReceipt", "Create"),
		("com.intuit.qbo.widget.frobbed.v1", "Widget", "Frobbed"),
	],
)
def test_parse_cloudevents_types(event_type, entity, operation):
	body = [
		{
			"specversion": "1.0",
			"id": "evt-1",
			"source": "intuit.qbo",
			"type": event_type,
			"time": "2026-01-05T10:00:00Z",
			"intuitentityid": "1234",
			"intuitaccountid": "4620816365",
			"datacontenttype": "application/json",
			"data": {},
		}
	]
	(event,) = parse_events(json.dumps(body).encode())
	assert (event.entity, event.operation) == (entity, operation)
	assert event.entity_id == "1234"
	assert event.realm_id == "4620816365"
	assert event.event_id == "evt-1"
	assert event.occurred_at == "2026-01-05T10:00:00Z"


def test_parse_cloudevents_lenient_case_and_data_fallbacks():
	body = [
		{
			"SpecVersion": "1.0",
			"ID": "a",
			"Type": "qbo.Invoice.Updated.v1",
			"IntuitEntityId": "1",
			"IntuitAccountId": "9",
		},
		{
			"type": "qbo.customer.merged.v1",
			"data": {"id": "2", "realmId": "8", "deletedId": "3", "lastUpdated": "x"},
		},
		"not-an-event",
	]
	first, second = parse_events(body)
	assert (first.entity, first.entity_id, first.realm_id, first.operation, first.event_id) == (
		"Invoice",
		"1",
		"9",
		"Update",
		"a",
	)
	assert (second.entity_id, second.realm_id, second.deleted_id, second.event_id) == ("2", "8", "3", None)


def test_parse_single_cloudevent_object():
	(event,) = parse_events({"specversion": "1.0", "type": "qbo.payment.created.v1", "intuitentityid": "5"})
	assert event.entity == "Payment"


@pytest.mark.parametrize("body", [b"not json", b"{}", b"42", '{"foo": 1}'])
def test_parse_rejects_unknown_payloads(body):
	with pytest.raises(WebhookPayloadError):
		parse_events(body)


def test_parse_rejects_bad_cloudevent_type():
	with pytest.raises(WebhookPayloadError):
		parse_events([{"type": "nonsense"}])


def test_webhook_payload_error_is_value_error():
	assert issubclass(WebhookPayloadError, ValueError)


def test_empty_cloudevents_array_is_no_events():
	assert parse_events(b"[]") == []
