"""The emulator's memory: companies, their entities, ids, SyncTokens, change times for CDC, requestid answers.

Everything here is guarded by EmulatorState.lock (one RLock): HTTP handler threads, in-process test calls and
act-as-user actions all mutate through it, so each write is atomic, like one QBO transaction.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import seed
from .config import Clock, EmulatorConfig
from .util import company_tz, qbo_time

if TYPE_CHECKING:
	from .faults import FaultQueue
	from .limits import Limiter
	from .metering import Meter
	from .oauth import OAuthStore
	from .webhooks import WebhookSender

NAME_ENTITIES = (
	"Customer",
	"Vendor",
	"Employee",
	"Item",
	"Account",
	"TaxCode",
	"TaxRate",
	"Class",
	"Department",
)
TXN_ENTITIES = (
	"Invoice",
	"CreditMemo",
	"Payment",
	"Deposit",
	"Estimate",
	"PurchaseOrder",
	"Bill",
	"VendorCredit",
	"BillPayment",
	"TimeActivity",
)
SETTINGS_ENTITIES = ("Preferences", "CompanyInfo")
ALL_ENTITIES = NAME_ENTITIES + TXN_ENTITIES + SETTINGS_ENTITIES
READ_ONLY_ENTITIES = ("TaxCode", "TaxRate", "Preferences", "CompanyInfo")
CDC_EXCLUDED = ("TaxCode", "TaxRate", "TimeActivity")
PEOPLE = ("Customer", "Vendor", "Employee")
BY_LOWER = {name.lower(): name for name in ALL_ENTITIES}


def canonical(name: str) -> str | None:
	"""'invoice' / 'Invoice' / 'INVOICE' -> 'Invoice'; None when the emulator does not know the entity."""
	return BY_LOWER.get((name or "").strip().lower())


@dataclass
class CachedAnswer:
	"""A write's original answer, replayed for a repeated requestid."""

	status: int
	body: bytes
	content_type: str


