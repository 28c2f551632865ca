// The view of mql_notebook.VideoWidget: one hand-written ES module, loaded by anywidget.
//
// State comes from the model's traits; the view writes only the inputs (prompt, model,
// aspect_ratio, duration, n) and asks for everything else with small messages:
//   {kind: "generate"} {kind: "cancel"} {kind: "resume"} {kind: "show", index} {kind: "request-videos"}
// Videos arrive as binary chunks (video-begin, video-chunk + one buffer, video-end) and are
// joined into a Blob here. Text from the prompt, the server or an error only ever goes in
// with textContent; render() returns a cleanup that removes listeners, stops the timer and
// revokes every object URL.

/**
 * @typedef {{
 *   get(name: string): any,
 *   set(name: string, value: any): void,
 *   save_changes(): void,
 *   on(event: string, cb: (...args: any[]) => void): void,
 *   off(event: string, cb: (...args: any[]) => void): void,
 *   send(content: object, callbacks?: object, buffers?: ArrayBuffer[]): void,
 * }} Model
 * @typedef {{ transfer: number, key: string, mime: string, aspect: string, generationId: string,
 *   sizes: number[], parts: Uint8Array[][] }} Incoming
 */

const INPUTS = ["prompt", "model", "aspect_ratio", "duration", "n"];
const LABELS = {
  idle: "Ready",
  pending: "Queued",
  processing: "Generating",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

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

/** @param {number} seconds */
function formatElapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
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

/** A binary buffer from the comm (DataView, ArrayBuffer or typed array) as bytes. */
function toBytes(buffer) {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * @param {HTMLSelectElement} select
 * @param {[string, string][]} options value, label
 */
function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
}

/** @param {{ model: Model, el: HTMLElement }} ctx */
function render({ model, el }) {
  /** @type {(() => void)[]} */
  const cleanups = [];
  const listen = (target, type, fn) => {
    target.addEventListener(type, fn);
    cleanups.push(() => target.removeEventListener(type, fn));
  };
  const onModel = (event, fn) => {
    model.on(event, fn);
    cleanups.push(() => model.off(event, fn));
  };
  const send = (content) => {
    try {
      model.send(content);
    } catch (err) {
      // No kernel (a saved notebook opened without one): nothing to ask.
    }
  };

  // ---- the DOM ----
  const prompt = /** @type {HTMLTextAreaElement} */ (
    h("textarea", { class: "mql-prompt", rows: "3", placeholder: "Describe the video to generate…", "aria-label": "Prompt" })
  );
  const selects = {
    model: /** @type {HTMLSelectElement} */ (h("select", { class: "mql-model", "aria-label": "Model" })),
    aspect_ratio: /** @type {HTMLSelectElement} */ (h("select", { class: "mql-aspect", "aria-label": "Aspect ratio" })),
    duration: /** @type {HTMLSelectElement} */ (h("select", { class: "mql-duration", "aria-label": "Duration" })),
    n: /** @type {HTMLSelectElement} */ (h("select", { class: "mql-n", "aria-label": "Number of videos" })),
  };
  const generate = /** @type {HTMLButtonElement} */ (h("button", { class: "mql-generate", type: "button", text: "Generate" }));
  const cancel = /** @type {HTMLButtonElement} */ (h("button", { class: "mql-cancel", type: "button", text: "Cancel" }));
  const badgeLabel = h("span", { class: "mql-badge-label" });
  const badgeProgress = h("span", { class: "mql-badge-progress" });
  const badgeElapsed = h("span", { class: "mql-badge-elapsed" });
  const badge = h("span", { class: "mql-badge", role: "status", "aria-live": "polite" }, [
    h("span", { class: "mql-badge-dot", "aria-hidden": "true" }), badgeLabel, badgeProgress, badgeElapsed,
  ]);
  const bar = h("div", { class: "mql-progress-fill" });
  const progress = h("div", { class: "mql-progress", "aria-hidden": "true" }, [bar]);
  const error = h("div", { class: "mql-error", role: "alert" });
  const noteText = h("span", { class: "mql-note-text" });
  const resume = /** @type {HTMLButtonElement} */ (h("button", { class: "mql-resume", type: "button", text: "Resume polling" }));
  const note = h("div", { class: "mql-note" }, [noteText, resume]);
  const gallery = h("div", { class: "mql-gallery" });
  const idText = h("code", { class: "mql-id" });
  const historyList = h("ol", { class: "mql-history-list" });
  const history = h("div", { class: "mql-history" }, [h("span", { class: "mql-history-title", text: "History" }), historyList]);

  const root = h("div", { class: "mql-video-widget", "data-status": "idle" }, [
    prompt,
    h("div", { class: "mql-controls" }, [
      h("label", {}, [h("span", { text: "Model" }), selects.model]),
      h("label", {}, [h("span", { text: "Aspect" }), selects.aspect_ratio]),
      h("label", {}, [h("span", { text: "Length" }), selects.duration]),
      h("label", {}, [h("span", { text: "Videos" }), selects.n]),
      h("div", { class: "mql-actions" }, [generate, cancel]),
      badge,
    ]),
    progress,
    error,
    note,
    gallery,
    idText,
    history,
  ]);
  el.replaceChildren(root);

  // ---- inputs, two-way ----
  function renderChoices() {
    const c = model.get("choices") || {};
    const models = [...(c.models || [])];
    if (!models.includes(model.get("model"))) models.push(model.get("model"));
    fillSelect(selects.model, models.map((m) => [m, m]));
    fillSelect(selects.aspect_ratio, (c.aspect_ratios || []).map((a) => [a, a]));
    fillSelect(selects.duration, (c.durations || []).map((d) => [String(d), `${d} s`]));
    const max = c.max_variants || 1;
    fillSelect(selects.n, Array.from({ length: max }, (_, i) => [String(i + 1), String(i + 1)]));
    if (c.max_prompt_chars) prompt.maxLength = c.max_prompt_chars;
    renderInputs();
  }
  function renderInputs() {
    if (prompt.value !== model.get("prompt")) prompt.value = model.get("prompt");
    for (const [name, select] of Object.entries(selects)) select.value = String(model.get(name));
    renderButtons();
  }
  /** @param {string} name @param {any} value */
  function setInput(name, value) {
    model.set(name, value);
    model.save_changes();
  }
  listen(prompt, "input", () => {
    setInput("prompt", prompt.value);
    renderButtons();
  });
  listen(prompt, "keydown", (/** @type {KeyboardEvent} */ e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (!generate.disabled) generate.click();
    }
    e.stopPropagation(); // keep Jupyter's command-mode shortcuts out of the text box
  });
  for (const [name, select] of Object.entries(selects)) {
    const numeric = name === "duration" || name === "n";
    listen(select, "change", () => setInput(name, numeric ? Number(select.value) : select.value));
  }

  // ---- actions ----
  listen(generate, "click", () => {
    setInput("prompt", prompt.value); // the latest text is in the state before the request
    send({ kind: "generate" });
  });
  listen(cancel, "click", () => send({ kind: "cancel" }));
  listen(resume, "click", () => send({ kind: "resume" }));
  listen(historyList, "click", (/** @type {MouseEvent} */ e) => {
    const button = /** @type {HTMLElement} */ (e.target).closest?.("button[data-index]");
    if (button && !(/** @type {HTMLButtonElement} */ (button).disabled)) {
      send({ kind: "show", index: Number(button.getAttribute("data-index")) });
    }
  });

  // ---- state ----
  function renderButtons() {
    const running = !!model.get("running");
    generate.disabled = running || !prompt.value.trim();
    generate.title = prompt.value.trim() ? "" : "Type a prompt first";
    cancel.disabled = !running;
    cancel.hidden = !running;
  }
  function renderBadge() {
    const status = model.get("status") || "idle";
    const running = !!model.get("running");
    const pct = model.get("progress");
    badgeLabel.textContent = LABELS[status] || status;
    badgeProgress.textContent = running && typeof pct === "number" ? `${Math.round(pct)}%` : "";
    const start = model.get("started_at");
    const end = model.get("finished_at");
    badgeElapsed.textContent = typeof start === "number" ? formatElapsed((end ?? Date.now() / 1000) - start) : "";
    bar.style.width = typeof pct === "number" ? `${pct}%` : "";
    progress.classList.toggle("mql-indeterminate", running && typeof pct !== "number");
  }
  let timer = 0;
  function renderStatus() {
    const status = model.get("status") || "idle";
    const running = !!model.get("running");
    root.dataset.status = status;
    root.dataset.running = String(running);
    const pct = model.get("progress");
    root.dataset.progress = typeof pct === "number" ? String(pct) : "";
    root.dataset.generationId = model.get("generation_id") || "";
    progress.hidden = !running;
    error.textContent = model.get("error") || "";
    error.hidden = !error.textContent;
    noteText.textContent = model.get("note") || "";
    resume.hidden = !(model.get("resumable") && !running);
    note.hidden = !noteText.textContent && resume.hidden;
    const gid = model.get("generation_id");
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

  function renderHistory() {
    const runs = model.get("runs") || [];
    const shown = model.get("shown_run");
    const running = !!model.get("running");
    history.hidden = runs.length === 0;
    historyList.replaceChildren(
      ...runs.map((run, i) => {
        const options = `${run.model} · ${run.aspect_ratio} · ${run.duration} s${run.n > 1 ? ` · ×${run.n}` : ""}`;
        const button = /** @type {HTMLButtonElement} */ (
          h("button", { type: "button", class: "mql-history-entry", "data-index": String(i), "data-status": run.status,
            title: `${run.prompt}\n${options}\n${LABELS[run.status] || run.status}${run.error ? `: ${run.error}` : ""}` }, [
            h("span", { class: "mql-history-dot", "aria-hidden": "true" }),
            h("span", { class: "mql-history-prompt", text: run.prompt || run.generation_id || "(resumed)" }),
            h("span", { class: "mql-history-options", text: options }),
            h("span", { class: "mql-history-status", text: LABELS[run.status] || run.status }),
          ])
        );
        button.disabled = running;
        if (i === shown) button.setAttribute("aria-current", "true");
        return h("li", {}, [button]);
      }),
    );
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

  /** @param {Blob[]} blobs @param {Incoming} t */
  function showVideos(blobs, t) {
    revokeAll();
    urls = blobs.map((b) => URL.createObjectURL(b));
    root.dataset.variants = String(blobs.length);
    gallery.classList.toggle("mql-multi", blobs.length > 1);
    gallery.replaceChildren(
      ...urls.map((url, i) => {
        const video = /** @type {HTMLVideoElement} */ (h("video", { class: "mql-video", controls: "", preload: "metadata", playsinline: "" }));
        video.style.aspectRatio = cssAspect(t.aspect);
        video.dataset.aspect = t.aspect;
        video.src = url;
        const name = `${t.generationId || "video"}${blobs.length > 1 ? `-${i + 1}` : ""}.mp4`;
        const link = h("a", { class: "mql-download", href: url, download: name, text: `Download${blobs.length > 1 ? ` #${i + 1}` : ""} (${formatSize(blobs[i].size)})` });
        return h("figure", { class: "mql-variant", "data-aspect": t.aspect }, [video, h("figcaption", {}, [link])]);
      }),
    );
  }

  onModel("msg:custom", (/** @type {any} */ msg, /** @type {any[]} */ buffers) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.kind === "video-begin") {
      incoming = {
        transfer: msg.transfer,
        key: `${msg.generation_id}:${(msg.sizes || []).join(",")}`,
        mime: msg.mime || "video/mp4",
        aspect: msg.aspect_ratio || "16:9",
        generationId: msg.generation_id || "",
        sizes: msg.sizes || [],
        parts: (msg.sizes || []).map(() => []),
      };
    } else if (msg.kind === "video-chunk") {
      if (!incoming || msg.transfer !== incoming.transfer || !buffers?.length) return;
      incoming.parts[msg.variant]?.push(toBytes(buffers[0]));
    } else if (msg.kind === "video-end") {
      const t = incoming;
      incoming = null;
      if (!t || msg.transfer !== t.transfer) return;
      if (t.key === shownKey) return; // the same videos again (another view asked): keep playing
      const blobs = t.parts.map((parts) => new Blob(parts, { type: t.mime }));
      const broken = blobs.findIndex((b, i) => b.size !== t.sizes[i]);
      if (broken >= 0) {
        error.textContent = `Video ${broken + 1} arrived incomplete (${blobs[broken].size} of ${t.sizes[broken]} bytes); re-run the cell to fetch it again.`;
        error.hidden = false;
        return;
      }
      shownKey = t.key;
      showVideos(blobs, t);
    }
  });

  onModel("change:choices", renderChoices);
  for (const name of INPUTS) onModel(`change:${name}`, renderInputs);
  for (const name of ["status", "running", "progress", "error", "note", "generation_id", "started_at", "finished_at", "resumable", "runs", "shown_run"]) {
    onModel(`change:${name}`, renderStatus);
  }
  renderChoices();
  renderStatus();
  send({ kind: "request-videos" }); // re-displayed or reloaded: ask for what the kernel holds

  return () => {
    for (const fn of cleanups.splice(0)) fn();
    incoming = null;
  };
}

export default { render };
