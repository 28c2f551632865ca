// The view of mql_notebook.VideoWidget: one hand-written ES module, loaded by anywidget as
// text (no bundler, so it imports nothing at run time; the JSDoc imports are types only).
//
// The traits it reads and writes and the messages both ways are declared in protocol.d.ts,
// the one description of the Python<->JS protocol; `npm --prefix js run typecheck`
// (tsc --checkJs) checks this file against it. The view writes only the input traits and
// asks for everything else with small messages; videos arrive as binary chunks and are
// joined into Blobs here. Text from the prompt, the server or an error only ever goes in
// with textContent; render() returns a cleanup that removes listeners, stops the timer and
// the observer, and revokes every object URL.

/** @import { Render } from "@anywidget/types" */
/** @import { Choices, KernelMessage, VideoBegin, ViewMessage, WidgetStatus, WidgetTraits } from "./protocol" */
/** @typedef {{ begin: VideoBegin, key: string, parts: Uint8Array<ArrayBuffer>[][] }} Incoming chunks per video */

/** @type {(keyof WidgetTraits)[]} */
const INPUTS = ["prompt", "model", "aspect_ratio", "duration", "n", "resolution"];
/** @type {(keyof WidgetTraits)[]} */
const OUTPUTS = ["status", "running", "progress", "error", "note", "generation_id", "started_at",
  "finished_at", "resumable", "runs", "shown_run", "more_history", "reconnecting", "expected_end"];
/** @type {Record<WidgetStatus, string>} */
const LABELS = { idle: "Ready", pending: "Queued", processing: "Generating", completed: "Completed",
  failed: "Failed", cancelled: "Cancelled" };
let views = 0; // numbers the ids (a datalist's) that must be unique in the page

/**
 * Build an element; `text` goes in as textContent, everything else as attributes.
 * @template {keyof HTMLElementTagNameMap} T
 * @param {T} tag @param {Record<string, string>} [attrs] @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[T]}
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

/** An <option>, its value and label set as properties (never markup). @param {string} value @param {string} label */
function option(value, label) {
  const el = document.createElement("option");
  el.value = value;
  el.textContent = label;
  return el;
}

/** @param {HTMLSelectElement | HTMLDataListElement} list @param {[string, string][]} options value, label */
function fillOptions(list, options) {
  list.replaceChildren(...options.map(([value, label]) => option(value, label)));
}

/** @param {number} seconds */
function formatElapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The badge's countdown to the expected end (Unix s): never negative, "almost done" once past.
 * @param {number | null | undefined} expectedEnd @param {number} now */
function formatLeft(expectedEnd, now) {
  if (typeof expectedEnd !== "number") return "";
  const s = Math.ceil(expectedEnd - now);
  if (s <= 0) return "almost done";
  return s < 90 ? `about ${s} s left` : `about ${Math.round(s / 60)} min left`;
}

