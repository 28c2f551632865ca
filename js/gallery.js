// The view of mql_notebook.Gallery (one hand-written ES module, loaded by anywidget, no bundler).
// Every trait is the kernel's (a page of entries, the filter, the offset); the view asks by message:
// {kind: "page", query, offset} {kind: "posters", keys} {kind: "video", key} {kind: "use", key}
// {kind: "delete", key} {kind: "export", keys} {kind: "rate", key, stars} {kind: "note", key, text}
// (gallery_notes.js). Posters arrive as {kind: "poster", key, mime} + one buffer, videos as
// video-begin / video-chunk / video-end (mql_notebook/widget/transfer.py); both become object URLs.
// Text only ever goes in with textContent; render()'s cleanup removes every listener, stops every
// video and revokes every object URL.

// The traits and messages are declared in gallery_protocol.d.ts, and `npm --prefix js run
// typecheck` checks this file against it. Its one import, the helpers of shared.js, is joined in
// front of it when the class is built (mql_notebook/widget/frontend.py): anywidget loads one module.

/** @import { Render } from "@anywidget/types" */
/** @import { Card, CompareColumn, CompareGrid, GalleryKernelMessage, GalleryTraits, GalleryViewMessage } from "./gallery_protocol" */
/** @typedef {{ key: string, mime: string, size: number, parts: Uint8Array<ArrayBuffer>[] }} Incoming */
import { cssAspect, formatSize, h, label, listenInto, toBytes, viewTools } from "./shared.js";
import { cardNotes, noteBoxes, notesClick, orderControls } from "./gallery_notes.js";
import { batchLine, filterControls, gridHolds, layoutGrid } from "./gallery_filters.js";
import { syncedControls } from "./gallery_sync.js";

const VIDEO_CACHE = 6; // object URLs of videos kept at once (each holds a whole file in memory)
const FILTER_DELAY_MS = 250;

/** @param {string} text @param {string} cls @param {Record<string, string>} [attrs] */
const button = (text, cls, attrs = {}) => h("button", { type: "button", class: cls, text, ...attrs });

