"""redact: what the sync log stores must not carry secrets."""

import json

from qbo_connector.qbo.redact import MASK, is_secret_key, redact, redact_str, redact_text


def test_secret_keys_are_masked_deeply_without_touching_the_input():
	data = {
		"access_token": "AT",
		"refresh_token": "RT",
		"client_secret": "CS",
		"code": "AB11596abcdef",
		"Authorization": "Bearer xyz",
		"password": "pw",
		"verifier_token": "VT",
		"webhookVerifierToken": "VT2",
		"id_token": "IT",
		"nested": [{"Refresh-Token": "RT2", "keep": 1}, ("x", {"token": "t"})],
		"token_type": "bearer",
		"expires_in": 3600,
		"x_refresh_token_expires_in": 8726400,
		"SyncToken": "3",
		"Id": "5",
	}
	out = redact(data)
	for key in (
		"access_token",
		"refresh_token",
		"client_secret",
		"code",
		"Authorization",
		"password",
		"verifier_token",
		"webhookVerifierToken",
		"id_token",
	):
		assert out[key] == MASK, key
	assert out["nested"][0] == {"Refresh-Token": MASK, "keep": 1}
	assert out["nested"][1] == ("x", {"token": MASK})
	assert out["SyncToken"] == "3" and out["Id"] == "5" and out["expires_in"] == 3600
	assert out["token_type"] == "bearer" and out["x_refresh_token_expires_in"] == 8726400
	assert data["access_token"] == "AT" and data["nested"][0]["Refresh-Token"] == "RT2"


def test_fault_codes_stay_readable():
	body = {"Fault": {"Error": [{"code": "6240", "Message": "Duplicate"}, {"code": 610}]}}
	assert redact(body) == body


def test_empty_secret_values_are_left_alone():
	assert redact({"password": "", "access_token": None}) == {"password": "", "access_token": None}


def test_bearer_and_basic_inside_strings():
	assert redact_str("Authorization: Bearer eyJabc.def-ghi_jkl==") == "Authorization: Bearer ***"
	assert redact_str("basic dXNlcjpwYXNz") == "basic ***"
	assert redact({"note": "sent Bearer abc123 to QBO"}) == {"note": "sent Bearer *** to QBO"}


def test_jwt_and_key_value_pairs_inside_strings():
	assert redact_str("token eyJhbGciOi.eyJzdWIi.sig here") == "token *** here"
	assert redact_str("unsigned eyJhbGciOi.eyJzdWIi. here") == "unsigned *** here"
	# Intuit's access tokens are JWEs whose key part is empty (header..iv.ciphertext.tag); bare, in an
	# exception message or a traceback, they must go too.
	jwe = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..Yq3rZ1x-Jn0w.Zm9vYmFy_YmF6.dGFn"
	assert redact_str(f"refresh failed for {jwe}, giving up") == "refresh failed for ***, giving up"
	assert redact_str("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..Q9wz7Tk") == "***"
	url = "https://x/cb?code=AB11abc&state=s&realmId=1&refresh_token=RT&client_secret=CS"
	assert redact_str(url) == "https://x/cb?code=***&state=s&realmId=1&refresh_token=***&client_secret=***"
	assert redact_str('{"password": "hunter2"}') == '{"password": "***"}'
	assert redact_str("error code=6240 happened") == "error code=6240 happened"
	assert redact_str("{'client_secret': 'abc'}") == "{'client_secret': '***'}"
	assert redact_str("") == ""


def test_non_container_values_are_copied():
	value = {"amount": 1.5, "flag": True, "none": None, "blob": b"bytes"}
	assert redact(value) == value


def test_redact_text_json_and_plain():
	text = json.dumps({"access_token": "AT", "Invoice": {"Id": "1"}})
	assert json.loads(redact_text(text)) == {"access_token": MASK, "Invoice": {"Id": "1"}}
	assert json.loads(redact_text(text.encode())) == {"access_token": MASK, "Invoice": {"Id": "1"}}
	assert redact_text("[1, 2]") == "[1, 2]"
	assert redact_text("{not json Bearer abc") == "{not json Bearer ***"
	assert redact_text("<xml>ok</xml>") == "<xml>ok</xml>"
	assert redact_text(None) is None


def test_is_secret_key():
	assert (
		is_secret_key("Client_Secret") and is_secret_key("db_password") and is_secret_key("appClientSecret")
	)
	assert (
		is_secret_key("code", "AB11") and not is_secret_key("code", "6240") and not is_secret_key("code", 610)
	)
	assert not is_secret_key("SyncToken") and not is_secret_key("DisplayName")
