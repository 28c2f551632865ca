// The view of mql_notebook.Batch (one hand-written ES module, loaded by anywidget, no bundler):
// a grid of cells with live badges, a progress bar, Run and Cancel all, and the opened cell's
// video. Every trait is the kernel's (cells once; states and counts at most 10 times a second);
// a cell only touches the DOM when its own state changed, so 200 cells stay cheap. A video is
// asked for ({kind: "video", index}) only when its cell is opened or scrolled into view (an
// IntersectionObserver; at most ASK_AT_ONCE asks in flight, so a scroll never floods the
// kernel), plays inline in its cell, and arrives as
// video-begin / video-chunk / video-end (mql_notebook/widget/transfer.py). Text only ever goes
// in with textContent; render()'s cleanup removes every listener and revokes every object URL.

/** @import { Render } from "@anywidget/types" */
/** @import { BatchKernelMessage, BatchTraits, BatchViewMessage, Cell, CellState } from "./batch_protocol" */
/** @typedef {{ index: number, mime: string, size: number, parts: Uint8Array<ArrayBuffer>[] }} Incoming */
import { h, toBytes, viewTools } from "./shared.js";

const VIDEO_CACHE = 24; // object URLs kept at once (each holds a whole file in memory)
const ASK_AT_ONCE = 2; // videos asked for and not here yet, at most
/** @type {Record<string, string>} */
export const BADGES = {
  waiting: "Waiting", queued: "Queued (gateway full)", creating: "Sending", running: "Generating",
  downloading: "Downloading", completed: "Done", already: "Done earlier", failed: "Failed", unfinished: "Unfinished",
};
const DONE = new Set(["completed", "already", "failed", "unfinished"]);

/** "Generating 40% · 12 s left", "Done". @param {CellState} state @param {number} [now] Unix seconds */
export function badgeText(state, now = Date.now() / 1000) {
  const text = BADGES[state.status] ?? state.status;
  if (state.status !== "running") return text;
  const parts = [typeof state.progress === "number" ? `${text} ${Math.round(state.progress)}%` : text];
  if (state.stalled) parts.push("taking longer than usual");
  else if (typeof state.expected_end === "number") parts.push(`${Math.max(0, Math.round(state.expected_end - now))} s left`);
  return parts.join(" · ");
}

/** @param {Record<string, number>} counts @param {number} total */
export function progressText(counts, total) {
  const finished = [...DONE].reduce((n, s) => n + (counts[s] || 0), 0);
  const ok = (counts["completed"] || 0) + (counts["already"] || 0);
  const failed = (counts["failed"] || 0) + (counts["unfinished"] || 0);
  return { finished, text: `${finished}/${total} finished · ${ok} done${failed ? ` · ${failed} not done` : ""}` };
}

