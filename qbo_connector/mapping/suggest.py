"""Suggestions for the account, tax, class and employee maps: which QBO record an ERPNext record most likely is.

Accounts are matched in passes, each only among what the earlier passes left (one QBO account is suggested for
one ERPNext account, except where many-to-one is normal, such as several ERPNext tax accounts and one QBO sales
tax liability):

1. account number: both sides carry the same number (QBO's AcctNum, when account numbers are on);
2. name: the same words once normalised (case, punctuation, "&"/"and", plurals, a company suffix " - ABC",
   a parenthesis such as "(A/R)", and a few words ERPNext and QBO spell differently: Debtors / Accounts
   Receivable, Stock / Inventory, Freight / Shipping);
3. similar name: most words shared (Dice coefficient at least 0.5), with one candidate clearly ahead;
4. type: ERPNext's account type has exactly one QBO account of the fitting type and subtype left (Receivable:
   the A/R account, Stock: the inventory asset, Tax: the sales tax liability).

Candidates are only ever of the same kind (asset, liability, equity, income, expense), or, for a map row, of
the types its purpose allows. What no pass matches stays unmatched: a suggestion nobody can check is worse than
none. Tax templates are matched to QBO tax codes by rate (then by name among codes of the same rate).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.context import TaxCodeInfo
from qbo_connector.mapping.money import D

HIGH, MEDIUM, LOW, UNMATCHED = "High", "Medium", "Low", "Unmatched"
SIMILARITY_MIN = 0.5  # Dice coefficient of the word sets
SIMILARITY_LEAD = 0.15  # how far ahead of the next candidate the best one must be

# ERPNext root_type -> QBO Classification
CLASSIFICATIONS = {
	"Asset": "Asset",
	"Liability": "Liability",
	"Equity": "Equity",
	"Income": "Revenue",
	"Expense": "Expense",
}
# QBO AccountType -> Classification (when a QBO row does not carry it)
QBO_CLASSIFICATION = {
	"Bank": "Asset",
	"Other Current Asset": "Asset",
	"Fixed Asset": "Asset",
	"Other Asset": "Asset",
	"Accounts Receivable": "Asset",
	"Accounts Payable": "Liability",
	"Credit Card": "Liability",
	"Long Term Liability": "Liability",
	"Other Current Liability": "Liability",
	"Equity": "Equity",
	"Income": "Revenue",
	"Other Income": "Revenue",
	"Expense": "Expense",
	"Other Expense": "Expense",
	"Cost of Goods Sold": "Expense",
}
# ERPNext account_type -> the QBO (AccountType, AccountSubType or None for any) it corresponds to.
TYPE_EQUIVALENTS: dict[str, tuple[tuple[str, str | None], ...]] = {
	"Receivable": (("Accounts Receivable", None),),
	"Payable": (("Accounts Payable", None),),
	"Cash": (("Bank", "CashOnHand"),),
	"Bank": (("Bank", "Checking"), ("Bank", "Savings"), ("Bank", "MoneyMarket")),
	"Stock": (("Other Current Asset", "Inventory"),),
	"Tax": (
		("Other Current Liability", "SalesTaxPayable"),
		("Other Current Liability", "GlobalTaxPayable"),
	),
	"Cost of Goods Sold": (("Cost of Goods Sold", None),),
	"Depreciation": (("Other Expense", "Depreciation"), ("Expense", "Depreciation")),
	"Accumulated Depreciation": (("Fixed Asset", "AccumulatedDepreciation"),),
	"Equity": (("Equity", None),),
}
# Where several ERPNext accounts normally post to one QBO account.
MANY_TO_ONE_TYPES = frozenset({"Tax"})

_STOPWORDS = frozenset(
	"a an and or of the on in to for by but not other account accounts expense expenses income".split()
)
# Words ERPNext and QBO use for the same thing (after plurals are removed).
_SYNONYMS: dict[str, tuple[str, ...]] = {
	"debtor": ("receivable",),
	"creditor": ("payable",),
	"liability": ("payable",),
	"stock": ("inventory",),
	"freight": ("shipping",),
	"forwarding": ("delivery",),
	"stationery": ("office", "supply"),
	"print": (),
	"wage": ("salary",),
	"telephone": ("phone",),
	"postal": ("postage",),
	"rounding": ("round",),
}
_PAREN = re.compile(r"\([^)]*\)")
_WORD = re.compile(r"[a-z0-9%.]+")


def singular(word: str) -> str:
	"""utilities -> utility, services -> service, sales -> sale (good enough for account names)."""
	if len(word) > 4 and word.endswith("ies"):
		return word[:-3] + "y"
	if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
		return word[:-1]
	return word


def words(name: str, abbr: str | None = None) -> frozenset[str]:
	"""The comparable words of an account name (see the module docstring)."""
	text = str(name or "")
	if abbr and text.endswith(f" - {abbr}"):
		text = text[: -len(abbr) - 3]
	else:
		text = re.sub(r"\s+-\s+[A-Za-z0-9_]{1,12}$", "", text)
	text = _PAREN.sub(" ", text.lower()).replace("&", " and ").replace("/", " ").replace("'", "")
	out: list[str] = []
	for word in _WORD.findall(text):
		word = singular(word.strip("."))
		if not word or word in _STOPWORDS:
			continue
		out.extend(_SYNONYMS.get(word, (word,)))
	if not out:  # "Expenses", "Other Income": keep what there is rather than nothing
		out = [singular(w) for w in _WORD.findall(text)]
	return frozenset(out)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
	"""Dice coefficient of two word sets."""
	if not a or not b:
		return 0.0
	return 2 * len(a & b) / (len(a) + len(b))


@dataclass
class Suggestion:
	"""One ERPNext record and the QBO record suggested for it (qbo_id None: unmatched)."""

	key: str  # the ERPNext record (account name, template name)
	qbo_id: str | None
	qbo_name: str | None
	confidence: str
	reason: str
	purpose: str | None = None
	qbo_type: str | None = None

	def as_dict(self) -> dict[str, Any]:
		return asdict(self)


def _qbo_name(row: Mapping[str, Any]) -> str:
	return str(row.get("FullyQualifiedName") or row.get("Name") or row.get("Id"))


def _qbo_class(row: Mapping[str, Any]) -> str | None:
	return row.get("Classification") or QBO_CLASSIFICATION.get(str(row.get("AccountType") or ""))


def suggest_accounts(
	erp_accounts: Iterable[Mapping[str, Any]],
	qbo_accounts: Iterable[Mapping[str, Any]],
	abbr: str | None = None,
) -> list[Suggestion]:
	"""A suggestion per ERPNext account, in the order given.

	erp_accounts: dicts with name, account_name (optional), account_number, root_type, account_type and, for
	map rows, purpose and allowed_types (the QBO AccountTypes that purpose accepts). qbo_accounts: QBO Account
	rows (Id, Name, FullyQualifiedName, AcctNum, AccountType, AccountSubType, Classification, Active); inactive
	ones are never suggested."""
	erp = [dict(row) for row in erp_accounts]
	qbo = [dict(row) for row in qbo_accounts if row.get("Active", True) is not False]
	taken: set[str] = set()
	found: dict[int, Suggestion] = {}

	def candidates(row: dict[str, Any]) -> list[dict[str, Any]]:
		kind = CLASSIFICATIONS.get(str(row.get("root_type") or ""))
		allowed = row.get("allowed_types")
		many = row.get("account_type") in MANY_TO_ONE_TYPES
		# A map row's purpose says which QBO types fit (a Rounding row takes income or expense accounts,
		# whatever ERPNext's own root type); without one, only accounts of the same kind do.
		return [
			acct
			for acct in qbo
			if (many or str(acct["Id"]) not in taken)
			and (
				acct.get("AccountType") in allowed
				if allowed
				else (kind is None or _qbo_class(acct) in (kind, None))
			)
		]

	def take(index: int, acct: dict[str, Any], confidence: str, reason: str) -> None:
		row = erp[index]
		if row.get("account_type") not in MANY_TO_ONE_TYPES:
			taken.add(str(acct["Id"]))
		found[index] = Suggestion(
			key=str(row["name"]),
			qbo_id=str(acct["Id"]),
			qbo_name=_qbo_name(acct),
			confidence=confidence,
			reason=reason,
			purpose=row.get("purpose"),
			qbo_type=acct.get("AccountType"),
		)

	def label(row: dict[str, Any]) -> str:
		return str(row.get("account_name") or row["name"])

	# 1. account numbers
	for index, row in enumerate(erp):
		number = str(row.get("account_number") or "").strip()
		if not number:
			continue
		matches = [a for a in candidates(row) if str(a.get("AcctNum") or "").strip() == number]
		if len(matches) == 1:
			take(index, matches[0], HIGH, f"same account number {number}")
	# 2. the same name
	for index, row in enumerate(erp):
		if index in found:
			continue
		mine = words(label(row), abbr)
		matches = [a for a in candidates(row) if words(_qbo_name(a)) == mine]
		if not matches:  # a sub-account's own name ("Income:Consulting" -> "Consulting")
			matches = [a for a in candidates(row) if words(str(a.get("Name") or "")) == mine]
		if len(matches) == 1:
			take(index, matches[0], HIGH, f"same name as '{_qbo_name(matches[0])}'")
	# 3. a similar name, clearly ahead of the rest
	for index, row in enumerate(erp):
		if index in found:
			continue
		mine = words(label(row), abbr)
		scored = sorted(
			((similarity(mine, words(_qbo_name(a))), a) for a in candidates(row)),
			key=lambda pair: -pair[0],
		)
		if not scored or scored[0][0] < SIMILARITY_MIN:
			continue
		runner_up = scored[1][0] if len(scored) > 1 else 0.0
		if scored[0][0] - runner_up < SIMILARITY_LEAD:
			continue
		best = scored[0][1]
		shared = ", ".join(sorted(mine & words(_qbo_name(best))))
		take(index, best, MEDIUM, f"similar name to '{_qbo_name(best)}' (shares: {shared})")
	# 4. the one QBO account of the fitting type
	for index, row in enumerate(erp):
		if index in found:
			continue
		equivalents = TYPE_EQUIVALENTS.get(str(row.get("account_type") or ""))
		if not equivalents:
			continue
		matches = [
			a
			for a in candidates(row)
			if any(
				a.get("AccountType") == qbo_type and subtype in (None, a.get("AccountSubType"))
				for qbo_type, subtype in equivalents
			)
		]
		if len(matches) == 1:
			take(
				index,
				matches[0],
				LOW,
				f"the only QuickBooks {matches[0].get('AccountType')} account for ERPNext type "
				f"{row.get('account_type')}",
			)
	out = []
	for index, row in enumerate(erp):
		if index in found:
			out.append(found[index])
			continue
		out.append(
			Suggestion(
				key=str(row["name"]),
				qbo_id=None,
				qbo_name=None,
				confidence=UNMATCHED,
				reason="no QuickBooks account with the same number, name or a type only it has; pick one",
				purpose=row.get("purpose"),
			)
		)
	return out


def suggest_tax_codes(
	templates: Iterable[Mapping[str, Any]], tax_codes: Mapping[str, TaxCodeInfo]
) -> list[Suggestion]:
	"""A QBO tax code per ERPNext tax template (or tax account), by rate: the one active code whose sales rates
	add up to the template's rate; among several, the one whose name shares the template's words; else
	unmatched. templates: dicts with name and rate (percent; a template's rate-based rows added up)."""
	active = [code for code in tax_codes.values() if code.active]
	out = []
	for template in templates:
		name = str(template["name"])
		rate = D(template.get("rate"))
		same_rate = [c for c in active if c.total_rate == rate and (c.taxable or rate == 0)]
		if len(same_rate) > 1:
			mine = words(name)
			scored = sorted(((similarity(mine, words(c.name)), c) for c in same_rate), key=lambda p: -p[0])
			if scored[0][0] > 0 and scored[0][0] - scored[1][0] >= SIMILARITY_LEAD:
				code = scored[0][1]
				out.append(
					Suggestion(name, code.id, code.name, MEDIUM, f"same rate {_pct(rate)} and a similar name")
				)
				continue
			names = ", ".join(f"'{c.name}'" for c in same_rate)
			out.append(
				Suggestion(
					name, None, None, UNMATCHED, f"several QuickBooks tax codes have {_pct(rate)}: {names}"
				)
			)
			continue
		if len(same_rate) == 1:
			code = same_rate[0]
			out.append(
				Suggestion(name, code.id, code.name, HIGH, f"the only QuickBooks tax code at {_pct(rate)}")
			)
			continue
		out.append(
			Suggestion(name, None, None, UNMATCHED, f"no active QuickBooks tax code adds up to {_pct(rate)}")
		)
	return out


def suggest_by_name(
	records: Iterable[Mapping[str, Any]], qbo_rows: Iterable[Mapping[str, Any]], abbr: str | None = None
) -> list[Suggestion]:
	"""Name-only suggestions (classes for cost centers, locations for branches): the same name, else a clearly
	similar one, one QBO record per ERPNext record. records: dicts with name and an optional label."""
	rows = [dict(r) for r in qbo_rows if r.get("Active", True) is not False]
	taken: set[str] = set()
	out = []
	for record in records:
		key = str(record["name"])
		mine = words(str(record.get("label") or key), abbr)
		free = [r for r in rows if str(r["Id"]) not in taken]
		same = [r for r in free if words(_qbo_name(r)) == mine or words(str(r.get("Name") or "")) == mine]
		choice, confidence, reason = None, UNMATCHED, "no QuickBooks record of the same or a similar name"
		if len(same) == 1:
			choice, confidence, reason = same[0], HIGH, f"same name as '{_qbo_name(same[0])}'"
		elif not same:
			scored = sorted(((similarity(mine, words(_qbo_name(r))), r) for r in free), key=lambda p: -p[0])
			if scored and scored[0][0] >= SIMILARITY_MIN:
				lead = scored[0][0] - (scored[1][0] if len(scored) > 1 else 0.0)
				if lead >= SIMILARITY_LEAD:
					choice, confidence = scored[0][1], MEDIUM
					reason = f"similar name to '{_qbo_name(choice)}'"
		if choice is not None:
			taken.add(str(choice["Id"]))
		out.append(
			Suggestion(
				key,
				str(choice["Id"]) if choice else None,
				_qbo_name(choice) if choice else None,
				confidence,
				reason,
			)
		)
	return out


def _pct(value: Decimal) -> str:
	return f"{value.normalize():f} %"


def person_name(value: Any) -> str:
	"""A full name compared as people write it: accents, case, punctuation and extra spaces ignored
	("José  O'Brien-Smith" and "jose obrien smith" are the same name)."""
	text = unicodedata.normalize("NFKD", str(value or ""))
	text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().replace("'", "")
	return " ".join(re.findall(r"[^\W_]+", text))


def _emails(values: Iterable[Any]) -> set[str]:
	return {str(v).strip().casefold() for v in values if v and "@" in str(v)}


def _qbo_employee_name(row: Mapping[str, Any]) -> str:
	parts = " ".join(str(row.get(k) or "").strip() for k in ("GivenName", "FamilyName")).strip()
	return str(row.get("DisplayName") or parts or row.get("Id"))


def _qbo_employee_names(row: Mapping[str, Any]) -> set[str]:
	given_family = " ".join(str(row.get(k) or "") for k in ("GivenName", "MiddleName", "FamilyName"))
	short = " ".join(str(row.get(k) or "") for k in ("GivenName", "FamilyName"))
	names = {person_name(row.get("DisplayName")), person_name(given_family), person_name(short)}
	return {name for name in names if name}


def suggest_employees(
	employees: Iterable[Mapping[str, Any]],
	qbo_employees: Iterable[Mapping[str, Any]],
	mapped_qbo_ids: Iterable[str] = (),
) -> list[Suggestion]:
	"""The Employee map's Suggest: a QBO employee for each ERPNext employee given (the active, unmapped ones),
	by e-mail first (High), then by full name once normalised (Medium). A QBO employee already in the map,
	inactive, or matching more than one ERPNext employee (or an ERPNext employee matching more than one QBO
	employee) is never proposed: the row says why, and the user links it by hand. employees: dicts with
	name, employee_name and emails (any of the employee's addresses)."""
	taken = {str(i) for i in mapped_qbo_ids}
	free = [
		dict(r) for r in qbo_employees if r.get("Active", True) is not False and str(r["Id"]) not in taken
	]
	people = [dict(e) for e in employees]
	chosen: dict[str, tuple[dict[str, Any], str, str]] = {}
	why_not: dict[str, str] = {}

	def match(key_of_person, keys_of_row, confidence: str, how: str) -> None:
		rows = [r for r in free if str(r["Id"]) not in {str(c[0]["Id"]) for c in chosen.values()}]
		# one ambiguous by e-mail is not guessed by name: the user decides
		open_people = [p for p in people if p["name"] not in chosen and p["name"] not in why_not]
		by_row: dict[str, list[str]] = {}
		for row in rows:
			keys = keys_of_row(row)
			by_row[str(row["Id"])] = [p["name"] for p in open_people if key_of_person(p) & keys]
		for person in open_people:
			mine = key_of_person(person)
			if not mine:
				continue
			hits = [row for row in rows if mine & keys_of_row(row)]
			if len(hits) > 1:
				names = ", ".join(f"'{_qbo_employee_name(r)}'" for r in hits)
				why_not.setdefault(
					person["name"], f"several QuickBooks employees have the same {how} ({names})"
				)
				continue
			if len(hits) == 1:
				rivals = by_row[str(hits[0]["Id"])]
				if len(rivals) > 1:
					why_not.setdefault(
						person["name"],
						f"QuickBooks employee '{_qbo_employee_name(hits[0])}' has the same {how} as several ERPNext "
						f"employees ({', '.join(rivals)})",
					)
					continue
				chosen[person["name"]] = (
					hits[0],
					confidence,
					f"same {how} as '{_qbo_employee_name(hits[0])}'",
				)

	match(lambda p: _emails(p.get("emails") or ()), _qbo_emails, HIGH, "e-mail")
	match(lambda p: {person_name(p.get("employee_name"))} - {""}, _qbo_employee_names, MEDIUM, "name")
	out = []
	for person in people:
		key = str(person["name"])
		if key in chosen:
			row, confidence, reason = chosen[key]
			out.append(Suggestion(key, str(row["Id"]), _qbo_employee_name(row), confidence, reason))
		else:
			reason = why_not.get(key) or "no free QuickBooks employee of the same e-mail or name"
			out.append(Suggestion(key, None, None, UNMATCHED, reason))
	return out


def _qbo_emails(row: Mapping[str, Any]) -> set[str]:
	address = (
		(row.get("PrimaryEmailAddr") or {}).get("Address")
		if isinstance(row.get("PrimaryEmailAddr"), dict)
		else None
	)
	return _emails([address or row.get("Email")])