@dataclass
class Company:
	"""One QBO company (realm) and all of its data."""

	realm_id: str
	name: str
	country: str
	multicurrency: bool
	home_currency: str
	custom_txn_numbers: bool
	created_ts: float
	objects: dict[str, dict[str, dict]] = field(default_factory=dict)
	tombstones: dict[str, dict[str, dict]] = field(default_factory=dict)
	changed_at: dict[tuple[str, str], float] = field(default_factory=dict)
	seq: dict[str, int] = field(default_factory=dict)
	requestids: dict[tuple[str, str], CachedAnswer] = field(default_factory=dict)
	# "Invoice:12" / "CreditMemo:3" -> {payment id: amount applied}
	applications: dict[str, dict[str, Decimal]] = field(default_factory=dict)
	deposited: dict[str, str] = field(default_factory=dict)  # payment id -> deposit id
	accounts: dict[str, str] = field(
		default_factory=dict
	)  # seed key ("undeposited", "ar", ...) -> account id
	names: dict[tuple[str, str], tuple[str, str]] = field(
		default_factory=dict
	)  # (space, lower name) -> (entity, id)
	docnumbers: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (entity, lower number) -> ids
	balances: dict[str, Decimal] = field(default_factory=dict)  # customer id -> open balance
	settings_sync: dict[str, int] = field(default_factory=dict)
	settings_ts: dict[str, float] = field(default_factory=dict)
	# Automated sales tax (Preferences.TaxPrefs.PartnerTaxEnabled): QBO computes US sales tax itself, at the
	# rates of the tax code it assigns (ast_code, seeded when AST is first switched on).
	automated_sales_tax: bool = False
	ast_code: str | None = None
	# Preferences.AccountingInfoPrefs: classes per transaction ("txn"), per line ("line") or not ("none");
	# departments (shown as DepartmentTerminology, "Location" by default) tracked or not.
	class_tracking: str = "none"
	track_departments: bool = False
	department_terminology: str = "Location"

	@property
	def tz(self):
		return company_tz(self.country)

	@property
	def is_us(self) -> bool:
		return self.country == "US"

	def time(self, ts: float, millis: bool = False) -> str:
		return qbo_time(ts, self.tz, millis)

	def table(self, entity: str) -> dict[str, dict]:
		return self.objects.setdefault(entity, {})

	def get(self, entity: str, entity_id: object) -> dict | None:
		if entity_id is None:
			return None
		return self.objects.get(entity, {}).get(str(entity_id))

	def next_id(self, entity: str) -> str:
		self.seq[entity] = self.seq.get(entity, 0) + 1
		return str(self.seq[entity])

	# ----- indexes kept in step with every save, so uniqueness checks stay O(1) at benchmark sizes -----

	@staticmethod
	def name_key(entity: str, obj: dict) -> tuple[str, str] | None:
		if entity in PEOPLE:
			name = obj.get("DisplayName")
			space = "people"
		elif entity in ("Item", "Account", "Class", "Department"):
			name = obj.get("FullyQualifiedName") or obj.get("Name")
			space = entity
		else:
			return None
		if not name:
			return None
		return (space, str(name).strip().lower())

	def doc_key(self, entity: str, obj: dict) -> tuple[str, str] | None:
		number = obj.get("DocNumber")
		if entity not in ("Invoice", "CreditMemo", "Estimate", "PurchaseOrder", "Bill") or not number:
			return None
		if entity == "Bill":  # bill numbers are the vendor's: unique per vendor
			vendor = (obj.get("VendorRef") or {}).get("value")
			return (f"Bill:{vendor}", str(number).lower())
		return (entity, str(number).lower())

	def _unindex(self, entity: str, obj: dict) -> None:
		key = self.name_key(entity, obj)
		if key and self.names.get(key) == (entity, obj["Id"]):
			del self.names[key]
		dkey = self.doc_key(entity, obj)
		if dkey and dkey in self.docnumbers:
			self.docnumbers[dkey].discard(obj["Id"])
		self._balance(entity, obj, -1)

	def _index(self, entity: str, obj: dict) -> None:
		key = self.name_key(entity, obj)
		if key:
			self.names[key] = (entity, obj["Id"])
		dkey = self.doc_key(entity, obj)
		if dkey:
			self.docnumbers.setdefault(dkey, set()).add(obj["Id"])
		self._balance(entity, obj, 1)

	def _balance(self, entity: str, obj: dict, sign: int) -> None:
		"""Customer.Balance = open invoices - open credit memos - unapplied payments, kept incrementally."""
		if entity == "Invoice":
			amount = obj.get("Balance") or Decimal(0)
		elif entity == "CreditMemo":
			amount = -(obj.get("Balance") or Decimal(0))
		elif entity == "Payment":
			amount = -(obj.get("UnappliedAmt") or Decimal(0))
		else:
			return
		customer = (obj.get("CustomerRef") or {}).get("value")
		if customer:
			self.balances[customer] = self.balances.get(customer, Decimal(0)) + sign * amount

	def find_name(self, entity: str, name: str) -> tuple[str, str] | None:
		space = "people" if entity in PEOPLE else entity
		return self.names.get((space, name.strip().lower()))

	def save(self, entity: str, obj: dict, now: float, *, new: bool) -> dict:
		"""Store `obj` as the current version: Id, SyncToken, MetaData and change time are the server's."""
		table = self.table(entity)
		if new:
			obj["Id"] = obj.get("Id") or self.next_id(entity)
			obj["SyncToken"] = "0"
			obj["MetaData"] = {"CreateTime": self.time(now), "LastUpdatedTime": self.time(now)}
		else:
			old = table[obj["Id"]]
			self._unindex(entity, old)
			obj["SyncToken"] = str(int(old.get("SyncToken") or 0) + 1)
			created = (old.get("MetaData") or {}).get("CreateTime") or self.time(now)
			obj["MetaData"] = {"CreateTime": created, "LastUpdatedTime": self.time(now)}
		obj["domain"] = "QBO"
		obj["sparse"] = False
		table[obj["Id"]] = obj
		self._index(entity, obj)
		self.changed_at[(entity, obj["Id"])] = now
		return obj

	def remove(self, entity: str, entity_id: str, now: float) -> dict:
		"""Delete a transaction; CDC keeps a tombstone {"status": "Deleted", "Id", "MetaData"}."""
		obj = self.table(entity).pop(entity_id)
		self._unindex(entity, obj)
		tomb = {
			"domain": "QBO",
			"status": "Deleted",
			"Id": entity_id,
			"MetaData": {"CreateTime": obj["MetaData"]["CreateTime"], "LastUpdatedTime": self.time(now)},
		}
		self.tombstones.setdefault(entity, {})[entity_id] = tomb
		self.changed_at[(entity, entity_id)] = now
		return tomb

	def settings_meta(self, kind: str) -> dict:
		ts = self.settings_ts.get(kind, self.created_ts)
		return {"CreateTime": self.time(self.created_ts), "LastUpdatedTime": self.time(ts)}

	def touch_settings(self, kind: str, now: float) -> None:
		self.settings_sync[kind] = self.settings_sync.get(kind, 0) + 1
		self.settings_ts[kind] = now

	def counts(self) -> dict[str, int]:
		return {entity: len(rows) for entity, rows in sorted(self.objects.items()) if rows}


