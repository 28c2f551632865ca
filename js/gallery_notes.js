// The gallery's ratings, notes and lineage (mql_notebook.Gallery): the stars and the note box of a
// card, the line naming the run it was made from and how many were made from it, the sort and
// rating controls of the bar, and what a click or an edit on them asks the kernel. Text only ever
// goes in with textContent or as a textarea's value. Joined in front of gallery.js with shared.js
// (mql_notebook/widget/frontend.py).

/** @import { Card, GalleryViewMessage, Sort } from "./gallery_protocol" */
/** @import { Listen } from "./shared.js" */
import { h, option } from "./shared.js";

const STARS = 5;

/** "2.0 s" @param {number | null} t */
const seconds = (t) => (typeof t === "number" && Number.isFinite(t) ? `${t.toFixed(1)} s` : "");

/** The stars, the note box and the lineage of a card. @param {Card} card @returns {HTMLElement[]} */
export function cardNotes(card) {
  const rating = card.rating ?? 0;
  const stars = Array.from({ length: STARS }, (_, i) => {
    const n = i + 1;
    const star = h("button", {
      type: "button",
      class: `mql-g-star${n <= rating ? " mql-g-star-on" : ""}`,
      text: n <= rating ? "★" : "☆",
      "data-action": "rate",
      "data-stars": String(n),
      "aria-label": n === card.rating ? `${n} stars: click to clear` : `Rate ${n} of ${STARS}`,
      "aria-pressed": String(n <= rating),
    });
    return star;
  });
  const note = /** @type {HTMLTextAreaElement} */ (
    h("textarea", { class: "mql-g-note", rows: "1", placeholder: "Note", "aria-label": "Note", "data-action": "note" })
  );
  note.value = card.note || ""; // a property, never markup
  note.defaultValue = note.value;
  /** @type {HTMLElement[]} */
  const parts = [
    h("div", { class: "mql-g-rating", role: "group", "aria-label": "Rating", "data-rating": String(card.rating ?? "") }, stars),
    note,
  ];
  const lineage = [];
  if (card.parent) {
    const at = seconds(card.parent_time);
    lineage.push(
      h("button", {
        type: "button",
        class: "mql-g-parent",
        "data-action": "parent",
        "data-parent": card.parent_id || card.parent,
        text: `from ${card.parent_id || card.parent}${at ? ` at ${at}` : ""}`,
        title: "Show the run it was made from",
      }),
    );
  }
  if (card.children) {
    lineage.push(h("span", { class: "mql-g-children", text: `${card.children} made from it` }));
  }
  if (lineage.length) parts.push(h("p", { class: "mql-g-lineage" }, lineage));
  return parts;
}

/** The bar's order and rating filter. */
export function orderControls() {
  const sort = /** @type {HTMLSelectElement} */ (h("select", { class: "mql-g-sort", "aria-label": "Sort" }));
  sort.append(option("newest", "Newest first"), option("rating", "Best rated first"));
  const rating = /** @type {HTMLSelectElement} */ (h("select", { class: "mql-g-min-rating", "aria-label": "Rating at least" }));
  rating.append(option("0", "Any rating"), ...[1, 2, 3, 4, 5].map((n) => option(String(n), `${"★".repeat(n)} or more`)));
  return {
    sort,
    rating,
    /** What the page asks for. @returns {{ sort: Sort, min_rating: number }} */
    chosen: () => ({ sort: sort.value === "rating" ? "rating" : "newest", min_rating: Number(rating.value) || 0 }),
    /** The kernel's state shown (unless the reader is choosing). @param {string} s @param {number} n */
    show: (s, n) => {
      if (document.activeElement !== sort) sort.value = s || "newest";
      if (document.activeElement !== rating) rating.value = String(n || 0);
    },
  };
}

/** A click on a star or a parent: true when it was one. A star clicked again clears the rating.
 * @param {string} action @param {HTMLElement} target @param {Card | null} card
 * @param {(m: GalleryViewMessage) => void} send @param {(text: string) => void} filterTo */
export function notesClick(action, target, card, send, filterTo) {
  const el = /** @type {HTMLElement | null} */ (target.closest(`[data-action="${action}"]`));
  if (!el || !card) return false;
  if (action === "rate") {
    const stars = Number(el.dataset["stars"]);
    send({ kind: "rate", key: card.key, stars: card.rating === stars ? null : stars });
  } else if (action === "parent") filterTo(el.dataset["parent"] || "");
  else return false;
  return true;
}

/** The note boxes: an edit is sent when the box is left (change), Jupyter's shortcuts stay out
 * of them, and drafts not yet sent survive a new page of cards.
 * @param {HTMLElement} grid @param {Listen} listen @param {(m: GalleryViewMessage) => void} send */
export function noteBoxes(grid, listen, send) {
  const keyOf = (/** @type {Element} */ box) => /** @type {HTMLElement | null} */ (box.closest("[data-key]"))?.dataset["key"] || "";
  listen(grid, "change", (/** @type {Event} */ e) => {
    const box = /** @type {HTMLTextAreaElement} */ (e.target);
    if (box.dataset["action"] !== "note" || !keyOf(box)) return;
    box.defaultValue = box.value;
    send({ kind: "note", key: keyOf(box), text: box.value });
  });
  listen(grid, "keydown", (/** @type {KeyboardEvent} */ e) => {
    if (/** @type {HTMLElement} */ (e.target).dataset["action"] === "note") e.stopPropagation();
  });
  /** @returns {() => void} call before replacing the cards; what it returns puts the drafts back */
  return () => {
    const boxes = /** @type {HTMLTextAreaElement[]} */ ([...grid.querySelectorAll(".mql-g-note")]);
    const drafts = new Map(boxes.filter((b) => b.value !== b.defaultValue).map((b) => [keyOf(b), b.value]));
    const focused = boxes.find((b) => b === document.activeElement);
    const focusKey = focused ? keyOf(focused) : "";
    return () => {
      for (const box of /** @type {HTMLTextAreaElement[]} */ ([...grid.querySelectorAll(".mql-g-note")])) {
        const draft = drafts.get(keyOf(box));
        if (draft !== undefined) box.value = draft;
        if (focusKey && keyOf(box) === focusKey) box.focus();
      }
    };
  };
}
