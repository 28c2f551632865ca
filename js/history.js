// One entry of mql_notebook.VideoWidget's history strip: its prompt, its input images'
// thumbnails, its options and cost, its status. Text only goes in with textContent; a
// thumbnail is a data URL the kernel made. Joined in front of widget.js (widget/frontend.py).

/** @import { RunEntry } from "./protocol" */
import { h, label } from "./shared.js";

/** @param {RunEntry} run @param {number} i @param {boolean} shown @param {boolean} running */
export function historyItem(run, i, shown, running) {
  const options = run.summary ?? run.model;
  const status = label(run.status);
  const cost = run.cost ? ` · ${run.cost}` : "";
  const button = h("button", { type: "button", class: "mql-history-entry", "data-index": String(i), "data-status": run.status,
    title: `${run.prompt}\n${options}${cost}\n${status}${run.error ? `: ${run.error}` : ""}` }, [
    h("span", { class: "mql-history-dot", "aria-hidden": "true" }),
    h("span", { class: "mql-history-prompt", text: run.prompt || run.generation_id || "(resumed)" }),
    ...Object.entries(run.images ?? {}).filter(([, c]) => c.thumbnail).map(([field, c]) =>
      h("img", { class: "mql-history-image", src: c.thumbnail, alt: `${field}: ${c.name}`, "data-field": field })),
    h("span", { class: "mql-history-options", text: `${options}${cost}` }),
    h("span", { class: "mql-history-status", text: status }),
  ]);
  button.disabled = running;
  if (shown) button.setAttribute("aria-current", "true");
  return h("li", {}, [button]);
}
