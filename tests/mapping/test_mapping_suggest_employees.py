"""The Employee map's Suggest: a QBO employee per active, unmapped ERPNext employee, by e-mail (High) then by
normalised full name (Medium); never a QBO employee already mapped or inactive, never one QBO employee for two
ERPNext employees (nor two for one): those rows stay unmatched and say why."""

from __future__ import annotations

from qbo_connector.mapping.suggest import HIGH, MEDIUM, UNMATCHED, person_name, suggest_employees


def qbo(id_: str, display: str, email: str | None = None, **extra) -> dict:
	row = {"Id": id_, "DisplayName": display, "Active": True, **extra}
	if email:
		row["PrimaryEmailAddr"] = {"Address": email}
	return row


def erp(name: str, full: str, *emails: str) -> dict:
	return {"name": name, "employee_name": full, "emails": list(emails)}


def by_key(suggestions) -> dict:
	return {s.key: s for s in suggestions}


def test_names_are_compared_without_accents_case_punctuation_or_spacing() -> None:
	assert person_name("  José   O'Brien-Smith ") == person_name("jose obrien smith") == "jose obrien smith"
	assert person_name("Ada Lovelace") != person_name("Ada King")


def test_email_first_then_name_each_with_its_confidence_and_reason() -> None:
	out = by_key(
		suggest_employees(
			[
				erp("HR-EMP-1", "Ada Lovelace", "ADA@example.com"),
				erp("HR-EMP-2", "Grace Hopper", "gh@navy.mil"),
			],
			[
				qbo("55", "A. Lovelace", "ada@example.com"),
				qbo("56", "Grace  Hopper"),
				qbo("57", "Ada Lovelace"),  # same name as HR-EMP-1, but the e-mail match wins
			],
		)
	)
	ada, grace = out["HR-EMP-1"], out["HR-EMP-2"]
	assert (ada.qbo_id, ada.confidence) == ("55", HIGH) and "same e-mail" in ada.reason
	assert (grace.qbo_id, grace.confidence) == (
		"56",
		MEDIUM,
	) and "same name as 'Grace  Hopper'" in grace.reason


def test_given_and_family_names_match_when_the_display_name_differs() -> None:
	[s] = suggest_employees(
		[erp("HR-EMP-3", "Katherine Johnson")],
		[qbo("60", "KJ (contractor)", GivenName="Katherine", FamilyName="Johnson")],
	)
	assert (s.qbo_id, s.confidence) == ("60", MEDIUM)


def test_a_mapped_or_inactive_qbo_employee_is_never_proposed() -> None:
	out = suggest_employees(
		[erp("HR-EMP-1", "Ada Lovelace", "ada@example.com"), erp("HR-EMP-2", "Grace Hopper")],
		[qbo("55", "Ada Lovelace", "ada@example.com"), qbo("56", "Grace Hopper", Active=False)],
		mapped_qbo_ids=["55"],
	)
	assert [(s.qbo_id, s.confidence) for s in out] == [(None, UNMATCHED), (None, UNMATCHED)]
	assert "no free QuickBooks employee" in out[0].reason


def test_one_qbo_employee_is_never_proposed_for_two_employees_nor_two_for_one() -> None:
	out = by_key(
		suggest_employees(
			[
				erp("HR-EMP-1", "John Smith"),
				erp("HR-EMP-2", "John Smith"),
				erp("HR-EMP-3", "Mary Jones", "mary@example.com"),
			],
			[
				qbo("70", "John Smith"),
				qbo("71", "Mary Jones", "mary@example.com"),
				qbo("72", "M. Jones", "MARY@example.com"),
			],
		)
	)
	for key in ("HR-EMP-1", "HR-EMP-2"):
		assert out[key].qbo_id is None and "several ERPNext employees (HR-EMP-1, HR-EMP-2)" in out[key].reason
	mary = out["HR-EMP-3"]
	assert mary.qbo_id is None and "several QuickBooks employees have the same e-mail" in mary.reason
	proposed = [s.qbo_id for s in out.values() if s.qbo_id]
	assert len(proposed) == len(set(proposed))


def test_an_employee_taken_by_email_is_not_proposed_again_by_name() -> None:
	out = suggest_employees(
		[erp("HR-EMP-1", "Ada Lovelace", "ada@example.com"), erp("HR-EMP-2", "Ada Lovelace")],
		[qbo("55", "Ada Lovelace", "ada@example.com")],
	)
	assert [(s.key, s.qbo_id) for s in out] == [("HR-EMP-1", "55"), ("HR-EMP-2", None)]
