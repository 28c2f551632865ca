// The option controls of mql_notebook.VideoWidget's view, one per field of the request, built
// from its form (choices.fields: mql_notebook/request/forms.py), so a new field needs no code
// here. Joined with shared.js in front of widget.js (mql_notebook/widget/frontend.py).

/** @import { FormField } from "./protocol" */
/** @import { OptionName } from "./request" */
/** @typedef {{ field: FormField, box: HTMLInputElement | HTMLSelectElement, list: HTMLDataListElement | null, wrap: HTMLLabelElement }} Control */
import { fillOptions, h } from "./shared.js";

// An option's control is `.mql-<name>`, but for these (the names tests and styles know).
/** @type {Partial<Record<OptionName, string>>} */
const CLASS_NAMES = { aspect_ratio: "mql-aspect" };

/** One option's control, built from its form (request/forms.py): "text" an input with
 * suggestions, "number" a number input with suggestions and bounds, "select" the documented
 * values (and "not chosen" when the option has no default).
 * @param {FormField} field @param {string} uid @returns {Control} */
export function buildControl(field, uid) {
  const name = /** @type {OptionName} */ (field.name);
  const cls = CLASS_NAMES[name] ?? `mql-${name.replace(/_/g, "-")}`;
  const common = { class: cls, "aria-label": field.label, title: field.help };
  /** @type {HTMLInputElement | HTMLSelectElement} */
  let box;
  let list = null;
  if (field.control === "select") box = h("select", common);
  else {
    list = h("datalist", { id: `${uid}-${name}` });
    const number = field.control === "number";
    box = h("input", { ...common, type: number ? "number" : "text", list: list.id, autocomplete: "off",
      spellcheck: "false", ...(number ? { step: "1" } : {}) });
    if (number && field.min !== null) box.setAttribute("min", String(field.min));
    if (number && field.max !== null) box.setAttribute("max", String(field.max));
  }
  const wrap = h("label", { class: `${cls}-label` }, [h("span", { text: field.label }), box, ...(list ? [list] : [])]);
  return { field, box, list, wrap };
}

/** Fill a control's suggestions (or a select's choices) for `model`: its documented values,
 * else every documented model's. @param {Control} c @param {string} model @param {unknown} current */
export function fillControl(c, model, current) {
  const f = c.field;
  const values = f.by_model[model] ?? f.suggested;
  /** @type {[string, string][]} */
  const options = values.map((v) => [String(v), String(v)]);
  if (c.list) return fillOptions(c.list, options);
  const select = /** @type {HTMLSelectElement} */ (c.box);
  const shown = current === null || current === undefined ? "" : String(current);
  if (shown && !options.some(([v]) => v === shown)) options.push([shown, shown]); // another model's
  fillOptions(select, f.default === null ? [["", f.unset_label || "not chosen"], ...options] : options);
  c.wrap.hidden = options.length === 0;
}

/** The control's value as the trait takes it, or undefined when it is not one (the box then
 * shows the kernel's value again). An empty box is "not chosen" for an option without default.
 * @param {Control} c @returns {string | number | null | undefined} */
export function readControl(c) {
  const f = c.field;
  const text = c.box.value.trim();
  if (f.type !== "int") return text;
  if (text === "") return f.default === null ? null : undefined;
  const value = Number(text);
  return Number.isInteger(value) ? value : undefined;
}

