// The image controls of mql_notebook.VideoWidget's view: one per image field (choices.images:
// first frame, last frame). A file is picked, dropped or pasted; it goes to the kernel in chunks
// of UPLOAD_CHUNK bytes (a browser -> kernel message over 10 MiB drops the connection), each
// an "image-chunk" message with one binary buffer (mql_notebook/widget/uploads.py). The kernel
// checks the bytes and answers with the field's card in the `images` trait: name, size,
// width x height and a thumbnail (a data URL made by the kernel), or the error that refused
// it. Text only goes in with textContent. Joined in front of widget.js (widget/frontend.py).

/** @import { ImageCard, ImageFieldForm, ViewMessage } from "./protocol" */
/** @import { Listen } from "./shared.js" */
/** @typedef {{ field: string, wrap: HTMLDivElement, render: (card: ImageCard | undefined) => void, uploading: () => boolean, over: (upload: string) => void }} ImageControl */
/** @typedef {(content: ViewMessage, buffer?: ArrayBuffer) => void} SendImage */
import { formatSize, h } from "./shared.js";

export const UPLOAD_CHUNK = 4 * 1024 * 1024;
let uploads = 0;

/** An image field's card as one line: "fox.png · 1280×720 · 41 kB". @param {ImageCard} card */
export function cardText(card) {
  const shape = card.width && card.height ? `${card.width}×${card.height}` : "";
  return [card.name, shape, formatSize(card.size ?? 0)].filter(Boolean).join(" · ");
}

/** Send `file` as the image of `field`, in chunks, as the upload `upload` (the id its card
 * carries back). @param {File} file @param {string} field @param {string} upload @param {SendImage} send */
export async function uploadImage(file, field, upload, send) {
  const total = Math.max(1, Math.ceil(file.size / UPLOAD_CHUNK));
  for (let index = 0; index < total; index++) {
    const buffer = await file.slice(index * UPLOAD_CHUNK, (index + 1) * UPLOAD_CHUNK).arrayBuffer();
    send({ kind: "image-chunk", field, upload, index, total, size: file.size, name: file.name }, buffer);
  }
}

/** The control of one image field; `changed` hears when an upload starts or is answered.
 * @param {ImageFieldForm} spec @param {Listen} listen @param {SendImage} send @param {() => void} changed
 * @returns {ImageControl} */
export function buildImageControl(spec, listen, send, changed) {
  const cls = `mql-image-${spec.name.replace(/_image$/, "").replace(/_/g, "-")}`;
  const file = h("input", { type: "file", accept: "image/*", class: "mql-image-file", "aria-label": `${spec.label}: choose an image` });
  const thumb = h("img", { class: "mql-image-thumb", alt: spec.label });
  const text = h("span", { class: "mql-image-name", text: "Drop, paste or choose an image" });
  const clear = h("button", { type: "button", class: "mql-image-clear", title: `Clear the ${spec.label.toLowerCase()}`, "aria-label": `Clear the ${spec.label.toLowerCase()}`, text: "×" });
  const error = h("div", { class: "mql-image-error", role: "alert" });
  const pick = h("label", { class: "mql-image-pick", title: spec.help }, [thumb, text, file]);
  const wrap = h("div", { class: `mql-image ${cls}`, tabindex: "0", "data-field": spec.name, "data-state": "empty" }, [
    h("span", { class: "mql-image-label", text: spec.label }), h("div", { class: "mql-image-row" }, [pick, clear]), error,
  ]);

  // The upload sent and not yet answered by a card of the kernel's: until then Generate
  // waits, or the run would go without the image (on marimo even a message sent after the
  // last chunk can reach the kernel first).
  let pending = "";
  /** @param {string} upload */
  function setPending(upload) {
    pending = upload;
    if (pending) {
      wrap.dataset.state = "uploading";
      clear.hidden = false; // x stops waiting for it (and the kernel drops the rest)
    }
    changed();
  }
  /** @param {File | null | undefined} chosen */
  function take(chosen) {
    if (!chosen) return;
    const upload = `u${++uploads}-${Date.now().toString(36)}`;
    setPending(upload);
    text.textContent = `Uploading ${chosen.name || "image"} (${formatSize(chosen.size)})…`;
    error.textContent = "";
    uploadImage(chosen, spec.name, upload, send).catch((e) => {
      if (pending === upload) setPending("");
      wrap.dataset.state = "error";
      error.textContent = `Could not read the file: ${e instanceof Error ? e.message : String(e)}`;
      error.hidden = false;
    });
  }
  listen(file, "change", () => {
    take(file.files?.[0]);
    file.value = ""; // choosing the same file again is a new upload
  });
  listen(wrap, "dragover", (/** @type {DragEvent} */ e) => {
    e.preventDefault();
    wrap.dataset.drop = "true";
  });
  listen(wrap, "dragleave", () => delete wrap.dataset.drop);
  listen(wrap, "drop", (/** @type {DragEvent} */ e) => {
    e.preventDefault();
    delete wrap.dataset.drop;
    take(e.dataTransfer?.files?.[0]);
  });
  listen(wrap, "paste", (/** @type {ClipboardEvent} */ e) => {
    const pasted = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
    if (pasted) {
      e.preventDefault();
      take(pasted);
    }
  });
  listen(wrap, "keydown", (/** @type {KeyboardEvent} */ e) => e.stopPropagation());
  listen(clear, "click", () => {
    over(pending); // the kernel's answer may change nothing (a field that held nothing)
    send({ kind: "image-clear", field: spec.name });
  });

  /** @type {ImageCard | undefined} */
  let lastCard;
  /** @param {ImageCard | undefined} card */
  function render(card) {
    lastCard = card;
    if (pending && card?.upload === pending) setPending(""); // the kernel has it, or refused it
    if (pending) return; // the card shown before the upload: keep saying it uploads
    const held = !!card && !card.error;
    wrap.dataset.state = !card ? "empty" : card.error ? "error" : "set";
    text.textContent = held ? cardText(card) : "Drop, paste or choose an image";
    wrap.title = held ? cardText(card) : "";
    error.textContent = card?.error ?? "";
    error.hidden = !error.textContent;
    thumb.hidden = !(held && card.thumbnail);
    if (held && card.thumbnail && thumb.src !== card.thumbnail) thumb.src = card.thumbnail;
    if (!held) thumb.removeAttribute("src");
    clear.hidden = !held;
  }
  /** The kernel took something else for the field: stop waiting for `upload`. @param {string} upload */
  function over(upload) {
    if (pending !== upload) return;
    setPending("");
    render(lastCard);
  }
  render(undefined);
  return { field: spec.name, wrap, render, uploading: () => !!pending, over };
}