class EmulatorState:
	"""All companies plus OAuth grants, fault queue, rate limiter and webhook sender, under one lock."""

	def __init__(self, config: EmulatorConfig, clock: Clock | None = None) -> None:
		from .faults import FaultQueue
		from .limits import Limiter
		from .metering import Meter
		from .oauth import OAuthStore
		from .webhooks import WebhookSender

		config.validate()
		self.lock = threading.RLock()
		self.config = config
		self.clock = clock or Clock()
		self.companies: dict[str, Company] = {}
		self.oauth: OAuthStore = OAuthStore(self)
		self.faults: FaultQueue = FaultQueue()
		self.limiter: Limiter = Limiter(self)
		self.meter: Meter = Meter(self)
		self.webhooks: WebhookSender = WebhookSender(self)
		self.add_company(config.realm_id)

	def now(self) -> float:
		return self.clock.now()

	def scaled(self, seconds: float) -> float:
		return seconds * self.config.time_scale

	def company(self, realm_id: object) -> Company | None:
		return self.companies.get(str(realm_id))

	def add_company(
		self,
		realm_id: str,
		*,
		country: str | None = None,
		multicurrency: bool | None = None,
		home_currency: str | None = None,
		custom_txn_numbers: bool | None = None,
		name: str | None = None,
		automated_sales_tax: bool | None = None,
	) -> Company:
		"""Create (or re-create, wiping its data) a seeded company."""
		from .entities import seed_company, set_automated_sales_tax

		cfg = self.config
		country = (country or cfg.country).upper()
		if country not in seed.TAX_SETUP:
			raise ValueError(f"country must be one of {tuple(seed.TAX_SETUP)}")
		home = (home_currency or (cfg.home if country == cfg.country else None) or seed_home(country)).upper()
		with self.lock:
			company = Company(
				realm_id=str(realm_id),
				name=name or cfg.company_name,
				country=country,
				multicurrency=cfg.multicurrency if multicurrency is None else bool(multicurrency),
				home_currency=home,
				custom_txn_numbers=cfg.custom_txn_numbers
				if custom_txn_numbers is None
				else bool(custom_txn_numbers),
				created_ts=self.now(),
			)
			seed_company(company, self.now())
			if automated_sales_tax:  # asked for: a non-US company refuses it
				set_automated_sales_tax(company, True, self.now())
			elif automated_sales_tax is None and cfg.automated_sales_tax and company.is_us:
				set_automated_sales_tax(company, True, self.now())
			self.companies[company.realm_id] = company
			return company

	def reset(self) -> None:
		"""Forget everything: companies are re-seeded, grants, faults, limits and webhook log cleared."""
		with self.lock:
			self.companies.clear()
			self.clock.reset()
			self.add_company(self.config.realm_id)
			self.oauth.clear()
			self.faults.clear()
			self.limiter.clear()
			self.meter.clear()
			self.webhooks.clear()

	def snapshot(self, entity: str | None = None, realm_id: str | None = None) -> dict[str, Any]:
		"""What GET /_emulator/state returns: counts per company, and the objects of one entity if asked."""
		with self.lock:
			out: dict[str, Any] = {"config": self.config.to_dict(), "companies": {}}
			for realm, company in self.companies.items():
				if realm_id and realm != str(realm_id):
					continue
				info: dict[str, Any] = {
					"name": company.name,
					"country": company.country,
					"multicurrency": company.multicurrency,
					"home_currency": company.home_currency,
					"custom_txn_numbers": company.custom_txn_numbers,
					"automated_sales_tax": company.automated_sales_tax,
					"class_tracking": company.class_tracking,
					"track_departments": company.track_departments,
					"counts": company.counts(),
					"deleted": {e: len(t) for e, t in company.tombstones.items() if t},
					"reads_this_month": self.meter.read_count(realm),
					"writes_this_month": self.meter.write_count(realm),
				}
				if entity:
					name = canonical(entity) or entity
					info["entities"] = {name: copy.deepcopy(list(company.table(name).values()))}
				out["companies"][realm] = info
			out["grants"] = self.oauth.summary()
			out["faults"] = self.faults.pending()
			out["webhooks"] = len(self.webhooks.log)
			return out


def seed_home(country: str) -> str:
	from .config import HOME_CURRENCY

	return HOME_CURRENCY[country]