/** @type {Render<BatchTraits>} */
function render({ model, el }) {
  const tools = viewTools(model);
  const { cleanups, listen } = tools;
  /** @type {(event: `change:${keyof BatchTraits}` | "msg:custom", fn: (...args: any[]) => void) => void} */
  const onModel = tools.onModel;
  /** @type {(content: BatchViewMessage) => void} */
  const send = tools.send;

  const run = h("button", { type: "button", class: "mql-b-run", text: "Run" });
  const cancel = h("button", { type: "button", class: "mql-b-cancel", text: "Cancel all" });
  const bar = /** @type {HTMLProgressElement} */ (h("progress", { class: "mql-b-progress", max: "1", value: "0" }));
  const count = h("span", { class: "mql-b-count", role: "status" });
  const estimate = h("span", { class: "mql-b-estimate" });
  const error = h("div", { class: "mql-b-error", role: "alert" });
  const grid = h("ol", { class: "mql-b-grid" });
  const stageTitle = h("div", { class: "mql-b-stage-title" });
  const stageBody = h("div", { class: "mql-b-stage-body" });
  const stage = h("section", { class: "mql-b-stage", "aria-label": "Opened cell" }, [stageTitle, stageBody]);
  stage.hidden = true;
  const head = h("div", { class: "mql-b-bar" }, [run, cancel, bar, count, estimate]);
  el.replaceChildren(h("div", { class: "mql-batch-widget" }, [head, error, stage, grid]));

  /** @type {HTMLLIElement[]} */ let items = [];
  /** @type {string[]} */ let shown = []; // each cell's last rendered state, to skip unchanged ones
  /** @type {number | null} */ let opened = null;
  /** @type {Map<number, string>} */ const videos = new Map();
  cleanups.push(() => videos.forEach((url) => URL.revokeObjectURL(url)));
  /** @type {Set<number>} */ const visible = new Set(); // cells in (or near) the viewport
  /** @type {Set<number>} */ const pending = new Set(); // videos asked for, not here yet
  const observer = typeof IntersectionObserver === "function"
    ? new IntersectionObserver((seen) => {
        for (const entry of seen) {
          const index = Number(/** @type {HTMLElement} */ (entry.target).dataset["index"]);
          if (entry.isIntersecting) visible.add(index);
          else visible.delete(index);
        }
        askVisible();
      }, { rootMargin: "200px" })
    : null;
  cleanups.push(() => observer?.disconnect());

  /** Ask for the videos of the visible done cells not here yet, a few at a time. */
  function askVisible() {
    const all = states();
    for (const index of visible) {
      if (pending.size >= ASK_AT_ONCE) return;
      if (!all[index]?.has_video || videos.has(index) || pending.has(index)) continue;
      pending.add(index);
      send({ kind: "video", index });
    }
  }

  /** The cell's inline video (muted, looping), or none. @param {number} index */
  function showInline(index) {
    const li = items[index];
    if (!li) return;
    const url = videos.get(index);
    let video = /** @type {HTMLVideoElement | null} */ (li.querySelector("video.mql-b-thumb"));
    if (!url) { video?.remove(); return; }
    if (video?.src === url) return;
    if (!video) {
      video = /** @type {HTMLVideoElement} */ (h("video", { class: "mql-b-thumb", autoplay: "", muted: "", loop: "", playsinline: "" }));
      video.muted = true;
      li.append(video);
    }
    video.src = url;
  }
  const cells = () => /** @type {Cell[]} */ (model.get("cells") || []);
  const states = () => /** @type {CellState[]} */ (model.get("states") || []);

  function buildCells() {
    items = cells().map((cell, index) => {
      const li = h("li", { class: "mql-b-cell", tabindex: "0", "data-index": String(index), title: cell.prompt }, [
        h("span", { class: "mql-b-badge" }),
        h("span", { class: "mql-b-label", text: cell.label }),
        h("span", { class: "mql-b-model", text: cell.model }),
      ]);
      return /** @type {HTMLLIElement} */ (li);
    });
    shown = [];
    grid.replaceChildren(...items);
    visible.clear();
    observer?.disconnect();
    items.forEach((li) => observer?.observe(li));
    renderStates();
  }

  function renderStates() {
    const all = states();
    all.forEach((state, index) => {
      const key = `${state.status}|${state.progress}|${state.expected_end}|${state.stalled}|${state.has_video}|${state.message}`;
      const li = items[index];
      if (!li || shown[index] === key) return;
      shown[index] = key;
      li.dataset["status"] = state.status;
      const badge = li.firstElementChild;
      if (badge) badge.textContent = badgeText(state);
      li.classList.toggle("mql-b-playable", state.has_video);
      if (opened === index) renderStage();
    });
    askVisible();
    const counts = /** @type {Record<string, number>} */ (model.get("counts") || {});
    const { finished, text } = progressText(counts, all.length);
    bar.max = Math.max(1, all.length);
    bar.value = finished;
    count.textContent = text;
  }

  function renderRunning() {
    const running = Boolean(model.get("running"));
    run.disabled = running;
    cancel.disabled = !running;
  }

  function renderEstimate() {
    estimate.textContent = String(model.get("estimate") || "");
  }

  function renderError() {
    error.textContent = String(model.get("error") || "");
    error.hidden = !error.textContent;
  }

  function renderStage() {
    if (opened === null) { stage.hidden = true; return; }
    const cell = cells()[opened];
    const state = states()[opened];
    if (!cell || !state) { stage.hidden = true; return; }
    stage.hidden = false;
    const title = [h("strong", { text: cell.label }), h("span", { class: "mql-b-badge", text: ` ${badgeText(state)}` })];
    if (!DONE.has(state.status) && model.get("running")) {
      const index = opened;
      const stop = h("button", { type: "button", class: "mql-b-cancel-one", text: "Cancel this one" });
      stop.addEventListener("click", () => send({ kind: "cancel", index }), { once: true });
      title.push(stop);
    }
    stageTitle.replaceChildren(...title);
    const url = videos.get(opened);
    const current = stageBody.querySelector("video");
    if (url && current?.src === url) return;
    if (url) {
      const video = /** @type {HTMLVideoElement} */ (h("video", { class: "mql-b-video", controls: "", autoplay: "", muted: "", loop: "", playsinline: "" }));
      video.muted = true;
      video.src = url;
      stageBody.replaceChildren(video, h("p", { class: "mql-b-prompt", text: cell.prompt }));
    } else {
      const note = state.has_video ? "Loading the video…" : state.message || badgeText(state);
      stageBody.replaceChildren(h("p", { class: "mql-b-note", text: note }), h("p", { class: "mql-b-prompt", text: cell.prompt }));
      if (state.has_video && !pending.has(opened)) {
        pending.add(opened);
        send({ kind: "video", index: opened });
      }
    }
  }

  function open(/** @type {number} */ index) {
    opened = opened === index ? null : index;
    items.forEach((li, i) => li.classList.toggle("mql-b-open", i === opened));
    renderStage();
  }

  listen(grid, "click", (/** @type {MouseEvent} */ e) => {
    const li = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest(".mql-b-cell"));
    if (li) open(Number(li.dataset["index"]));
  });
  listen(grid, "keydown", (/** @type {KeyboardEvent} */ e) => {
    const li = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest(".mql-b-cell"));
    if (li && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); open(Number(li.dataset["index"])); }
  });
  listen(run, "click", () => send({ kind: "start" }));
  listen(cancel, "click", () => send({ kind: "cancel" }));

  /** @type {Map<number, Incoming>} */
  const incoming = new Map();
  onModel("msg:custom", (/** @type {BatchKernelMessage} */ msg, /** @type {(ArrayBuffer | ArrayBufferView)[]} */ buffers) => {
    if (!msg || typeof msg !== "object") return;
    const buffer = buffers?.[0];
    if (msg.kind === "video-begin") {
      incoming.set(msg.transfer, { index: Number(msg.generation_id), mime: msg.mime || "video/mp4", size: (msg.sizes || [0])[0] || 0, parts: [] });
    } else if (msg.kind === "video-chunk" && buffer) {
      incoming.get(msg.transfer)?.parts.push(toBytes(buffer));
    } else if (msg.kind === "video-end") {
      const t = incoming.get(msg.transfer);
      incoming.delete(msg.transfer);
      if (t) pending.delete(t.index);
      if (!t || !t.size) return askVisible();
      const blob = new Blob(t.parts, { type: t.mime });
      if (blob.size !== t.size) return askVisible(); // asked again when seen or opened again
      const old = videos.get(t.index);
      if (old) URL.revokeObjectURL(old);
      videos.set(t.index, URL.createObjectURL(blob));
      for (const [index, url] of videos) {
        if (videos.size <= VIDEO_CACHE) break;
        if (index === opened || visible.has(index)) continue;
        videos.delete(index);
        URL.revokeObjectURL(url);
        showInline(index);
      }
      showInline(t.index);
      if (t.index === opened) renderStage();
      askVisible();
    }
  });

  onModel("change:cells", buildCells);
  onModel("change:states", renderStates);
  onModel("change:counts", renderStates);
  onModel("change:running", renderRunning);
  onModel("change:error", renderError);
  onModel("change:estimate", renderEstimate);
  buildCells();
  renderEstimate();
  renderRunning();
  renderError();

  return () => {
    for (const fn of cleanups.splice(0)) fn();
  };
}

export default { render };
