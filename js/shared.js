// What both views share (VideoWidget's widget.js and Gallery's gallery.js): building elements
// with text only, option lists, comm buffers as bytes, sizes, aspect ratios, status labels and
// listeners that a cleanup removes. Each view imports these by name for the type checker;
// anywidget loads one module per widget, so mql_notebook/widget/frontend.py joins this file in
// front of the view and takes the view's `import ... from "./shared.js"` line out.

/** @import { WidgetStatus } from "./protocol" */

/** @type {Record<WidgetStatus, string>} */
export const LABELS = { idle: "Ready", pending: "Queued", processing: "Generating", completed: "Completed",
  failed: "Failed", cancelled: "Cancelled" };

/** A status as a person reads it ("Generating"); an unknown one as it is. @param {string} status */
export const label = (status) => LABELS[/** @type {WidgetStatus} */ (status)] ?? status;

/**
 * Build an element; `text` goes in as textContent, everything else as attributes.
 * @template {keyof HTMLElementTagNameMap} T
 * @param {T} tag @param {Record<string, string>} [attrs] @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[T]}
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") el.textContent = value;
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value);
  }
  el.append(...children);
  return el;
}

/** An <option>, its value and label set as properties (never markup). @param {string} value @param {string} text */
export function option(value, text) {
  const el = document.createElement("option");
  el.value = value;
  el.textContent = text;
  return el;
}

/** @param {HTMLSelectElement | HTMLDataListElement} list @param {[string, string][]} options value, label */
export function fillOptions(list, options) {
  list.replaceChildren(...options.map(([value, text]) => option(value, text)));
}

/** "3.2 MB", "41 kB"; "" for nothing. @param {number} bytes */
export function formatSize(bytes) {
  if (!bytes) return "";
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** "16:9" -> "16 / 9" for CSS aspect-ratio (16 / 9 for anything else). @param {unknown} ratio */
export function cssAspect(ratio) {
  const m = /^(\d+):(\d+)$/.exec(typeof ratio === "string" ? ratio : "");
  return m ? `${m[1]} / ${m[2]}` : "16 / 9";
}

/** A binary buffer from the comm (DataView, ArrayBuffer or typed array) as bytes, not copied. */
export function toBytes(/** @type {ArrayBuffer | ArrayBufferView} */ buffer) {
  // Comm buffers are never shared memory: a plain ArrayBuffer underneath, as Blob parts require.
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(/** @type {ArrayBuffer} */ (buffer.buffer), buffer.byteOffset, buffer.byteLength);
}

/** @typedef {(target: EventTarget, type: string, fn: (e: any) => void) => void} Listen */

/** A listener whose removal goes into `cleanups` (run by render()'s cleanup, or earlier).
 * @param {(() => void)[]} cleanups @returns {Listen} */
export const listenInto = (cleanups) => (target, type, fn) => {
  target.addEventListener(type, fn);
  cleanups.push(() => target.removeEventListener(type, fn));
};

/** A model callback whose removal goes into `cleanups`.
 * @param {{ on: (event: any, fn: any) => void, off: (event: any, fn: any) => void }} model
 * @param {(() => void)[]} cleanups */
export const onModelInto = (model, cleanups) => (/** @type {string} */ event, /** @type {(...args: any[]) => void} */ fn) => {
  model.on(event, fn);
  cleanups.push(() => model.off(event, fn));
};

/** What every render() starts with: its cleanups, a listener and a model callback that the
 * cleanup removes, and a send that drops the message when there is no kernel (a saved
 * notebook opened without one). Each view narrows onModel and send to its own protocol.
 * @param {{ on: (event: any, fn: any) => void, off: (event: any, fn: any) => void, send: (content: any) => void }} model */
export function viewTools(model) {
  /** @type {(() => void)[]} */
  const cleanups = [];
  const send = (/** @type {unknown} */ content) => {
    try { model.send(content); } catch { /* no kernel: nothing to ask */ }
  };
  return { cleanups, listen: listenInto(cleanups), onModel: onModelInto(model, cleanups), send };
}
