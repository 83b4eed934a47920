"""An error nobody foresaw reads as what it is: the connector's fault, not the document's, in words a person
can pass on (its kind and a short, redacted text), never a Python repr such as UniqueValidationError(...)."""

from __future__ import annotations

from qbo_connector.sync.outcome import INTERNAL_CODE, MAX_INTERNAL_ATTEMPTS, classify, internal_error_sentence


class UniqueValidationError(Exception):
	pass


def test_an_internal_error_says_it_is_internal_and_names_its_kind() -> None:
	failure = classify(UniqueValidationError("Duplicate entry 'x' for key 'qbo_key'"), attempts=1)
	assert failure.code == INTERNAL_CODE and failure.retryable
	assert failure.message.startswith("An internal error in the connector stopped this attempt")
	assert "(UniqueValidationError: Duplicate entry 'x' for key 'qbo_key')" in failure.message
	assert "not a problem with the document" in failure.message
	assert "UniqueValidationError(" not in failure.message  # not repr()


def test_the_error_text_is_redacted_flattened_and_short() -> None:
	secret = "eyJhbGciOiJIUzI1NiJ9." + "a" * 40 + "." + "b" * 40
	text = internal_error_sentence(RuntimeError(f"token {secret}\n\n" + "detail " * 100))
	assert secret not in text
	assert "\n" not in text
	assert len(text) < 400 and "…" in text


def test_the_last_attempt_says_it_stopped_retrying() -> None:
	failure = classify(KeyError("x"), attempts=MAX_INTERNAL_ATTEMPTS)
	assert not failure.retryable
	assert "An internal error in the connector" in failure.message
	assert f"Stopped retrying after {MAX_INTERNAL_ATTEMPTS} attempts" in failure.message