/** @param {number} bytes */
function formatSize(bytes) {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** @param {string} ratio "16:9" -> "16 / 9" for CSS aspect-ratio */
function cssAspect(ratio) {
  const m = /^(\d+):(\d+)$/.exec(ratio || "");
  return m ? `${m[1]} / ${m[2]}` : "16 / 9";
}

/** A binary buffer from the comm (DataView, ArrayBuffer or typed array) as bytes, not copied. */
function toBytes(/** @type {ArrayBuffer | ArrayBufferView} */ buffer) {
  // Comm buffers are never shared memory: a plain ArrayBuffer underneath, as Blob parts require.
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(/** @type {ArrayBuffer} */ (buffer.buffer), buffer.byteOffset, buffer.byteLength);
}

/** @param {WidgetStatus | string} status */
const label = (status) => LABELS[/** @type {WidgetStatus} */ (status)] ?? status;

/** @type {Render<WidgetTraits>} */
function render({ model, el }) {
  /** @type {(() => void)[]} */
  const cleanups = [];
  /**
   * @template {keyof HTMLElementEventMap} E
   * @param {HTMLElement} target @param {E} type @param {(event: HTMLElementEventMap[E]) => void} fn
   */
  const listen = (target, type, fn) => {
    target.addEventListener(type, fn);
    cleanups.push(() => target.removeEventListener(type, fn));
  };
  /** @param {`change:${keyof WidgetTraits}` | "msg:custom"} event @param {(...args: any[]) => void} fn */
  const onModel = (event, fn) => {
    model.on(event, fn);
    cleanups.push(() => model.off(event, fn));
  };
  /** @param {ViewMessage} content */
  const send = (content) => {
    try { model.send(content); } catch { /* no kernel (a saved notebook opened without one) */ }
  };
  /** @template {keyof WidgetTraits} K @param {K} name @returns {WidgetTraits[K] | undefined} */
  const get = (name) => model.get(name); // undefined for a trait an older kernel lacks

  // ---- the DOM ----
  const uid = `mql-view-${++views}-${Math.random().toString(36).slice(2, 8)}`;
  const prompt = h("textarea", { class: "mql-prompt", rows: "3", placeholder: "Describe the video to generate…", "aria-label": "Prompt" });
  // The model is free text (gateways add and retire models); the datalist only suggests.
  const modelBox = h("input", { class: "mql-model", type: "text", list: `${uid}-models`, "aria-label": "Model",
    autocomplete: "off", spellcheck: "false", placeholder: "model id" });
  const modelList = h("datalist", { id: `${uid}-models` });
  // Aspect and length too: another model has values of its own (veo-3: 8 s), so free input
  // that suggests the documented values; the kernel checks, and the gateway decides.
  const aspectBox = h("input", { class: "mql-aspect", type: "text", list: `${uid}-aspects`,
    "aria-label": "Aspect ratio", autocomplete: "off", spellcheck: "false", placeholder: "W:H" });
  const aspectList = h("datalist", { id: `${uid}-aspects` });
  const durationBox = h("input", { class: "mql-duration", type: "number", min: "1", step: "1",
    list: `${uid}-durations`, "aria-label": "Duration in seconds" });
  const durationList = h("datalist", { id: `${uid}-durations` });
  const selects = {
    n: h("select", { class: "mql-n", "aria-label": "Number of videos" }),
    resolution: h("select", { class: "mql-resolution", "aria-label": "Resolution" }),
  };
  const generate = h("button", { class: "mql-generate", type: "button", text: "Generate" });
  const cancel = h("button", { class: "mql-cancel", type: "button", text: "Cancel" });
  const badgeLabel = h("span", { class: "mql-badge-label" });
  const badgeReason = h("span", { class: "mql-badge-reason" });
  const badgeProgress = h("span", { class: "mql-badge-progress" });
  const badgeElapsed = h("span", { class: "mql-badge-elapsed" });
  const badgeLeft = h("span", { class: "mql-badge-left" }); // counts down between messages
  const badge = h("span", { class: "mql-badge", role: "status", "aria-live": "polite" }, [
    h("span", { class: "mql-badge-dot", "aria-hidden": "true" }), badgeLabel, badgeReason, badgeProgress, badgeElapsed, badgeLeft,
  ]);
  const bar = h("div", { class: "mql-progress-fill" });
  const progress = h("div", { class: "mql-progress", "aria-hidden": "true" }, [bar]);
  const error = h("div", { class: "mql-error", role: "alert" });
  const noteText = h("span", { class: "mql-note-text" });
  const resume = h("button", { class: "mql-resume", type: "button", text: "Resume polling" });
  const note = h("div", { class: "mql-note" }, [noteText, resume]);
  const gallery = h("div", { class: "mql-gallery" });
  const idText = h("code", { class: "mql-id" });
  const historyList = h("ol", { class: "mql-history-list" });
  const more = h("button", { class: "mql-history-more", type: "button", text: "Show older runs" });
  const history = h("div", { class: "mql-history" }, [
    h("div", { class: "mql-history-head" }, [h("span", { class: "mql-history-title", text: "History" }), more]),
    historyList,
  ]);
  const resolutionLabel = h("label", {}, [h("span", { text: "Resolution" }), selects.resolution]);

  const root = h("div", { class: "mql-video-widget", "data-status": "idle" }, [
    prompt,
    h("div", { class: "mql-controls" }, [
      h("label", { class: "mql-model-label" }, [h("span", { text: "Model" }), modelBox, modelList]),
      h("label", {}, [h("span", { text: "Aspect" }), aspectBox, aspectList]),
      h("label", {}, [h("span", { text: "Length (s)" }), durationBox, durationList]),
      h("label", {}, [h("span", { text: "Videos" }), selects.n]),
      resolutionLabel,
      h("div", { class: "mql-actions" }, [generate, cancel]),
      badge,
    ]),
    progress, error, note, gallery, idText, history,
  ]);
  el.replaceChildren(root);

  // ---- inputs, two-way ----
  function renderChoices() {
    /** @type {Partial<Choices>} */
    const c = get("choices") ?? {};
    fillOptions(modelList, (c.models ?? []).map((m) => [m, m]));
    fillOptions(aspectList, (c.aspect_ratios ?? []).map((a) => [a, a]));
    fillOptions(durationList, (c.durations ?? []).map((d) => [String(d), `${d} s`]));
    const max = c.max_variants || 1;
    fillOptions(selects.n, Array.from({ length: max }, (_, i) => [String(i + 1), String(i + 1)]));
    const resolutions = c.resolutions ?? [];
    fillOptions(selects.resolution, [["", "auto (server default)"], ...resolutions.map((r) => /** @type {[string, string]} */ ([r, r]))]);
    resolutionLabel.hidden = resolutions.length === 0; // a kernel that offers none: nothing to choose
    if (c.max_prompt_chars) prompt.maxLength = c.max_prompt_chars;
    renderInputs();
  }
  function renderInputs() {
    const text = get("prompt") ?? "";
    if (prompt.value !== text) prompt.value = text;
    const id = get("model") ?? "";
    if (modelBox.value !== id) modelBox.value = id; // unequal only when the kernel changed it
    const ratio = get("aspect_ratio") ?? "";
    if (aspectBox.value !== ratio) aspectBox.value = ratio;
    const seconds = get("duration");
    if (durationBox.valueAsNumber !== seconds) durationBox.value = seconds == null ? "" : String(seconds);
    for (const name of /** @type {const} */ (["n", "resolution"])) {
      selects[name].value = String(get(name) ?? "");
    }
    renderButtons();
  }
  /** @template {keyof WidgetTraits} K @param {K} name @param {WidgetTraits[K]} value */
  function setInput(name, value) {
    model.set(name, value);
    model.save_changes();
  }
  listen(prompt, "input", () => {
    setInput("prompt", prompt.value);
    renderButtons();
  });
  listen(prompt, "keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (!generate.disabled) generate.click();
    }
    e.stopPropagation(); // keep Jupyter's command-mode shortcuts out of the text box
  });
  listen(modelBox, "input", () => setInput("model", modelBox.value));
  listen(modelBox, "change", () => setInput("model", (modelBox.value = modelBox.value.trim()))); // pasted spaces
  listen(modelBox, "keydown", (e) => e.stopPropagation());
  listen(aspectBox, "change", () => setInput("aspect_ratio", (aspectBox.value = aspectBox.value.trim())));
  listen(aspectBox, "keydown", (e) => e.stopPropagation());
  listen(durationBox, "change", commitDuration);
  listen(durationBox, "keydown", (e) => e.stopPropagation());
  /** The typed length if it is whole seconds (the Python trait is an Int); else the kernel's back. */
  function commitDuration() {
    const seconds = durationBox.valueAsNumber;
    if (Number.isInteger(seconds) && seconds > 0) setInput("duration", seconds);
    else durationBox.value = String(get("duration") ?? "");
  }
  listen(selects.resolution, "change", () => setInput("resolution", selects.resolution.value));
  listen(selects.n, "change", () => setInput("n", Number(selects.n.value)));

  // ---- actions ----
  listen(generate, "click", () => {
    setInput("prompt", prompt.value); // the latest text is in the state before the request
    setInput("model", modelBox.value.trim());
    setInput("aspect_ratio", aspectBox.value.trim());
    commitDuration();
    send({ kind: "generate" });
  });
  listen(cancel, "click", () => send({ kind: "cancel" }));
  listen(resume, "click", () => send({ kind: "resume" }));
  listen(more, "click", () => send({ kind: "more-history" })); // the library's older runs
  listen(historyList, "click", (e) => {
    const button = e.target instanceof Element ? e.target.closest("button[data-index]") : null;
    if (button instanceof HTMLButtonElement && !button.disabled) send({ kind: "show", index: Number(button.dataset.index) });
  });

  // ---- state ----
  function renderButtons() {
    const running = !!get("running");
    generate.disabled = running || !prompt.value.trim();
    generate.title = prompt.value.trim() ? "" : "Type a prompt first";
    cancel.disabled = !running;
    cancel.hidden = !running;
  }
  function renderBadge() {
    const running = !!get("running");
    const pct = get("progress");
    const reconnecting = get("reconnecting") || ""; // the last error while a wait rides out an outage
    badgeLabel.textContent = reconnecting ? "Reconnecting…" : label(get("status") || "idle");
    badgeReason.textContent = reconnecting;
    badge.title = reconnecting;
    if (reconnecting) root.dataset.reconnecting = "true";
    else delete root.dataset.reconnecting;
    badgeProgress.textContent = running && typeof pct === "number" ? `${Math.round(pct)}%` : "";
    const start = get("started_at");
    const end = get("finished_at");
    badgeElapsed.textContent = typeof start === "number" ? formatElapsed((end ?? Date.now() / 1000) - start) : "";
    badgeLeft.textContent = running && !reconnecting ? formatLeft(get("expected_end"), Date.now() / 1000) : "";
    bar.style.width = typeof pct === "number" ? `${pct}%` : "";
    progress.classList.toggle("mql-indeterminate", running && typeof pct !== "number");
  }
  let timer = 0;
  function renderStatus() {
    const running = !!get("running");
    root.dataset.status = get("status") || "idle";
    root.dataset.running = String(running);
    const pct = get("progress");
    root.dataset.progress = typeof pct === "number" ? String(pct) : "";
    const gid = get("generation_id") || "";
    root.dataset.generationId = gid;
    progress.hidden = !running;
    error.textContent = get("error") || "";
    error.hidden = !error.textContent;
    noteText.textContent = get("note") || "";
    resume.hidden = !(get("resumable") && !running);
    note.hidden = !noteText.textContent && resume.hidden;
    idText.textContent = gid ? `generation ${gid}` : "";
    idText.hidden = !gid;
    renderBadge();
    renderButtons();
    renderHistory();
    if (running && !timer) timer = window.setInterval(renderBadge, 250);
    if (!running && timer) {
      window.clearInterval(timer);
      timer = 0;
    }
  }
  cleanups.push(() => window.clearInterval(timer));

  // The strip scrolls itself (never the page) to show the shown run when it or the number of runs
  // changes; not on every progress update, so a user scrolling the strip is left alone. Until the
  // strip has a size (a view rendered before it is attached) the observer retries.
  let scrolledFor = "";
  let wantScroll = false;
  function scrollToShown() {
    const item = historyList.children[get("shown_run") ?? -1];
    if (!wantScroll || !item || historyList.clientWidth === 0) return;
    wantScroll = false;
    const strip = historyList.getBoundingClientRect();
    const box = item.getBoundingClientRect();
    if (box.left < strip.left) historyList.scrollLeft -= strip.left - box.left;
    else if (box.right > strip.right) historyList.scrollLeft += box.right - strip.right;
  }
  const resized = new ResizeObserver(scrollToShown);
  resized.observe(historyList);
  cleanups.push(() => resized.disconnect());

  function renderHistory() {
    const runs = get("runs") ?? [];
    const shown = get("shown_run") ?? -1;
    const running = !!get("running");
    history.hidden = runs.length === 0;
    more.hidden = !get("more_history");
    historyList.replaceChildren(
      ...runs.map((run, i) => {
        const options = [run.model, run.aspect_ratio, `${run.duration} s`, run.resolution, run.n > 1 ? `×${run.n}` : ""]
          .filter(Boolean).join(" · ");
        const status = label(run.status);
        const button = h("button", { type: "button", class: "mql-history-entry", "data-index": String(i), "data-status": run.status,
          title: `${run.prompt}\n${options}\n${status}${run.error ? `: ${run.error}` : ""}` }, [
          h("span", { class: "mql-history-dot", "aria-hidden": "true" }),
          h("span", { class: "mql-history-prompt", text: run.prompt || run.generation_id || "(resumed)" }),
          h("span", { class: "mql-history-options", text: options }),
          h("span", { class: "mql-history-status", text: status }),
        ]);
        button.disabled = running;
        if (i === shown) button.setAttribute("aria-current", "true");
        return h("li", {}, [button]);
      }),
    );
    const key = `${shown}/${runs.length}`;
    if (key !== scrolledFor) {
      scrolledFor = key;
      wantScroll = true;
      scrollToShown();
    }
  }

  // ---- videos ----
  /** @type {string[]} */
  let urls = [];
  let shownKey = "";
  /** @type {Incoming | null} */
  let incoming = null;

  function revokeAll() {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = [];
  }
  cleanups.push(revokeAll);

  /** @param {Blob[]} blobs @param {VideoBegin} begin */
  function showVideos(blobs, begin) {
    revokeAll();
    urls = blobs.map((b) => URL.createObjectURL(b));
    const aspect = begin.aspect_ratio || "16:9";
    const many = blobs.length > 1;
    root.dataset.variants = String(blobs.length);
    gallery.classList.toggle("mql-multi", many);
    gallery.replaceChildren(
      ...urls.map((url, i) => {
        const video = h("video", { class: "mql-video", controls: "", preload: "metadata", playsinline: "" });
        video.style.aspectRatio = cssAspect(aspect);
        video.dataset.aspect = aspect;
        video.src = url;
        const name = `${begin.generation_id || "video"}${many ? `-${i + 1}` : ""}.mp4`;
        const size = formatSize(blobs[i]?.size ?? 0);
        const link = h("a", { class: "mql-download", href: url, download: name, text: `Download${many ? ` #${i + 1}` : ""} (${size})` });
        return h("figure", { class: "mql-variant", "data-aspect": aspect }, [video, h("figcaption", {}, [link])]);
      }),
    );
  }

  /** @param {KernelMessage} msg @param {(ArrayBuffer | ArrayBufferView)[] | undefined} buffers */
  function onKernelMessage(msg, buffers) {
    if (!msg || typeof msg !== "object") return;
    if (msg.kind === "video-begin") {
      const sizes = msg.sizes ?? [];
      incoming = { begin: { ...msg, sizes }, key: `${msg.generation_id}:${sizes.join(",")}`, parts: sizes.map(() => []) };
    } else if (msg.kind === "video-chunk") {
      const buffer = buffers?.[0];
      if (!incoming || msg.transfer !== incoming.begin.transfer || !buffer) return;
      incoming.parts[msg.variant]?.push(toBytes(buffer));
    } else if (msg.kind === "video-end") {
      const t = incoming;
      incoming = null;
      if (!t || msg.transfer !== t.begin.transfer) return;
      if (t.key === shownKey) return; // the same videos again (another view asked): keep playing
      const mime = t.begin.mime || "video/mp4";
      const blobs = t.parts.map((parts) => new Blob(parts, { type: mime }));
      const sizes = t.begin.sizes;
      const broken = blobs.findIndex((b, i) => b.size !== sizes[i]);
      if (broken >= 0) {
        error.textContent = `Video ${broken + 1} arrived incomplete (${blobs[broken]?.size} of ${sizes[broken]} bytes); re-run the cell to fetch it again.`;
        error.hidden = false;
        return;
      }
      shownKey = t.key;
      showVideos(blobs, t.begin);
    }
  }

  onModel("msg:custom", onKernelMessage);
  onModel("change:choices", renderChoices);
  for (const name of INPUTS) onModel(`change:${name}`, renderInputs);
  for (const name of OUTPUTS) onModel(`change:${name}`, renderStatus);
  renderChoices();
  renderStatus();
  send({ kind: "request-videos" }); // re-displayed or reloaded: ask for what the kernel holds

  return () => {
    for (const fn of cleanups.splice(0)) fn();
    incoming = null;
  };
}

export default { render };
