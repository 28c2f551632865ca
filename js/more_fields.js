// "More fields" of mql_notebook.VideoWidget's view: a model's own fields, one `name = value`
// a line, each value read as JSON (false, 3, "text", [1, 2]) else as text; written to the
// `fields` trait, which the kernel checks (a declared option's name, or one a letter or two
// from it, is refused before anything is sent) and create sends as given. Joined in front of
// widget.js (mql_notebook/widget/frontend.py).

/** @import { Listen } from "./shared.js" */
/** @import { ModelFields } from "./protocol" */
/** @typedef {ReturnType<typeof buildMoreFields>} MoreFields */
import { h } from "./shared.js";

/** The fields of `text`, and the lines that are not `name = value`.
 * @param {string} text @returns {{ fields: Record<string, unknown>, errors: string[] }} */
export function parseFields(text) {
  /** @type {Record<string, unknown>} */
  const fields = {};
  const errors = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (!line || line.startsWith("#")) continue;
    const at = line.indexOf("=");
    const name = at < 0 ? "" : line.slice(0, at).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      errors.push(`line ${i + 1}: write name = value (a name of letters, digits and _)`);
      continue;
    }
    const raw = line.slice(at + 1).trim();
    try {
      fields[name] = JSON.parse(raw);
    } catch {
      fields[name] = raw; // plain text
    }
  }
  return { fields, errors };
}

/** The text that parses back to `fields`: text as itself unless it would read as JSON.
 * @param {Record<string, unknown>} fields */
export function formatFields(fields) {
  return Object.entries(fields ?? {}).map(([name, value]) => {
    let shown = JSON.stringify(value);
    if (typeof value === "string" && value.trim() === value && value !== "") {
      try { JSON.parse(value); } catch { shown = value; }
    }
    return `${name} = ${shown}`;
  }).join("\n");
}

const PLACEHOLDER = "A model's own fields, one a line: prompt_optimizer = false";

/** The "More fields" disclosure: a text area, what the model is known to take, and the line
 * that says what is wrong with the box. */
export function buildMoreFields() {
  const box = h("textarea", { class: "mql-fields", rows: "3", spellcheck: "false", "aria-label": "More fields",
    placeholder: PLACEHOLDER });
  const known = h("div", { class: "mql-fields-known" });
  const error = h("div", { class: "mql-fields-error", role: "alert" });
  const summary = h("summary", { text: "More fields" });
  const wrap = h("details", { class: "mql-more-fields" }, [summary, box, known, error]);
  return { wrap, box, known, error, summary };
}

/** Say what the chosen model takes (the kernel's `model_fields`): the box's placeholder holds
 * an example line per field, the line under it their meaning. Text only, never markup.
 * @param {MoreFields} more @param {ModelFields | undefined} form */
export function showModelFields(more, form) {
  const fields = form?.fields ?? [];
  more.box.placeholder = fields.length
    ? `${form?.family}'s own fields, one a line:\n${fields.map((f) => `${f.name} = ${f.example}`).join("\n")}`
    : PLACEHOLDER;
  more.known.textContent = fields.length
    ? `${form?.family} takes ${fields.map((f) => `${f.name} (${f.what})`).join(", ")}.`
    : "";
  more.known.hidden = !fields.length;
}

/** Bind the box to the `fields` trait: `render` shows the kernel's fields (rewriting the box
 * only when they change), `commit` writes the box's, or shows why not and returns false.
 * @param {MoreFields} more @param {Listen} listen @param {() => Record<string, unknown>} read
 * @param {(fields: Record<string, unknown>) => void} write */
export function bindMoreFields(more, listen, read, write) {
  let shownFor = "";
  function render() {
    const fields = read();
    const key = JSON.stringify(fields);
    if (key === shownFor) return;
    shownFor = key;
    const count = Object.keys(fields).length;
    more.box.value = formatFields(fields);
    more.error.textContent = "";
    if (count) more.wrap.open = true;
    more.summary.textContent = count ? `More fields (${count})` : "More fields";
  }
  function commit() {
    const { fields, errors } = parseFields(more.box.value);
    more.error.textContent = errors.join("; ");
    if (errors.length) return false;
    if (JSON.stringify(fields) !== JSON.stringify(read())) write(fields);
    return true;
  }
  listen(more.box, "change", commit);
  listen(more.box, "keydown", (/** @type {KeyboardEvent} */ e) => e.stopPropagation());
  return { render, commit };
}
