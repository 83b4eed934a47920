// The QuickBooks Online workspace's overview (a Custom HTML Block; frappe runs this in its shadow root and
// hands it `root_element`). Every number is the count of the list it opens, with the same filters:
// qbo_connector.qbo_connector.overview.get_overview says which.
const METHOD = "qbo_connector.qbo_connector.overview.get_overview";
const STORAGE_KEY = "qbo_overview_company";
const COLORS = { green: "var(--green-500, #29cd42)", orange: "var(--orange-500, #f8814f)", red: "var(--red-500, #e24c4c)",
	yellow: "var(--yellow-500, #ecad4b)", gray: "var(--gray-500, #98a1a9)" };
const select = root_element.querySelector(".qbo-company");
const tiles = root_element.querySelector(".qbo-tiles");
const esc = (text) => frappe.utils.escape_html(text == null ? "" : String(text));

function fill_companies(companies, current) {
	const wanted = current || "";
	select.innerHTML = `<option value="">${esc(__("All companies"))}</option>` +
		companies.map((c) => `<option value="${esc(c)}">${esc(c)}</option>`).join("");
	select.value = companies.includes(wanted) ? wanted : "";
}

function render(data) {
	fill_companies(data.companies || [], data.company);
	tiles.innerHTML = (data.tiles || [])
		.map((tile, i) => `<a class="qbo-tile" data-index="${i}" data-key="${esc(tile.key)}" data-zero="${tile.value ? 0 : 1}" title="${esc(tile.help)}">
			<div class="qbo-tile-label"><span class="qbo-tile-dot" style="background:${COLORS[tile.color] || COLORS.gray}"></span>${esc(tile.label)}</div>
			<div class="qbo-tile-value">${esc(String(tile.value))}</div>
			<div class="qbo-tile-help">${esc(tile.help)}</div>
		</a>`)
		.join("");
	tiles.querySelectorAll(".qbo-tile").forEach((el) => {
		el.addEventListener("click", (event) => {
			event.preventDefault();
			const tile = data.tiles[Number(el.dataset.index)];
			frappe.route_options = Object.assign({}, tile.filters);
			frappe.set_route("List", tile.doctype, "List");
		});
	});
}

function load() {
	const company = select.value || localStorage.getItem(STORAGE_KEY) || null;
	frappe.call({ method: METHOD, args: { company } }).then((r) => render(r.message || {}));
}

select.addEventListener("change", () => {
	localStorage.setItem(STORAGE_KEY, select.value);
	frappe.call({ method: METHOD, args: { company: select.value || null } }).then((r) => render(r.message || {}));
});
load();
