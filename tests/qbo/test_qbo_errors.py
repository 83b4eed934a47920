"""parse_fault: every body shape QBO answers with maps to the right typed error and a readable sentence."""

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from qbo_connector.qbo import errors
from qbo_connector.qbo.errors import (
	AuthenticationError,
	DuplicateDocNumberError,
	DuplicateNameError,
	InvalidGrantError,
	InvalidReferenceError,
	NotFoundError,
	QBOError,
	ServerError,
	StaleObjectError,
	ThrottledError,
	TransportError,
	ValidationError,
	fault_in,
	parse_fault,
	parse_retry_after,
)


def fault(code, message="Msg", detail="Det", element=None, ftype="ValidationFault"):
	err = {"Message": message, "Detail": detail, "code": code}
	if element is not None:
		err["element"] = element
	return json.dumps({"Fault": {"Error": [err], "type": ftype}, "time": "2025-01-01T00:00:00.000-08:00"})


@pytest.mark.parametrize(
	("status", "code", "cls"),
	[
		(400, "610", NotFoundError),
		(400, "2500", InvalidReferenceError),
		(400, "5010", StaleObjectError),
		(400, "6240", DuplicateNameError),
		(400, "6140", DuplicateDocNumberError),
		(429, "3001", ThrottledError),
		(400, "3001", ThrottledError),
		(401, "3200", AuthenticationError),
		(403, "3100", AuthenticationError),
		(500, "10000", ServerError),
		(400, "10000", ServerError),
		(503, "503", ServerError),
		(500, "500", ServerError),
		(400, "2020", ValidationError),
		(400, "6000", ValidationError),
		(400, "6540", ValidationError),
		(400, "4001", ValidationError),
	],
)
def test_json_fault_codes_map_to_classes(status, code, cls):
	err = parse_fault(status, fault(code), {"intuit_tid": "1-abc"})
	assert type(err) is cls
	assert (err.status, err.code, err.message, err.detail, err.intuit_tid) == (
		status,
		code,
		"Msg",
		"Det",
		"1-abc",
	)
	assert err.fault_type == "ValidationFault"
	assert err.user_message.endswith(f"(code {code}).")
	assert str(err) == err.user_message
	assert isinstance(err, QBOError)


def test_duplicate_name_message_exact():
	err = parse_fault(
		400, fault("6240", "Duplicate Name Exists Error", "The name supplied already exists."), {}
	)
	assert (
		err.user_message
		== "QuickBooks rejected the name because another customer, vendor or employee already uses it (code 6240)."
	)
	assert not err.retryable


def test_invalid_reference_message_names_what_was_missing():
	err = parse_fault(
		400,
		fault("2500", "Invalid Reference Id", "Invalid Reference Id : Accounts element id 7 not found"),
		{},
	)
	assert "Accounts element id 7 not found" in err.user_message
	assert "check the mapping" in err.user_message


def test_element_is_named_in_validation_message():
	err = parse_fault(
		400, fault("2050", "String length is either shorter or longer", "too long", "DocNumber"), {}
	)
	assert err.element == "DocNumber"
	assert "in field DocNumber" in err.user_message


def test_unknown_code_gets_generic_sentence_with_detail():
	err = parse_fault(400, fault("9999", "Weird", "Something odd happened"), {})
	assert type(err) is ValidationError
	assert err.user_message == "QuickBooks rejected the data (Something odd happened) (code 9999)."


def test_several_errors_are_all_kept():
	body = {
		"Fault": {
			"Error": [
				{"Message": "A", "Detail": "a", "code": "2020", "element": "Line"},
				{"Message": "B", "Detail": "b", "code": "2050"},
			]
		}
	}
	err = parse_fault(400, json.dumps(body).encode(), None)
	assert err.code == "2020" and [e.code for e in err.errors] == ["2020", "2050"]
	assert err.errors[1].message == "B"


def test_lowercase_fault_as_in_401_bodies():
	body = {
		"warnings": None,
		"intuitObject": None,
		"fault": {
			"error": [
				{
					"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
					"detail": "Token expired: eyJhbGciOiJkaXIifQ.eyJzdWIiOiJ4In0.c2ln",
					"code": "3200",
					"element": None,
				}
			],
			"type": "AUTHENTICATION",
		},
		"time": "2025-01-01T00:00:00Z",
	}
	err = parse_fault(401, json.dumps(body), {"INTUIT_TID": "tid-up"})
	assert type(err) is AuthenticationError
	assert (err.code, err.fault_type, err.intuit_tid, err.element) == (
		"3200",
		"AUTHENTICATION",
		"tid-up",
		None,
	)
	assert "eyJ" not in err.detail and "***" in err.detail
	assert "access token" in err.user_message


