// The view of mql_notebook.VideoWidget: a hand-written ES module (no bundler). Its one import,
// the helpers of shared.js, is joined in front of it when the class is built (widget/frontend.py),
// so anywidget loads one module; the JSDoc imports are types only. The option controls are
// built from choices.fields (the request's declaration, request/forms.py): no code per option.
//
// The traits it reads and writes and the messages both ways are declared in protocol.d.ts,
// the one description of the Python<->JS protocol; `npm --prefix js run typecheck`
// (tsc --checkJs) checks this file against it. The view writes only the input traits and
// asks for everything else with small messages; videos arrive as binary chunks and are
// joined into Blobs here. Text from the prompt, the server or an error only ever goes in
// with textContent; render() returns a cleanup that removes listeners, stops the timer and
// the observer, and revokes every object URL.

/** @import { Render } from "@anywidget/types" */
/** @import { Choices, GenerateInputs, KernelMessage, VideoBegin, ViewMessage, WidgetTraits } from "./protocol" */
/** @import { OptionName } from "./request" */
/** @typedef {{ begin: VideoBegin, key: string, parts: Uint8Array<ArrayBuffer>[][] }} Incoming chunks per video */
/** @import { Control } from "./controls.js" */
/** @import { Countdown } from "./badge.js" */
/** @import { ImageControl } from "./images.js" */
import { countdownText, formatElapsed, nextCountdown } from "./badge.js";
import { buildControl, fillControl, readControl } from "./controls.js";
import { buildImageControl } from "./images.js";
import { historyItem, rateClick } from "./history.js";
import { bindMoreFields, buildMoreFields, showModelFields } from "./more_fields.js";
import { cssAspect, fillOptions, formatSize, h, label, listenInto, onModelInto, toBytes, viewTools } from "./shared.js";

/** @type {(keyof WidgetTraits)[]} */
const OUTPUTS = ["status", "running", "progress", "error", "note", "generation_id", "started_at",
  "finished_at", "resumable", "runs", "shown_run", "more_history", "reconnecting", "waiting_for_slot", "expected_end", "stalled", "estimate", "spending"];
let views = 0; // numbers the ids (a datalist's) that must be unique in the page

