// The gallery's filters and a sweep's compare as a grid (mql_notebook.Gallery): the bar's model
// select and field=value box, the chip a card's "batch X, 3 of 6" sets (the gallery then shows
// that batch alone), and the compare's panes laid out in rows and columns headed by the values
// of the fields that vary. Text only ever goes in with textContent. Joined in front of
// gallery.js with shared.js (mql_notebook/widget/frontend.py).

/** @import { Card, CompareGrid } from "./gallery_protocol" */
import { h, option } from "./shared.js";

/** `{seed: 3, style: "noir"}` as "seed=3, style=noir". @param {Record<string, unknown>} where */
export function whereText(where) {
  return Object.entries(where || {}).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
}

/** The bar's model select, field=value box and batch chip. */
export function filterControls() {
  const model = /** @type {HTMLSelectElement} */ (h("select", { class: "mql-g-model", "aria-label": "Model" }));
  const fields = /** @type {HTMLInputElement} */ (
    h("input", { type: "search", class: "mql-g-fields", placeholder: "field=value, e.g. seed=3", "aria-label": "Fields" })
  );
  const batch = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "mql-g-batch-chip", title: "Show every batch again" }));
  let chosenBatch = "";
  const showBatch = () => {
    batch.textContent = chosenBatch ? `batch ${chosenBatch} ✕` : "";
    batch.hidden = !chosenBatch;
  };
  showBatch();
  return {
    model,
    fields,
    batch,
    /** What the page asks for. */
    chosen: () => ({ model: model.value, fields: fields.value, batch: chosenBatch }),
    /** @param {string} value a batch's id, "" for every entry */
    setBatch: (value) => {
      chosenBatch = value;
      showBatch();
    },
    /** The kernel's state shown (unless the reader is choosing).
     * @param {string[]} models @param {string} current @param {Record<string, unknown>} where @param {string} inBatch */
    show: (models, current, where, inBatch) => {
      const names = current && !models.includes(current) ? [current, ...models] : models;
      const wanted = ["", ...names].join("\n");
      if ([...model.options].map((o) => o.value).join("\n") !== wanted) {
        model.replaceChildren(option("", "Any model"), ...names.map((m) => option(m, m)));
      }
      if (document.activeElement !== model) model.value = current || "";
      if (document.activeElement !== fields) fields.value = whereText(where);
      chosenBatch = inBatch || "";
      showBatch();
    },
  };
}

/** A card's batch line: a button that shows that batch alone. @param {Card} card @returns {HTMLElement[]} */
export function batchLine(card) {
  if (!card.batch_text) return [];
  return [h("button", { type: "button", class: "mql-g-batch", "data-action": "batch", "data-batch": card.batch, text: card.batch_text, title: "Show this batch alone" })];
}

/** Whether the grid holds exactly these keys. @param {CompareGrid | Record<string, never>} grid @param {string[]} keys */
export function gridHolds(grid, keys) {
  if (!("cells" in grid) || !Array.isArray(grid.cells)) return false;
  const inGrid = grid.cells.flat().filter(Boolean).sort().join("\n");
  return inGrid === [...keys].sort().join("\n");
}

/** The compare's panes in rows and columns, each headed by its values (a sweep's grid).
 * @param {HTMLElement} container the panes' parent @param {CompareGrid} grid
 * @param {Map<string, HTMLElement>} panes by key */
export function layoutGrid(container, grid, panes) {
  container.classList.add("mql-g-compare-grid");
  container.style.setProperty("--mql-g-columns", String(Math.max(1, grid.cols.length)));
  const across = grid.col_fields.join(" · ");
  const down = grid.row_fields.join(" · ");
  /** @type {HTMLElement[]} */
  const children = [
    h("div", { class: "mql-g-corner", text: down && across ? `${down} \\ ${across}` : down || across }),
    ...grid.cols.map((text) => h("div", { class: "mql-g-col-head", role: "columnheader", text })),
  ];
  grid.rows.forEach((text, i) => {
    children.push(h("div", { class: "mql-g-row-head", role: "rowheader", text }));
    for (const key of grid.cells[i] || []) children.push(panes.get(key) || h("div", { class: "mql-g-empty-cell" }));
  });
  container.setAttribute("role", "grid");
  container.replaceChildren(...children);
}
