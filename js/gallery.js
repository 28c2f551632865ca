// The view of mql_notebook.Gallery: the library's videos as cards. One hand-written ES module,
// loaded by anywidget, no bundler.
//
// Every trait is the kernel's (one page of entries, the filter, the offset); the view asks by
// message: {kind: "page", query, offset} {kind: "posters", keys} {kind: "video", key}
// {kind: "use", key} {kind: "delete", key}. Posters arrive as {kind: "poster", key, mime} with
// one buffer, videos as video-begin / video-chunk / video-end (mql_notebook/widget/transfer.py),
// and become object URLs kept in small caches. Text from prompts, models or errors only ever
// goes in with textContent; render() returns a cleanup that removes every listener, stops
// every video and revokes every object URL.

/**
 * @typedef {{
 *   get(name: string): any,
 *   set(name: string, value: any): void,
 *   save_changes(): void,
 *   on(event: string, cb: (...args: any[]) => void): void,
 *   off(event: string, cb: (...args: any[]) => void): void,
 *   send(content: object, callbacks?: object, buffers?: ArrayBuffer[]): void,
 * }} Model
 * @typedef {{ key: string, id: string | null, prompt: string, model: string,
 *   options: Record<string, unknown>, status: string, created_at: number,
 *   finished_at: number | null, error: string, has_video: boolean, has_poster: boolean,
 *   size: number, videos: number }} Card
 * @typedef {{ transfer: number, key: string, mime: string, size: number, parts: Uint8Array<ArrayBuffer>[] }} Incoming
 */

const LABELS = /** @type {Record<string, string>} */ ({
  pending: "Queued",
  processing: "Generating",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
});
const VIDEO_CACHE = 6; // object URLs of videos kept at once (each holds a whole file in memory)
const FILTER_DELAY_MS = 250;

/**
 * Build an element; `text` goes in as textContent, everything else as attributes.
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") el.textContent = value;
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value);
  }
  el.append(...children);
  return el;
}

/** @param {string} text @param {string} [cls] @returns {HTMLButtonElement} */
function button(text, cls = "") {
  return /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: cls, text }));
}