/** @type {Render<WidgetTraits>} */
function render({ model, el }) {
  const tools = viewTools(model);
  const { cleanups, listen } = tools;
  /** @type {(event: `change:${keyof WidgetTraits}` | "msg:custom", fn: (...args: any[]) => void) => void} */
  const onModel = tools.onModel;
  /** @type {(content: ViewMessage) => void} */
  const send = tools.send;
  /** @template {keyof WidgetTraits} K @param {K} name @returns {WidgetTraits[K] | undefined} */
  const get = (name) => model.get(name); // undefined for a trait an older kernel lacks

  // ---- the DOM ----
  const uid = `mql-view-${++views}-${Math.random().toString(36).slice(2, 8)}`;
  const prompt = h("textarea", { class: "mql-prompt", rows: "3", placeholder: "Describe the video to generate…", "aria-label": "Prompt" });
  // The model is free text (gateways add and retire models); the datalist only suggests.
  const modelBox = h("input", { class: "mql-model", type: "text", list: `${uid}-models`, "aria-label": "Model",
    autocomplete: "off", spellcheck: "false", placeholder: "model id" });
  const modelList = h("datalist", { id: `${uid}-models` });
  // One control per option of the request, built from choices.fields (see buildControl).
  const options = h("div", { class: "mql-options" });
  const generate = h("button", { class: "mql-generate", type: "button", text: "Generate" });
  const estimate = h("span", { class: "mql-estimate" }); // what Generate would cost
  const spending = h("span", { class: "mql-spending" }); // today's spending and budget
  const images = h("div", { class: "mql-images" }); // one control per image field
  const fit = h("select", { class: "mql-fit", "aria-label": "Fit", title: "How an image of another shape than the video is sent" });
  fillOptions(fit, [["", "as it is"], ["crop", "crop to the video"], ["pad", "pad with black"]]);
  const fitLabel = h("label", { class: "mql-fit-label" }, [h("span", { text: "Fit" }), fit]);
  const more = buildMoreFields();
  const cancel = h("button", { class: "mql-cancel", type: "button", text: "Cancel" });
  const badgeLabel = h("span", { class: "mql-badge-label" });
  const badgeReason = h("span", { class: "mql-badge-reason" });
  const badgeProgress = h("span", { class: "mql-badge-progress" });
  const badgeElapsed = h("span", { class: "mql-badge-elapsed" });
  const badgeLeft = h("span", { class: "mql-badge-left" }); // counts down between messages
  const badgeCost = h("span", { class: "mql-badge-cost" }); // what the shown run cost
  const badge = h("span", { class: "mql-badge", role: "status", "aria-live": "polite" }, [
    h("span", { class: "mql-badge-dot", "aria-hidden": "true" }), badgeLabel, badgeReason, badgeProgress, badgeElapsed, badgeLeft, badgeCost,
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
  const older = h("button", { class: "mql-history-more", type: "button", text: "Show older runs" });
  const history = h("div", { class: "mql-history" }, [
    h("div", { class: "mql-history-head" }, [h("span", { class: "mql-history-title", text: "History" }), older]),
    historyList,
  ]);

  const root = h("div", { class: "mql-video-widget", "data-status": "idle" }, [
    prompt,
    h("div", { class: "mql-controls" }, [
      h("label", { class: "mql-model-label" }, [h("span", { text: "Model" }), modelBox, modelList]),
      options,
      h("div", { class: "mql-actions" }, [generate, cancel]),
      badge,
    ]),
    h("div", { class: "mql-money" }, [estimate, spending]),
    h("div", { class: "mql-image-row-all" }, [images, fitLabel]),
    more.wrap,
    progress, error, note, gallery, idText, history,
  ]);
  el.replaceChildren(root);

  // ---- inputs, two-way ----
  /** @type {ImageControl[]} */
  let imageControls = [];
  /** @param {ViewMessage} content @param {ArrayBuffer} [buffer] */
  function sendImage(content, buffer) {
    try { model.send(content, undefined, buffer ? [buffer] : undefined); } catch { /* no kernel */ }
  }
  function renderImages() {
    const held = get("images") ?? {};
    for (const control of imageControls) control.render(held[control.field]);
    fitLabel.hidden = Object.keys(held).length === 0;
  }
  const { render: renderFields, commit: commitFields } = bindMoreFields(more, listen, () => get("fields") ?? {},
    (fields) => setInput("fields", fields));
  listen(fit, "change", () => setInput("fit", fit.value));
  /** @type {Control[]} */
  let controls = [];
  let builtFor = ""; // the fields the controls were built from (JSON): rebuilt only when they change
  /** @type {(() => void)[]} */
  let controlCleanups = [];
  cleanups.push(() => controlCleanups.forEach((fn) => fn()));

  function renderChoices() {
    /** @type {Partial<Choices>} */
    const c = get("choices") ?? {};
    fillOptions(modelList, (c.models ?? []).map((m) => [m, m]));
    if (c.max_prompt_chars) prompt.maxLength = c.max_prompt_chars;
    if (!imageControls.length && (c.images ?? []).length) {
      imageControls = (c.images ?? []).map((spec) => buildImageControl(spec, listen, sendImage, renderButtons));
      images.replaceChildren(...imageControls.map((control) => control.wrap));
      renderImages();
    }
    const fields = c.fields ?? [];
    if (JSON.stringify(fields) !== builtFor) {
      builtFor = JSON.stringify(fields);
      controlCleanups.forEach((fn) => fn());
      controlCleanups = [];
      const listenControl = listenInto(controlCleanups);
      const onTrait = onModelInto(model, controlCleanups);
      controls = fields.map((field) => buildControl(field, uid));
      for (const control of controls) {
        onTrait(`change:${control.field.name}`, renderInputs);
        listenControl(control.box, "change", () => commit(control));
        listenControl(control.box, "keydown", (/** @type {KeyboardEvent} */ e) => e.stopPropagation());
      }
      options.replaceChildren(...controls.map((control) => control.wrap));
    }
    renderInputs();
  }
  function renderInputs() {
    const text = get("prompt") ?? "";
    if (prompt.value !== text) prompt.value = text;
    const id = get("model") ?? "";
    if (modelBox.value !== id) modelBox.value = id; // unequal only when the kernel changed it
    if (fit.value !== (get("fit") ?? "")) fit.value = get("fit") ?? "";
    renderFields();
    for (const control of controls) {
      const value = get(/** @type {OptionName} */ (control.field.name));
      fillControl(control, id, value);
      const shown = value === null || value === undefined ? "" : String(value);
      if (control.box.value !== shown) control.box.value = shown;
    }
    renderButtons();
  }
  /** @template {keyof WidgetTraits} K @param {K} name @param {WidgetTraits[K]} value */
  function setInput(name, value) {
    model.set(name, value);
    model.save_changes();
  }
  /** The control's value to its trait, or the kernel's value back into a box it does not fit.
   * @param {Control} control */
  function commit(control) {
    const name = /** @type {OptionName} */ (control.field.name);
    const value = readControl(control);
    if (value === undefined) renderInputs();
    else setInput(name, /** @type {never} */ (value));
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
  listen(modelBox, "input", () => setInput("model", modelBox.value));
  listen(modelBox, "change", () => setInput("model", (modelBox.value = modelBox.value.trim()))); // pasted spaces
  listen(modelBox, "keydown", (/** @type {KeyboardEvent} */ e) => e.stopPropagation());

  // ---- actions ----
  listen(generate, "click", () => {
    setInput("prompt", prompt.value); // the latest text is in the state before the request
    setInput("model", modelBox.value.trim());
    controls.forEach(commit);
    if (!commitFields()) return; // a line that is not name = value: said under the box
    // The inputs go with the message too: a host may deliver the updates above and this
    // message by separate requests (marimo posts each), so the message can arrive first.
    /** @type {(keyof GenerateInputs)[]} */
    const names = ["prompt", "model", "fit", "fields", ...controls.map((control) => control.field.name)];
    send({ kind: "generate", inputs: Object.fromEntries(names.map((name) => [name, get(name)])) });
  });
  listen(cancel, "click", () => send({ kind: "cancel" }));
  listen(resume, "click", () => send({ kind: "resume" }));
  listen(older, "click", () => send({ kind: "more-history" })); // the library's older runs
  listen(historyList, "click", (/** @type {MouseEvent} */ e) => {
    if (rateClick(e, get("runs") || [], send)) return;
    const button = e.target instanceof Element ? e.target.closest("button[data-index]") : null;
    if (button instanceof HTMLButtonElement && !button.disabled) send({ kind: "show", index: Number(button.dataset.index) });
  });

  // ---- state ----
  function renderButtons() {
    const running = !!get("running");
    const uploading = imageControls.some((control) => control.uploading());
    generate.disabled = running || uploading || !prompt.value.trim();
    generate.title = !prompt.value.trim() ? "Type a prompt first" : uploading ? "Waiting for the image to upload" : "";
    cancel.disabled = !running;
    cancel.hidden = !running;
  }
  /** @type {Countdown} */
  let countdown = { key: "", end: null, late: false };
  function renderBadge() {
    const running = !!get("running");
    const pct = get("progress");
    const reconnecting = get("reconnecting") || ""; // the last error while a wait rides out an outage
    const waiting = get("waiting_for_slot") || ""; // the gateway is full: the create goes again
    badgeLabel.textContent = reconnecting ? "Reconnecting…" : waiting ? "Waiting for a free slot…" : label(get("status") || "idle");
    badgeReason.textContent = badge.title = root.dataset.waiting = reconnecting || waiting;
    if (reconnecting) root.dataset.reconnecting = "true";
    else delete root.dataset.reconnecting;
    badgeProgress.textContent = running && typeof pct === "number" ? `${Math.round(pct)}%` : "";
    const start = get("started_at");
    const end = get("finished_at");
    const shownRun = (get("runs") ?? [])[get("shown_run") ?? -1];
    badgeCost.textContent = !running && shownRun?.cost ? shownRun.cost : "";
    badgeElapsed.textContent = typeof start === "number" ? formatElapsed((end ?? Date.now() / 1000) - start) : "";
    countdown = nextCountdown(countdown, `${get("generation_id") || ""}@${start ?? ""}`, get("expected_end"));
    badgeLeft.textContent = running && !reconnecting ? countdownText(countdown, Date.now() / 1000, !!get("stalled")) : "";
    root.dataset.late = String(countdown.late && running);
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
    const brief = (/** @type {string} */ t) => t.replace(/; costs are unknown: .*$/, "; cost unknown (no price table)");
    estimate.textContent = get("estimate") ? `Estimate: ${brief(get("estimate") ?? "")}` : "";
    estimate.title = get("estimate") ?? "";
    spending.textContent = brief(get("spending") || "");
    spending.title = get("spending") ?? "";
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
    older.hidden = !get("more_history");
    historyList.replaceChildren(
      ...runs.map((run, i) => historyItem(run, i, i === shown, running)),
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

  /** @type {(() => void)[]} */
  const videoCleanups = []; // the listeners of the shown videos' buttons
  const listenVideo = listenInto(videoCleanups);
  cleanups.push(() => videoCleanups.splice(0).forEach((fn) => fn()));
  function revokeAll() {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = [];
  }
  cleanups.push(revokeAll);

  /** @param {Blob[]} blobs @param {VideoBegin} begin */
  function showVideos(blobs, begin) {
    revokeAll();
    videoCleanups.splice(0).forEach((fn) => fn());
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
        const useFrame = h("button", { type: "button", class: "mql-use-frame", text: "Use this frame",
          title: "The frame shown now becomes the first frame of the next run" });
        listenVideo(useFrame, "click", () => send({ kind: "use-frame", time: video.currentTime, variant: i }));
        return h("figure", { class: "mql-variant", "data-aspect": aspect }, [video, h("figcaption", {}, [link, useFrame])]);
      }),
    );
  }

  /** @param {KernelMessage} msg @param {(ArrayBuffer | ArrayBufferView)[] | undefined} buffers */
  function onKernelMessage(msg, buffers) {
    if (!msg || typeof msg !== "object") return;
    if (msg.kind === "upload-over") {
      imageControls.find((control) => control.field === msg.field)?.over(msg.upload);
    } else if (msg.kind === "video-begin") {
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
  onModel("change:prompt", renderInputs);
  onModel("change:model", renderInputs);
  onModel("change:fields", renderInputs);
  onModel("change:fit", renderInputs);
  onModel("change:images", renderImages);
  const renderModelFields = () => showModelFields(more, get("model_fields"));
  onModel("change:model_fields", renderModelFields);
  renderModelFields();
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