/** @param {number} seconds since the epoch, shown in the reader's time zone */
function formatDate(seconds) {
  const d = new Date(seconds * 1000);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The card's frame shape for CSS. @param {Card} card */
const cardAspect = (card) => cssAspect(card.options?.["aspect_ratio"]);

/** One card: poster (a button that plays), prompt, options, status, date and size, actions.
 * @param {Card} card @param {{ poster: string | undefined, picked: boolean, linked: boolean, confirming: boolean }} state */
function cardElement(card, { poster, picked, linked, confirming }) {
  const picture = h("div", { class: "mql-g-picture" }, [
    poster
      ? h("img", { class: "mql-g-poster", src: poster, alt: "" })
      : h("span", { class: "mql-g-placeholder", text: card.has_video ? "▶" : label(card.status) }),
  ]);
  picture.style.aspectRatio = cardAspect(card);
  const play = button("", "mql-g-play", { "data-action": "play", "aria-label": `Play: ${card.prompt}` });
  play.append(picture);
  play.disabled = !card.has_video;
  const pick = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", "data-action": "pick" }));
  pick.checked = picked;
  pick.disabled = !card.has_video;
  /** @type {HTMLElement[]} */
  const actions = [h("label", { class: "mql-g-pick" }, [pick, h("span", { text: "Compare" })])];
  if (linked) actions.push(button("Use this prompt", "mql-g-use", { "data-action": "use" }));
  actions.push(
    confirming
      ? h("span", { class: "mql-g-confirm", role: "alert" }, [
          h("span", { text: "Delete video and entry?" }),
          button("Delete", "mql-g-confirm-delete", { "data-action": "confirm-delete" }),
          button("Keep", "mql-g-keep", { "data-action": "keep" }),
        ])
      : button("Delete", "mql-g-delete", { "data-action": "delete" }),
  );
  const when = [card.created_at ? formatDate(card.created_at) : "", formatSize(card.size)];
  const item = h("li", { class: `mql-g-card${picked ? " mql-g-selected" : ""}`, "data-key": card.key, "data-status": card.status }, [
    play,
    h("p", { class: "mql-g-prompt", text: card.prompt || card.id || "(no prompt)", title: card.prompt }),
    h("p", { class: "mql-g-options", text: card.cost ? `${card.summary} · ${card.cost}` : card.summary }),
    ...Object.entries(card.images ?? {}).filter(([, c]) => c.thumbnail).map(([field, c]) =>
      h("img", { class: "mql-g-input-image", src: c.thumbnail, alt: `${field}: ${c.name}`, title: `${field}: ${c.name}`, "data-field": field })),
    h("p", { class: "mql-g-meta" }, [
      h("span", { class: "mql-g-status", text: label(card.status) }),
      h("span", { class: "mql-g-date", text: when.filter(Boolean).join(" · ") }),
    ]),
    ...cardNotes(card),
    ...batchLine(card),
    h("div", { class: "mql-g-actions" }, actions),
  ]);
  if (card.error) item.append(h("p", { class: "mql-g-card-error", text: card.error }));
  return item;
}

/** @type {Render<GalleryTraits>} */
function render({ model, el }) {
  const tools = viewTools(model);
  const { cleanups, listen } = tools;
  /** @type {(event: `change:${keyof GalleryTraits}` | "msg:custom", fn: (...args: any[]) => void) => void} */
  const onModel = tools.onModel;
  /** @type {(content: GalleryViewMessage) => void} */
  const send = tools.send;

  // ---- object URLs: posters by key, the latest few videos by key ----
  /** @type {Map<string, string>} */ const posters = new Map();
  /** @type {Map<string, string>} */ const videos = new Map();
  /** @type {Set<string>} */ const asked = new Set(); // posters and videos asked for, not here yet
  cleanups.push(() => [...posters.values(), ...videos.values()].forEach((url) => URL.revokeObjectURL(url)));

  /** A video arrived: it plays where the stage waits for it; the oldest not shown are dropped. */
  function keepVideo(/** @type {string} */ key, /** @type {string} */ url) {
    videos.set(key, url);
    asked.delete(`video:${key}`);
    for (const [old, oldUrl] of videos) {
      if (videos.size <= VIDEO_CACHE) break;
      if (old === key || isStaged(old)) continue;
      videos.delete(old);
      URL.revokeObjectURL(oldUrl);
    }
    staged.filter((v) => v.dataset["key"] === key).forEach((v) => attach(v, url));
  }

  // ---- the DOM ----
  const filter = /** @type {HTMLInputElement} */ (
    h("input", { type: "search", class: "mql-g-filter", placeholder: "Filter by prompt, model or note", "aria-label": "Filter" })
  );
  const refresh = button("Refresh", "mql-g-refresh");
  const compare = button("Compare", "mql-g-compare");
  const exporter = button("Export", "mql-g-export", { title: "A page to share (works offline): the ticked cards, else the shown ones" });
  const notice = h("div", { class: "mql-g-notice", role: "status" });
  const count = h("span", { class: "mql-g-count", role: "status" });
  const prev = button("‹ Newer", "mql-g-prev");
  const next = button("Older ›", "mql-g-next");
  const error = h("div", { class: "mql-g-error", role: "alert" });
  const grid = h("ol", { class: "mql-g-grid" });
  const stage = h("section", { class: "mql-g-stage", "aria-label": "Player" });
  const order = orderControls();
  const filters = filterControls();
  const bar = h("div", { class: "mql-g-bar" }, [filter, filters.model, filters.fields, filters.batch, order.sort, order.rating, refresh, h("span", { class: "mql-g-spacer" }), compare, exporter]);
  const root = h("div", { class: "mql-gallery-widget" }, [bar, error, notice, stage, grid, h("div", { class: "mql-g-pager" }, [prev, count, next])]);
  el.replaceChildren(root);

  /** The cards picked to compare, by key: kept across pages and filters. @type {Map<string, Card>} */
  const selected = new Map();
  /** @type {string | null} */
  let confirming = null;
  const cards = () => /** @type {Card[]} */ (model.get("entries") || []);
  const cardOf = (/** @type {string} */ key) => cards().find((c) => c.key === key) || null;
  const columns = () => /** @type {CompareColumn[]} */ (model.get("compared") || []);

  function renderCards() {
    const list = cards();
    if (confirming && !cardOf(confirming)) confirming = null;
    const linked = !!model.get("linked");
    const restoreDrafts = keepDrafts();
    grid.replaceChildren(
      ...list.map((c) => cardElement(c, { poster: posters.get(c.key), picked: selected.has(c.key), linked, confirming: confirming === c.key })),
    );
    restoreDrafts();
    order.show(model.get("sort"), Number(model.get("min_rating")) || 0);
    filters.show(model.get("models") || [], model.get("model_filter") || "", model.get("where") || {}, model.get("batch") || "");
    const offset = Number(model.get("offset")) || 0;
    const total = Number(model.get("total")) || 0;
    count.textContent = total ? `${offset + 1}–${offset + list.length} of ${total}` : model.get("query") ? "No match" : "The library is empty";
    prev.disabled = offset <= 0;
    next.disabled = offset + list.length >= total;
    root.dataset["total"] = String(total);
    if (filter.value !== model.get("query") && document.activeElement !== filter) filter.value = model.get("query") || "";
    renderSelection();
    const missing = list.filter((c) => c.has_poster && !posters.has(c.key) && !asked.has(`poster:${c.key}`)).map((c) => c.key);
    missing.forEach((key) => asked.add(`poster:${key}`));
    if (missing.length) send({ kind: "posters", keys: missing });
  }

  function renderSelection() {
    compare.textContent = selected.size ? `Compare (${selected.size})` : "Compare";
    compare.disabled = selected.size < 2;
    exporter.textContent = selected.size ? `Export (${selected.size})` : "Export";
    exporter.disabled = !selected.size && !cards().some((c) => c.has_video);
    root.dataset["selected"] = String(selected.size);
  }

  function renderError() {
    error.textContent = model.get("error") || "";
    error.hidden = !error.textContent;
  }

  function renderNotice() {
    notice.textContent = model.get("notice") || "";
    notice.hidden = !notice.textContent;
  }

  // ---- the stage: one video playing, or several compared in sync ----
  /** @type {HTMLVideoElement[]} */ let staged = [];
  const isStaged = (/** @type {string} */ key) => staged.some((v) => v.dataset["key"] === key);
  /** @type {(() => void)[]} */ const stageCleanups = [];
  const listenStage = listenInto(stageCleanups); // removed when the stage closes

  function closeStage() {
    for (const fn of stageCleanups.splice(0)) fn();
    for (const video of staged) {
      video.pause();
      video.removeAttribute("src"); // and load(): the element lets go of the decoded video
      video.load();
    }
    staged = [];
    stage.replaceChildren();
    stage.hidden = true;
    root.dataset["stage"] = "";
  }
  cleanups.push(closeStage);

  /** @param {string[]} keys one to play it, two or more to compare them
   * @param {boolean} [fromKernel] the kernel compared them already (Gallery.compare): `compared` holds them */
  function openStage(keys, fromKernel = false) {
    closeStage();
    const compareCard = (/** @type {string} */ k) => columns().find((c) => c.key === k)?.card || null;
    const list = keys.map((k) => selected.get(k) || cardOf(k) || compareCard(k)).filter((c) => c !== null);
    if (!list.length) return;
    const many = list.length > 1;
    root.dataset["stage"] = many ? "compare" : "play";
    const panes = list.map((card) => {
      const video = /** @type {HTMLVideoElement} */ (h("video", { class: "mql-g-video", "data-key": card.key }));
      video.muted = true; // several at once, and autoplay policies: sound is the reader's choice
      video.playsInline = true;
      video.controls = !many;
      video.style.aspectRatio = cardAspect(card);
      staged.push(video);
      return h("figure", { class: "mql-g-pane", "data-key": card.key }, [
        video,
        h("figcaption", { "data-key": card.key }, [h("span", { class: "mql-g-prompt", text: card.prompt }), h("span", { class: "mql-g-options", text: card.summary })]),
      ]);
    });
    const row = h("div", { class: `mql-g-videos${many ? " mql-g-many" : ""}` }, panes);
    row.style.setProperty("--mql-g-columns", String(Math.min(list.length, 3)));
    const close = button("Close", "mql-g-close");
    listenStage(close, "click", closeStage);
    stage.replaceChildren(h("div", { class: "mql-g-stage-head" }, [h("strong", { text: many ? `Comparing ${list.length} videos` : "Playing" }), close]), row);
    if (many) {
      const controls = syncedControls(staged, listenStage, (playing) => (root.dataset["playing"] = String(playing)));
      stageCleanups.push(controls.stop);
      stage.append(controls.el);
      if (!fromKernel) send({ kind: "compare", keys: list.map((c) => c.key) }); // the kernel diffs: `compared`
    }
    renderDifferences(); // the same columns again: no change event
    stage.hidden = false;
    for (const video of staged) {
      const key = video.dataset["key"] || "";
      const url = videos.get(key);
      if (url) attach(video, url);
      else if (!asked.has(`video:${key}`)) {
        asked.add(`video:${key}`);
        send({ kind: "video", key });
      }
    }
  }

  /** Each compared column's prompt with the words that differ from the first's in <mark>, and
   * its settings that differ ("duration 5 → 10"): text nodes only, never markup. */
  function renderDifferences() {
    const shown = columns();
    const stagedKeys = staged.map((v) => v.dataset["key"] || "");
    if (root.dataset["stage"] !== "compare" || [...shown.map((c) => c.key)].sort().join("\n") !== [...stagedKeys].sort().join("\n")) return;
    const grid = /** @type {CompareGrid} */ (model.get("compare_grid") || {});
    const container = stage.querySelector(".mql-g-videos");
    if (container instanceof HTMLElement && "cells" in grid && gridHolds(grid, stagedKeys)) {
      const panes = new Map([...container.querySelectorAll("figure.mql-g-pane")].map((f) => [/** @type {HTMLElement} */ (f).dataset["key"] || "", /** @type {HTMLElement} */ (f)]));
      layoutGrid(container, grid, panes); // the same figures moved: their videos keep playing
      root.dataset["grid"] = `${grid.rows.length}x${grid.cols.length}`;
    }
    for (const column of shown) {
      const caption = [...stage.querySelectorAll("figcaption")].find((c) => c instanceof HTMLElement && c.dataset["key"] === column.key);
      const prompt = caption?.querySelector(".mql-g-prompt");
      if (!caption || !prompt) continue;
      prompt.replaceChildren(...column.segments.map((s) => h(s.changed ? "mark" : "span", { class: s.changed ? "mql-g-changed" : "", text: s.text })));
      caption.querySelector(".mql-g-differences")?.remove();
      if (column.differences.length) caption.append(h("span", { class: "mql-g-differences", text: column.differences.map((d) => d.text).join(" · ") }));
    }
  }

  /** @param {HTMLVideoElement} video @param {string} url */
  function attach(video, url) {
    video.src = url;
    if (video.controls) video.play().catch(() => {}); // a single video plays at once
  }

  // ---- actions ----
  /** @param {number} offset */
  const askPage = (offset) => send({ kind: "page", query: filter.value, offset: Math.max(0, offset), ...order.chosen(), ...filters.chosen() });
  const keepDrafts = noteBoxes(grid, listen, send);
  for (const select of [order.sort, order.rating, filters.model]) listen(select, "change", () => askPage(0));
  listen(filters.fields, "change", () => askPage(0)); // Enter or leaving the box
  listen(filters.fields, "keydown", (/** @type {KeyboardEvent} */ e) => e.stopPropagation());
  listen(filters.batch, "click", () => (filters.setBatch(""), askPage(0)));
  const step = () => Number(model.get("page_size")) || 24;
  const offset = () => Number(model.get("offset")) || 0;
  let filterTimer = 0;
  listen(filter, "input", () => {
    window.clearTimeout(filterTimer);
    filterTimer = window.setTimeout(() => askPage(0), FILTER_DELAY_MS);
  });
  listen(filter, "keydown", (/** @type {KeyboardEvent} */ e) => e.stopPropagation()); // not Jupyter's shortcuts
  cleanups.push(() => window.clearTimeout(filterTimer));
  listen(refresh, "click", () => askPage(offset()));
  listen(prev, "click", () => askPage(offset() - step()));
  listen(next, "click", () => askPage(offset() + step()));
  listen(compare, "click", () => openStage([...selected.keys()]));
  listen(exporter, "click", () => {
    const keys = selected.size ? [...selected.keys()] : cards().filter((c) => c.has_video).map((c) => c.key);
    send({ kind: "export", keys });
  });
  listen(grid, "click", (/** @type {MouseEvent} */ e) => {
    const target = /** @type {HTMLElement} */ (e.target);
    const action = /** @type {HTMLElement | null} */ (target.closest("[data-action]"))?.dataset["action"];
    const key = /** @type {HTMLElement | null} */ (target.closest("[data-key]"))?.dataset["key"];
    if (!action || !key || notesClick(action, target, cardOf(key), send, (id) => ((filter.value = id), askPage(0)))) return;
    if (action === "batch") {
      filters.setBatch(/** @type {HTMLElement} */ (target.closest("[data-batch]"))?.dataset["batch"] || "");
      askPage(0);
    } else if (action === "play") openStage([key]);
    else if (action === "use") send({ kind: "use", key });
    else if (action === "delete" || action === "keep") {
      confirming = action === "delete" ? key : null; // the view asks first; the kernel deletes
      renderCards();
    } else if (action === "confirm-delete") {
      confirming = null;
      selected.delete(key);
      if (isStaged(key)) closeStage();
      send({ kind: "delete", key });
    }
  });
  listen(grid, "change", (/** @type {Event} */ e) => {
    const box = /** @type {HTMLInputElement} */ (e.target);
    const item = /** @type {HTMLElement | null} */ (box.closest("[data-key]"));
    const card = cardOf(item?.dataset["key"] || "");
    if (box.dataset["action"] !== "pick" || !item || !card) return;
    if (box.checked) selected.set(card.key, card);
    else selected.delete(card.key);
    item.classList.toggle("mql-g-selected", box.checked);
    renderSelection();
  });

  // ---- messages from the kernel ----
  /** @type {Map<number, Incoming>} */
  const incoming = new Map();
  cleanups.push(() => incoming.clear());
  onModel("msg:custom", (/** @type {GalleryKernelMessage} */ msg, /** @type {(ArrayBuffer | ArrayBufferView)[]} */ buffers) => {
    if (!msg || typeof msg !== "object") return;
    const buffer = buffers?.[0];
    if (msg.kind === "poster" && buffer && !posters.has(msg.key)) {
      const url = URL.createObjectURL(new Blob([toBytes(buffer)], { type: msg.mime || "image/jpeg" }));
      posters.set(msg.key, url);
      const picture = grid.querySelector(`[data-key="${CSS.escape(String(msg.key))}"] .mql-g-picture`);
      picture?.replaceChildren(h("img", { class: "mql-g-poster", src: url, alt: "" }));
    } else if (msg.kind === "video-begin") {
      incoming.set(msg.transfer, { key: msg.generation_id, mime: msg.mime || "video/mp4", size: (msg.sizes || [0])[0] || 0, parts: [] });
    } else if (msg.kind === "video-chunk" && buffer) {
      incoming.get(msg.transfer)?.parts.push(toBytes(buffer));
    } else if (msg.kind === "video-end") {
      const t = incoming.get(msg.transfer);
      incoming.delete(msg.transfer);
      if (!t) return;
      const blob = new Blob(t.parts, { type: t.mime });
      if (blob.size !== t.size) {
        asked.delete(`video:${t.key}`); // asked again when next shown
        error.textContent = `A video arrived incomplete (${blob.size} of ${t.size} bytes); click it again to fetch it again.`;
        error.hidden = false;
        return;
      }
      keepVideo(t.key, URL.createObjectURL(blob));
    }
  });

  for (const name of /** @type {const} */ (["entries", "total", "linked", "sort", "min_rating"])) onModel(`change:${name}`, renderCards);
  onModel("change:error", renderError);
  onModel("change:notice", renderNotice);
  onModel("change:compared", renderDifferences);
  onModel("change:compare_grid", renderDifferences);
  for (const name of /** @type {const} */ (["models", "model_filter", "where", "batch"])) onModel(`change:${name}`, renderCards);
  const showCompared = () => {
    const keys = columns().map((c) => c.key);
    if (keys.length > 1) openStage(keys, true);
  };
  onModel("change:compare_shown", showCompared);
  renderCards();
  renderError();
  renderNotice();
  closeStage();
  if (Number(model.get("compare_shown")) > 0) showCompared(); // compared before it was shown

  return () => {
    for (const fn of cleanups.splice(0)) fn();
  };
}

export default { render };