/** @param {number} bytes */
function formatSize(bytes) {
  if (!bytes) return "";
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** @param {number} seconds since the epoch */
function formatDate(seconds) {
  const d = new Date(seconds * 1000);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** @param {number} seconds */
function formatTime(seconds) {
  const s = Number.isFinite(seconds) ? Math.max(0, seconds) : 0;
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
}

/** @param {Card} card */
function describeOptions(card) {
  const o = card.options || {};
  const parts = [card.model || "?"];
  if (o["aspect_ratio"]) parts.push(String(o["aspect_ratio"]));
  if (o["duration"]) parts.push(`${o["duration"]} s`);
  if (o["resolution"]) parts.push(String(o["resolution"]));
  if (typeof o["n"] === "number" && o["n"] > 1) parts.push(`×${o["n"]}`);
  return parts.join(" · ");
}

/** @param {unknown} ratio "16:9" -> "16 / 9" for CSS aspect-ratio */
function cssAspect(ratio) {
  const m = /^(\d+):(\d+)$/.exec(typeof ratio === "string" ? ratio : "");
  return m ? `${m[1]} / ${m[2]}` : "16 / 9";
}

/** A binary buffer from the comm (DataView, ArrayBuffer or typed array) as bytes, not copied. */
function toBytes(/** @type {ArrayBuffer | ArrayBufferView} */ buffer) {
  // Comm buffers are never shared memory: a plain ArrayBuffer underneath, as Blob parts require.
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(/** @type {ArrayBuffer} */ (buffer.buffer), buffer.byteOffset, buffer.byteLength);
}

/** @param {HTMLVideoElement} video */
function videoElement(video) {
  video.muted = true; // several at once, and autoplay policies: sound is the user's choice
  video.playsInline = true;
  video.preload = "auto";
  return video;
}

/** @param {{ model: Model, el: HTMLElement }} ctx */
function render({ model, el }) {
  /** @type {(() => void)[]} */
  const cleanups = [];
  /**
   * @param {EventTarget} target @param {string} type @param {(e: any) => void} fn
   */
  const listen = (target, type, fn) => {
    target.addEventListener(type, fn);
    cleanups.push(() => target.removeEventListener(type, fn));
  };
  /** @param {string} event @param {(...args: any[]) => void} fn */
  const onModel = (event, fn) => {
    model.on(event, fn);
    cleanups.push(() => model.off(event, fn));
  };
  /** @param {object} content */
  const send = (content) => {
    try {
      model.send(content);
    } catch (err) {
      // No kernel (a saved notebook opened without one): nothing to ask.
    }
  };

  // ---- caches of object URLs: posters by key, videos by key (the latest few) ----
  /** @type {Map<string, string>} */
  const posters = new Map();
  /** @type {Map<string, string>} */
  const videos = new Map();
  /** @type {Map<string, ((url: string) => void)[]>} */
  const waiting = new Map();
  /** @type {Set<string>} */
  const askedPosters = new Set();
  cleanups.push(() => {
    for (const url of [...posters.values(), ...videos.values()]) URL.revokeObjectURL(url);
    posters.clear();
    videos.clear();
    waiting.clear();
  });

  /** A video's object URL, asked of the kernel once. @param {string} key @returns {Promise<string>} */
  function videoUrl(key) {
    const known = videos.get(key);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const list = waiting.get(key);
      if (list) list.push(resolve);
      else {
        waiting.set(key, [resolve]);
        send({ kind: "video", key });
      }
    });
  }

  /** @param {string} key @param {string} url */
  function keepVideo(key, url) {
    videos.set(key, url);
    const inUse = new Set(shownKeys());
    for (const [old, oldUrl] of videos) {
      if (videos.size <= VIDEO_CACHE) break;
      if (old === key || inUse.has(old)) continue;
      videos.delete(old);
      URL.revokeObjectURL(oldUrl);
    }
    for (const resolve of waiting.get(key) || []) resolve(url);
    waiting.delete(key);
  }

  // ---- the DOM ----
  const filter = /** @type {HTMLInputElement} */ (
    h("input", { type: "search", class: "mql-g-filter", placeholder: "Filter by prompt or model", "aria-label": "Filter" })
  );
  const refresh = button("Refresh", "mql-g-refresh");
  const compare = button("Compare", "mql-g-compare");
  const clear = button("Clear selection", "mql-g-clear");
  const count = h("span", { class: "mql-g-count", role: "status" });
  const prev = button("‹ Newer", "mql-g-prev");
  const next = button("Older ›", "mql-g-next");
  const error = h("div", { class: "mql-g-error", role: "alert" });
  const grid = h("ol", { class: "mql-g-grid" });
  const stage = h("section", { class: "mql-g-stage", "aria-label": "Player" });
  const root = h("div", { class: "mql-gallery-widget" }, [
    h("div", { class: "mql-g-bar" }, [filter, refresh, h("span", { class: "mql-g-spacer" }), clear, compare]),
    error,
    stage,
    grid,
    h("div", { class: "mql-g-pager" }, [prev, count, next]),
  ]);
  el.replaceChildren(root);

  /** The cards picked to compare, by key: kept across pages and filters. @type {Map<string, Card>} */
  const selected = new Map();
  /** @type {string | null} */
  let confirming = null;

  // ---- cards ----
  function cards() {
    return /** @type {Card[]} */ (model.get("entries") || []);
  }

  /** @param {Card} card */
  function renderCard(card) {
    const picture = h("div", { class: "mql-g-picture" });
    picture.style.aspectRatio = cssAspect(card.options?.["aspect_ratio"]);
    const poster = posters.get(card.key);
    if (poster) picture.append(h("img", { class: "mql-g-poster", src: poster, alt: "" }));
    else picture.append(h("span", { class: "mql-g-placeholder", text: card.has_video ? "▶" : LABELS[card.status] || card.status }));
    const play = /** @type {HTMLButtonElement} */ (
      h("button", { type: "button", class: "mql-g-play", "data-action": "play", "aria-label": `Play: ${card.prompt}` }, [picture])
    );
    play.disabled = !card.has_video;
    const pick = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", "data-action": "pick" }));
    pick.checked = selected.has(card.key);
    pick.disabled = !card.has_video;
    const actions = [h("label", { class: "mql-g-pick" }, [pick, h("span", { text: "Compare" })])];
    if (model.get("linked")) actions.push(h("button", { type: "button", class: "mql-g-use", "data-action": "use", text: "Use this prompt" }));
    if (confirming === card.key) {
      actions.push(
        h("span", { class: "mql-g-confirm", role: "alert" }, [
          h("span", { text: "Delete video and entry?" }),
          h("button", { type: "button", class: "mql-g-confirm-delete", "data-action": "confirm-delete", text: "Delete" }),
          h("button", { type: "button", class: "mql-g-keep", "data-action": "keep", text: "Keep" }),
        ]),
      );
    } else {
      actions.push(h("button", { type: "button", class: "mql-g-delete", "data-action": "delete", text: "Delete" }));
    }
    const meta = [card.created_at ? formatDate(card.created_at) : "", formatSize(card.size)].filter(Boolean).join(" · ");
    const item = h("li", { class: "mql-g-card", "data-key": card.key, "data-status": card.status }, [
      play,
      h("p", { class: "mql-g-prompt", text: card.prompt || card.id || "(no prompt)", title: card.prompt }),
      h("p", { class: "mql-g-options", text: describeOptions(card) }),
      h("p", { class: "mql-g-meta" }, [
        h("span", { class: "mql-g-status", text: LABELS[card.status] || card.status }),
        h("span", { class: "mql-g-date", text: meta }),
      ]),
      h("div", { class: "mql-g-actions" }, actions),
    ]);
    if (card.error) item.append(h("p", { class: "mql-g-card-error", text: card.error }));
    if (selected.has(card.key)) item.classList.add("mql-g-selected");
    return item;
  }

  function renderCards() {
    const list = cards();
    const present = new Set(list.map((c) => c.key));
    if (confirming && !present.has(confirming)) confirming = null;
    grid.replaceChildren(...list.map(renderCard));
    const offset = Number(model.get("offset")) || 0;
    const total = Number(model.get("total")) || 0;
    count.textContent = total ? `${offset + 1}–${offset + list.length} of ${total}` : model.get("query") ? "No match" : "The library is empty";
    prev.disabled = offset <= 0;
    next.disabled = offset + list.length >= total;
    root.dataset.total = String(total);
    if (filter.value !== model.get("query") && document.activeElement !== filter) filter.value = model.get("query") || "";
    renderSelection();
    const missing = list.filter((c) => c.has_poster && !posters.has(c.key) && !askedPosters.has(c.key)).map((c) => c.key);
    for (const key of missing) askedPosters.add(key);
    if (missing.length) send({ kind: "posters", keys: missing });
  }

  function renderSelection() {
    compare.textContent = selected.size ? `Compare (${selected.size})` : "Compare";
    compare.disabled = selected.size < 2;
    clear.hidden = selected.size === 0;
    root.dataset.selected = String(selected.size);
  }

  function renderError() {
    error.textContent = model.get("error") || "";
    error.hidden = !error.textContent;
  }

  /** @param {string} key */
  function cardOf(key) {
    return cards().find((c) => c.key === key) || null;
  }

  // ---- the stage: one video, or several compared in sync ----
  /** @type {HTMLVideoElement[]} */
  let staged = [];
  let stagedKeys = /** @type {string[]} */ ([]);
  /** @type {(() => void)[]} */
  let stageCleanups = [];
  let stageRun = 0; // a newer stage drops the videos an older one was still waiting for

  function shownKeys() {
    return stagedKeys;
  }

  function closeStage() {
    stageRun++;
    for (const fn of stageCleanups.splice(0)) fn();
    for (const video of staged) {
      video.pause();
      video.removeAttribute("src");
      video.load();
    }
    staged = [];
    stagedKeys = [];
    stage.replaceChildren();
    stage.hidden = true;
    root.dataset.stage = "";
  }
  cleanups.push(closeStage);

  /** @param {EventTarget} target @param {string} type @param {(e: any) => void} fn */
  function listenStage(target, type, fn) {
    target.addEventListener(type, fn);
    stageCleanups.push(() => target.removeEventListener(type, fn));
  }

  /** @param {string[]} keys one to play it, two or more to compare them */
  function openStage(keys) {
    closeStage();
    const run = stageRun;
    const list = keys.map((k) => selected.get(k) || cardOf(k)).filter((c) => c !== null);
    if (!list.length) return;
    stagedKeys = list.map((c) => c.key);
    const many = list.length > 1;
    root.dataset.stage = many ? "compare" : "play";
    const close = button("Close", "mql-g-close");
    listenStage(close, "click", closeStage);
    const panes = list.map((card) => {
      const video = videoElement(/** @type {HTMLVideoElement} */ (h("video", { class: "mql-g-video", "data-key": card.key })));
      video.style.aspectRatio = cssAspect(card.options?.["aspect_ratio"]);
      if (!many) video.controls = true;
      staged.push(video);
      return h("figure", { class: "mql-g-pane" }, [
        video,
        h("figcaption", {}, [h("span", { class: "mql-g-prompt", text: card.prompt }), h("span", { class: "mql-g-options", text: describeOptions(card) })]),
      ]);
    });
    const videosRow = h("div", { class: `mql-g-videos${many ? " mql-g-many" : ""}` }, panes);
    videosRow.style.setProperty("--mql-g-columns", String(Math.min(list.length, 3)));
    const head = h("div", { class: "mql-g-stage-head" }, [
      h("strong", { text: many ? `Comparing ${list.length} videos` : "Playing" }),
      close,
    ]);
    stage.replaceChildren(head, videosRow);
    if (many) stage.append(syncedControls(staged));
    stage.hidden = false;
    list.forEach((card, i) => {
      videoUrl(card.key).then((url) => {
        const video = staged[i];
        if (run !== stageRun || !video) return;
        video.src = url;
        if (!many) video.play().catch(() => {});
      });
    });
  }

  /**
   * One play/pause button and one timeline for every video: the range input drives every
   * currentTime, play and pause act on all, and the followers are nudged (playbackRate) or,
   * when far off, moved to the leader's time.
   * @param {HTMLVideoElement[]} list
   */
  function syncedControls(list) {
    const leader = /** @type {HTMLVideoElement} */ (list[0]);
    const toggle = button("Play", "mql-g-toggle");
    const timeline = /** @type {HTMLInputElement} */ (
      h("input", { type: "range", class: "mql-g-timeline", min: "0", max: "0", step: "0.01", value: "0", "aria-label": "Timeline" })
    );
    const clock = h("span", { class: "mql-g-clock", text: "0:00.0" });
    let dragging = false;
    let frame = 0;

    const longest = () => Math.max(0, ...list.map((v) => (Number.isFinite(v.duration) ? v.duration : 0)));
    const showTime = () => {
      clock.textContent = `${formatTime(leader.currentTime)} / ${formatTime(longest())}`;
      if (!dragging) timeline.value = String(leader.currentTime);
    };
    /** @param {number} time */
    const seekAll = (time) => {
      for (const v of list) v.currentTime = Math.min(time, Number.isFinite(v.duration) ? v.duration : time);
      showTime();
    };
    const follow = () => {
      for (const v of list.slice(1)) {
        if (v.ended || v.paused) continue;
        const drift = leader.currentTime - v.currentTime;
        if (Math.abs(drift) > 0.25) v.currentTime = leader.currentTime;
        else v.playbackRate = 1 + Math.max(-0.5, Math.min(0.5, drift * 2));
      }
      showTime();
      frame = leader.paused ? 0 : requestAnimationFrame(follow);
    };
    const playAll = async () => {
      if (leader.ended) seekAll(0);
      seekAll(leader.currentTime); // one start time for all
      await Promise.all(list.map((v) => v.play().catch(() => {})));
      root.dataset.playing = "true";
      toggle.textContent = "Pause";
      if (!frame) frame = requestAnimationFrame(follow);
    };
    const pauseAll = () => {
      for (const v of list) {
        v.pause();
        v.playbackRate = 1;
      }
      seekAll(leader.currentTime);
      root.dataset.playing = "false";
      toggle.textContent = "Play";
    };
    listenStage(toggle, "click", () => (leader.paused ? playAll() : pauseAll()));
    listenStage(timeline, "input", () => {
      dragging = true;
      seekAll(Number(timeline.value));
    });
    listenStage(timeline, "change", () => {
      dragging = false;
      seekAll(Number(timeline.value));
    });
    for (const v of list) {
      listenStage(v, "loadedmetadata", () => {
        timeline.max = String(longest());
        showTime();
      });
      listenStage(v, "click", () => (leader.paused ? playAll() : pauseAll()));
    }
    listenStage(leader, "ended", pauseAll);
    stageCleanups.push(() => cancelAnimationFrame(frame));
    root.dataset.playing = "false";
    return h("div", { class: "mql-g-controls" }, [toggle, timeline, clock]);
  }

  // ---- actions ----
  /** @param {number} offset */
  const askPage = (offset) => send({ kind: "page", query: filter.value, offset: Math.max(0, offset) });
  let filterTimer = 0;
  listen(filter, "input", () => {
    window.clearTimeout(filterTimer);
    filterTimer = window.setTimeout(() => askPage(0), FILTER_DELAY_MS);
  });
  listen(filter, "keydown", (/** @type {KeyboardEvent} */ e) => e.stopPropagation()); // not Jupyter's shortcuts
  cleanups.push(() => window.clearTimeout(filterTimer));
  listen(refresh, "click", () => askPage(Number(model.get("offset")) || 0));
  listen(prev, "click", () => askPage((Number(model.get("offset")) || 0) - (Number(model.get("page_size")) || 24)));
  listen(next, "click", () => askPage((Number(model.get("offset")) || 0) + (Number(model.get("page_size")) || 24)));
  listen(compare, "click", () => openStage([...selected.keys()]));
  listen(clear, "click", () => {
    selected.clear();
    renderCards();
  });
  listen(grid, "click", (/** @type {MouseEvent} */ e) => {
    const target = /** @type {HTMLElement} */ (e.target);
    const control = /** @type {HTMLElement | null} */ (target.closest("[data-action]"));
    const item = /** @type {HTMLElement | null} */ (target.closest("[data-key]"));
    const key = item?.dataset["key"];
    if (!control || !key) return;
    const action = control.dataset["action"];
    if (action === "play") openStage([key]);
    else if (action === "use") send({ kind: "use", key });
    else if (action === "delete") {
      confirming = key;
      renderCards();
    } else if (action === "keep") {
      confirming = null;
      renderCards();
    } else if (action === "confirm-delete") {
      confirming = null;
      selected.delete(key);
      if (stagedKeys.includes(key)) closeStage();
      send({ kind: "delete", key });
    }
  });
  listen(grid, "change", (/** @type {Event} */ e) => {
    const box = /** @type {HTMLInputElement} */ (e.target);
    const key = /** @type {HTMLElement | null} */ (box.closest("[data-key]"))?.dataset["key"];
    if (box.dataset["action"] !== "pick" || !key) return;
    const card = cardOf(key);
    if (box.checked && card) selected.set(key, card);
    else selected.delete(key);
    box.closest(".mql-g-card")?.classList.toggle("mql-g-selected", box.checked);
    renderSelection();
  });

  // ---- messages from the kernel ----
  /** @type {Map<number, Incoming>} */
  const incoming = new Map();
  cleanups.push(() => incoming.clear());
  onModel("msg:custom", (/** @type {any} */ msg, /** @type {any[]} */ buffers) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.kind === "poster" && buffers?.length) {
      const old = posters.get(msg.key);
      if (old) URL.revokeObjectURL(old);
      posters.set(msg.key, URL.createObjectURL(new Blob([toBytes(buffers[0])], { type: msg.mime || "image/jpeg" })));
      const picture = grid.querySelector(`[data-key="${CSS.escape(String(msg.key))}"] .mql-g-picture`);
      if (picture) picture.replaceChildren(h("img", { class: "mql-g-poster", src: posters.get(msg.key) || "", alt: "" }));
    } else if (msg.kind === "video-begin") {
      incoming.set(msg.transfer, { transfer: msg.transfer, key: msg.generation_id, mime: msg.mime || "video/mp4", size: (msg.sizes || [0])[0] || 0, parts: [] });
    } else if (msg.kind === "video-chunk" && buffers?.length) {
      incoming.get(msg.transfer)?.parts.push(toBytes(buffers[0]));
    } else if (msg.kind === "video-end") {
      const t = incoming.get(msg.transfer);
      incoming.delete(msg.transfer);
      if (!t) return;
      const blob = new Blob(t.parts, { type: t.mime });
      if (blob.size !== t.size) {
        error.textContent = `A video arrived incomplete (${blob.size} of ${t.size} bytes); press Refresh and try again.`;
        error.hidden = false;
        return;
      }
      keepVideo(t.key, URL.createObjectURL(blob));
    }
  });

  onModel("change:entries", renderCards);
  onModel("change:total", renderCards);
  onModel("change:linked", renderCards);
  onModel("change:error", renderError);
  renderCards();
  renderError();
  closeStage();

  return () => {
    for (const fn of cleanups.splice(0)) fn();
  };
}

export default { render };