def test_single_error_object_instead_of_list():
	err = parse_fault(400, '{"Fault": {"Error": {"Message": "x", "code": "610"}}}', {})
	assert type(err) is NotFoundError


def test_xml_intuit_response_fault():
	xml = (
		'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
		'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2025-01-01T00:00:00.000-08:00">'
		'<Fault type="ValidationFault"><Error code="6140" element="DocNumber"><Message>Duplicate Document Number'
		" Error</Message><Detail>Duplicate Document Number Error : You must specify a different number."
		"</Detail></Error></Fault></IntuitResponse>"
	)
	err = parse_fault(400, xml.encode(), {"intuit_tid": "x1"})
	assert type(err) is DuplicateDocNumberError
	assert (err.code, err.element, err.fault_type, err.message) == (
		"6140",
		"DocNumber",
		"ValidationFault",
		"Duplicate Document Number Error",
	)
	assert err.detail.startswith("Duplicate Document Number Error :")
	assert "another transaction already uses it" in err.user_message


def test_xml_throttle_with_retry_after():
	xml = (
		'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="ValidationFault">'
		'<Error code="3001"><Message>message=ThrottleExceeded</Message><Detail>limit</Detail></Error>'
		"</Fault></IntuitResponse>"
	)
	err = parse_fault(429, xml, {"retry-after": "12"})
	assert type(err) is ThrottledError and err.retry_after == 12.0 and err.retryable


def test_bare_fault_xml_and_xml_without_fault():
	err = parse_fault(
		400, '<Fault type="SystemFault"><Error><code>10000</code><Message>m</Message></Error></Fault>', {}
	)
	assert type(err) is ServerError and err.code == "10000"
	err = parse_fault(502, "<Other/>", {})
	assert type(err) is ServerError and err.code is None
	assert (
		err.user_message == "QuickBooks had an internal problem; the request can be retried later (HTTP 502)."
	)


def test_html_error_page():
	page = (
		"<!DOCTYPE html><html><head><title>503 Service Unavailable</title><style>p{}</style></head>"
		"<body><h1>Service Unavailable</h1><script>var x=1;</script><p>Try again &amp; later.</p></body></html>"
	)
	err = parse_fault(503, page, {"intuit_tid": "h"})
	assert type(err) is ServerError
	assert err.message == "503 Service Unavailable"
	assert "Try again & later." in err.detail and "var x" not in err.detail and "<" not in err.detail
	assert err.retryable


def test_malformed_markup_is_treated_as_a_page():
	err = parse_fault(500, "<p>Internal error <b>oops", {})
	assert type(err) is ServerError and err.detail == "Internal error oops"


def test_html_without_title_and_xhtml():
	err = parse_fault(404, "<html><body>" + "x" * 1000 + "</body></html>", {})
	assert type(err) is NotFoundError and len(err.detail) <= 300
	xhtml = '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Bad Gateway</title></head><body/></html>'
	assert parse_fault(502, xhtml, {}).message == "Bad Gateway"


@pytest.mark.parametrize(
	("status", "cls"),
	[
		(400, ValidationError),
		(401, AuthenticationError),
		(403, AuthenticationError),
		(404, NotFoundError),
		(429, ThrottledError),
		(500, ServerError),
		(504, ServerError),
	],
)
def test_empty_body_maps_by_status(status, cls):
	for body in (b"", "", None, "   "):
		err = parse_fault(status, body, {})
		assert type(err) is cls
		assert err.code is None and err.message == f"HTTP {status}"
		assert err.user_message.endswith(f"(HTTP {status}).")


def test_empty_403_says_authorisation():
	assert "not authorised" in parse_fault(403, b"", {}).user_message


def test_200_carrying_fault_detected_and_parsed():
	body = fault("5010", "Stale Object Error", "You and someone else are editing")
	assert fault_in(json.loads(body)) and fault_in({"fault": {}})
	assert not fault_in({"Invoice": {}}) and not fault_in([])
	err = parse_fault(200, body, {})
	assert type(err) is StaleObjectError and err.status == 200
	assert "changed in QuickBooks" in err.user_message


