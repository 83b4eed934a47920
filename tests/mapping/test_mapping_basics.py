"""money, text and error helpers: the small rules every mapper leans on."""

from __future__ import annotations

import datetime
import json
import pickle
from decimal import Decimal

import pytest

from qbo_connector.mapping import D, MappingError, q2
from qbo_connector.mapping.money import fmt, json_number
from qbo_connector.mapping.text import clean_name, iso_date, short_hash, shorten_head, strip_html, truncate


@pytest.mark.parametrize(
	("value", "expected"),
	[(None, "0"), ("", "0"), (0.1, "0.1"), (2570.76, "2570.76"), ("18.50", "18.50"), (3, "3"), (True, "1")],
)
def test_D_goes_through_str(value, expected):
	assert D(value) == Decimal(expected)


def test_D_keeps_decimal_and_refuses_garbage():
	value = Decimal("1.005")
	assert D(value) is value
	with pytest.raises(ValueError):
		D("abc")


@pytest.mark.parametrize(
	("value", "expected"), [("1.005", "1.01"), ("2.675", "2.68"), (-16.415, "-16.42"), (None, "0.00")]
)
def test_q2_rounds_half_up(value, expected):
	assert q2(value) == Decimal(expected)


def test_json_number_prints_back_the_same_digits():
	for text in ("2570.76", "24.992", "18.3257143", "0.14", "10050"):
		assert json.dumps(json_number(Decimal(text))) in (text, text + ".0")
	assert fmt(Decimal("-0.014")) == "-0.01"


def test_strip_html_turns_text_editor_html_into_lines():
	html = '<div class="ql-editor"><p>Thermal &amp; transfer</p><p><strong>Width:</strong> 104&nbsp;mm</p><br></div>'
	assert strip_html(html) == "Thermal & transfer\nWidth: 104 mm"
	assert strip_html("one<br/>two<hr />three") == "one\ntwo\nthree"


def test_strip_html_leaves_plain_text_alone():
	assert strip_html("R&D <5 units\n  second   line ") == "R&D <5 units\nsecond line"
	assert strip_html(None) == ""


def test_strip_html_drops_scripts_and_styles():
	assert strip_html("<style>p{}</style><p>a</p><script>x()</script><img src=x/>b") == "a\nb"


def test_truncate_marks_the_cut():
	assert truncate("abc", 3) == ("abc", False)
	text, cut = truncate("abcdef", 4)
	assert cut and text == "abc\u2026" and len(text) == 4


def test_clean_name_removes_qbo_separators():
	assert clean_name("ACME: West\tBranch\nNY") == "ACME - West Branch NY"
	assert clean_name("A:B", "-") == "A-B"
	assert clean_name(None) == ""


def test_shorten_head_is_stable_and_distinct():
	one, two = "x" * 120 + "1", "x" * 120 + "2"
	assert shorten_head("short", 100) == "short"
	assert shorten_head(one, 100) == shorten_head(one, 100)
	assert shorten_head(one, 100) != shorten_head(two, 100)
	assert len(shorten_head(one, 100)) == 100
	assert short_hash("abc") == short_hash("abc") and len(short_hash("abc", 8)) == 8


def test_iso_date_accepts_what_as_dict_gives():
	assert iso_date("2026-11-21") == "2026-11-21"
	assert iso_date(datetime.date(2026, 9, 1)) == "2026-09-01"
	assert iso_date(datetime.datetime(2026, 9, 1, 13, 5)) == "2026-09-01"
	assert iso_date("2026-11-21 00:25:14.424452") == "2026-11-21"
	assert iso_date(None) is None and iso_date("") is None
	with pytest.raises(ValueError):
		iso_date("21/11/2026")


def test_mapping_error_names_document_and_field():
	err = MappingError(
		"Sales Invoice", "ACC-SINV-2026-00002", "items[2].item_code", "no QuickBooks item is mapped"
	)
	assert (
		str(err)
		== "Sales Invoice ACC-SINV-2026-00002, field 'items[2].item_code': no QuickBooks item is mapped"
	)
	assert str(MappingError("Customer", "X", None, "bad")) == "Customer X: bad"
	copy = pickle.loads(pickle.dumps(err))
	assert (copy.doctype, copy.name, copy.field, copy.message) == (
		err.doctype,
		err.name,
		err.field,
		err.message,
	)
