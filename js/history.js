// One entry of mql_notebook.VideoWidget's history strip: its prompt, its input images'
// thumbnails, its options and cost, its status, and its stars (kept in the library). Text only goes in with textContent; a
// thumbnail is a data URL the kernel made. Joined in front of widget.js (widget/frontend.py).

/** @import { RunEntry, ViewMessage } from "./protocol" */
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
  const rating = run.rating ?? 0;
  const stars = [1, 2, 3, 4, 5].map((n) => h("button", { type: "button", class: `mql-history-star${n <= rating ? " mql-history-star-on" : ""}`,
    text: n <= rating ? "★" : "☆", "data-run": String(i), "data-stars": String(n), "aria-label": n === run.rating ? `${n} stars: click to clear` : `Rate ${n} of 5` }));
  return h("li", {}, run.rateable ? [button, h("div", { class: "mql-history-rating", "data-rating": String(run.rating ?? "") }, stars)] : [button]);
}

/** A click on a run's star: asks the kernel to rate it (the same star again clears it); true when it was one.
 * @param {MouseEvent} e @param {RunEntry[]} runs @param {(m: ViewMessage) => void} send */
export function rateClick(e, runs, send) {
  const star = e.target instanceof Element ? e.target.closest("button[data-run]") : null;
  if (!(star instanceof HTMLElement)) return false;
  const index = Number(star.dataset["run"]), stars = Number(star.dataset["stars"]);
  send({ kind: "rate", index, stars: runs[index]?.rating === stars ? null : stars });
  return true;
}