def test_fault_type_decides_when_code_unknown():
	assert type(parse_fault(400, fault("77", ftype="SystemFault"), {})) is ServerError
	assert type(parse_fault(400, fault("77", ftype="AuthenticationFault"), {})) is AuthenticationError


def test_oauth_invalid_grant_and_other_oauth_errors():
	err = parse_fault(400, '{"error": "invalid_grant", "error_description": "Token invalid"}', {})
	assert type(err) is InvalidGrantError and isinstance(err, AuthenticationError)
	assert err.code == "invalid_grant" and err.detail == "Token invalid"
	assert "reconnect" in err.user_message
	assert type(parse_fault(401, '{"error": "invalid_client"}', {})) is AuthenticationError


def test_other_json_shapes():
	err = parse_fault(400, '{"error": {"code": "610", "message": "gone", "detail": "d"}}', {})
	assert type(err) is NotFoundError and err.message == "gone"
	err = parse_fault(400, '{"message": "Bad thing", "code": "2020"}', {})
	assert err.code == "2020" and err.message == "Bad thing"
	err = parse_fault(400, '[{"Fault": {"Error": [{"code": "6240"}]}}]', {})
	assert type(err) is DuplicateNameError
	err = parse_fault(400, '["x"]', {})
	assert type(err) is ValidationError and err.code is None
	err = parse_fault(400, '"just a string"', {})
	assert type(err) is ValidationError
	err = parse_fault(400, "{broken json", {})
	assert type(err) is ValidationError and err.detail == "{broken json"
	err = parse_fault(418, "plain text problem", {})
	assert err.detail == "plain text problem"
	assert err.user_message == "QuickBooks rejected the data (plain text problem) (HTTP 418)."


def test_error_without_status_or_code():
	err = QBOError()
	assert err.user_message == "QuickBooks answered with an error." and str(err) == err.user_message


def test_str_appends_code_when_custom_message_lacks_it():
	err = ValidationError("m", code="2020", user_message="Fix the customer.")
	assert str(err) == "Fix the customer. (code 2020)"
	assert err.to_dict()["user_message"] == "Fix the customer."


def test_to_dict_and_repr():
	err = parse_fault(400, fault("6240"), {"intuit_tid": "t"})
	data = err.to_dict()
	assert data["type"] == "DuplicateNameError" and data["code"] == "6240" and data["intuit_tid"] == "t"
	assert data["retryable"] is False
	assert repr(err).startswith("DuplicateNameError(status=400, code='6240'")


def test_transport_error_messages():
	err = TransportError("timeout", ambiguous=True)
	assert err.retryable and err.ambiguous
	assert "may or may not have saved" in err.user_message and "(timeout)" in err.user_message
	err = TransportError()
	assert (
		err.user_message
		== "The connection to QuickBooks failed before an answer arrived; the request can be retried."
	)


def test_secrets_never_reach_messages():
	err = ValidationError("Bearer abc.def.ghi", detail="refresh_token=RT123 access_token=AT9")
	text = str(err) + err.message + err.detail
	assert "abc.def" not in text and "RT123" not in text and "AT9" not in text


def test_retry_after_parsing():
	assert parse_retry_after(None) is None
	assert parse_retry_after("5") == 5.0
	assert parse_retry_after("-3") == 0.0
	assert parse_retry_after("soon") is None
	now = datetime(2025, 1, 1, tzinfo=timezone.utc)
	when = format_datetime(now + timedelta(seconds=30), usegmt=True)
	assert parse_retry_after(when, now=now.timestamp()) == pytest.approx(30.0)
	assert parse_retry_after(format_datetime(now, usegmt=True)) == 0.0


def test_header_lookup_is_case_insensitive_on_plain_dicts():
	assert errors.header({"Intuit_TID": "x"}, "intuit_tid") == "x"
	assert errors.header({}, "a") is None and errors.header(None, "a") is None
	assert errors.header({"b": "1"}, "a") is None


def test_status_like_fault_code_in_a_400_is_not_retryable():
	"""QBO answers "Unsupported Operation" as code 500 inside HTTP 400: retrying it cannot help."""
	body = {
		"Fault": {
			"Error": [
				{"Message": "Unsupported Operation", "Detail": "Operation not supported", "code": "500"}
			],
			"type": "ValidationFault",
		}
	}
	err = parse_fault(400, json.dumps(body), {})
	assert type(err) is ValidationError
	assert not err.retryable
	assert type(parse_fault(500, json.dumps(body), {})) is ServerError
