"""The text of an exported page: its CSS, its one static script, its CSP, and the data island.

The script and the style are the same bytes for every export, so the Content-Security-Policy
names them by hash (``script-src 'sha256-...'``): no other script runs, and none is ever built
from data. The entries travel as JSON in ``<script type="application/json" id="data">`` with
``<``, ``>`` and ``&`` escaped (``\\u003c``...), so no prompt can close that element; the script
puts every text in with ``textContent``, never as HTML. Plain text building, no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

STYLE = """
:root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 1280px; padding: 16px; }
header { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0; flex: 1; }
#cards { list-style: none; padding: 0; display: grid; gap: 16px;
  grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); }
.card { border: 1px solid #8884; border-radius: 8px; padding: 8px; }
.card video, .compare video { width: 100%; background: #000; border-radius: 4px; }
.prompt { font-weight: 600; white-space: pre-wrap; overflow-wrap: anywhere; }
.meta, .options { color: #888; font-size: 12px; overflow-wrap: anywhere; }
.rating { color: #e6a700; }
.note { font-style: italic; white-space: pre-wrap; }
.inputs img { max-height: 64px; margin-right: 4px; border-radius: 4px; }
.compare { display: grid; gap: 8px; grid-template-columns: repeat(var(--n, 2), 1fr); }
.compare p { margin: 4px 0; }
.controls { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.controls input[type=range] { flex: 1; }
[hidden] { display: none !important; }
"""

SCRIPT = r"""
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("data").textContent);
  const el = (tag, attrs = {}, kids = []) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const kid of kids) if (kid) node.append(kid);
    return node;
  };
  const stars = (n) => "\u2605".repeat(n) + "\u2606".repeat(Math.max(0, 5 - n));
  const when = (s) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const optionsText = (o) => Object.entries(o).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(" · ");
  const video = (e, extra = {}) => el("video", { src: e.videos[0], preload: "metadata", ...(e.posters[0] ? { poster: e.posters[0] } : {}), ...extra });
  const details = (e) => [
    el("p", { class: "prompt", text: e.prompt || "(no prompt)" }),
    el("p", { class: "meta", text: [e.model, e.cost, e.created_at ? when(e.created_at) : ""].filter(Boolean).join(" · ") }),
    el("p", { class: "options", text: optionsText(e.options) }),
    e.rating !== null && e.rating !== undefined ? el("p", { class: "rating", text: stars(e.rating), title: `${e.rating} of 5` }) : null,
    e.note ? el("p", { class: "note", text: e.note }) : null,
  ];
  document.getElementById("title").textContent = data.title;
  const list = document.getElementById("cards");
  const picked = new Set();
  const compareButton = document.getElementById("compare");
  const showPicked = () => {
    compareButton.disabled = picked.size < 2;
    compareButton.textContent = `Compare ${picked.size} side by side`;
  };
  data.entries.forEach((e, i) => {
    const tick = el("input", { type: "checkbox", class: "pick", "aria-label": "Pick to compare" });
    tick.addEventListener("change", () => { if (tick.checked) picked.add(i); else picked.delete(i); showPicked(); });
    const inputs = el("p", { class: "inputs" }, e.images.map((im) => el("img", { src: im.src, alt: `${im.field}: ${im.name}`, title: `${im.field}: ${im.name}` })));
    list.append(el("li", { class: "card", "data-key": e.key }, [
      video(e, { controls: "" }), ...details(e), e.images.length ? inputs : null,
      el("label", {}, [tick, el("span", { text: " Compare" })]),
    ]));
  });
  showPicked();
  const section = document.getElementById("comparing");
  let stop = () => {};
  const closeCompare = () => { stop(); section.replaceChildren(); section.hidden = true; list.hidden = false; };
  const openCompare = () => {
    const chosen = [...picked].sort((a, b) => a - b).map((i) => data.entries[i]);
    const videos = chosen.map((e) => video(e, { muted: "", playsinline: "" }));
    videos.forEach((v) => { v.muted = true; });
    const leader = videos[0];
    const toggle = el("button", { type: "button", class: "toggle", text: "Play" });
    const timeline = el("input", { type: "range", class: "timeline", min: "0", max: "0", step: "0.01", value: "0", "aria-label": "Timeline" });
    const clock = el("span", { class: "clock", text: "0.0 s" });
    const close = el("button", { type: "button", class: "close", text: "Back to all" });
    let frame = 0;
    const longest = () => Math.max(0, ...videos.map((v) => (Number.isFinite(v.duration) ? v.duration : 0)));
    const show = () => { clock.textContent = `${leader.currentTime.toFixed(1)} / ${longest().toFixed(1)} s`; timeline.value = String(leader.currentTime); };
    const seekAll = (t) => { for (const v of videos) v.currentTime = Math.min(t, Number.isFinite(v.duration) ? v.duration : t); show(); };
    const follow = () => {
      for (const v of videos.slice(1)) {
        if (v.ended || v.paused) continue;
        const drift = leader.currentTime - v.currentTime;
        if (Math.abs(drift) > 0.25) v.currentTime = leader.currentTime;
        else v.playbackRate = 1 + Math.max(-0.5, Math.min(0.5, drift * 2));
      }
      show();
      frame = leader.paused ? 0 : requestAnimationFrame(follow);
    };
    const playAll = async () => {
      seekAll(leader.ended ? 0 : leader.currentTime);
      await Promise.all(videos.map((v) => v.play().catch(() => {})));
      toggle.textContent = "Pause";
      if (!frame) frame = requestAnimationFrame(follow);
    };
    const pauseAll = () => {
      videos.forEach((v) => { v.pause(); v.playbackRate = 1; });
      seekAll(leader.currentTime);
      toggle.textContent = "Play";
    };
    const flip = () => (leader.paused ? playAll() : pauseAll());
    toggle.addEventListener("click", flip);
    timeline.addEventListener("input", () => seekAll(Number(timeline.value)));
    videos.forEach((v) => {
      v.addEventListener("loadedmetadata", () => { timeline.max = String(longest()); show(); });
      v.addEventListener("click", flip);
    });
    leader.addEventListener("ended", pauseAll);
    close.addEventListener("click", closeCompare);
    stop = () => { cancelAnimationFrame(frame); videos.forEach((v) => v.pause()); };
    const grid = el("div", { class: "compare" }, chosen.map((e, i) => el("div", { class: "column" }, [videos[i], ...details(e)])));
    grid.style.setProperty("--n", String(chosen.length));
    section.replaceChildren(el("div", { class: "controls" }, [toggle, timeline, clock, close]), grid);
    section.hidden = false;
    list.hidden = true;
  };
  compareButton.addEventListener("click", openCompare);
})();
"""


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


# Nothing from anywhere but the page's own folder: no network, no other script, no plugin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src {_hash(SCRIPT)}",
        f"style-src {_hash(STYLE)}",
        "img-src 'self'",
        "media-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)

_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def json_island(data: Any) -> str:
    """``data`` as JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` in it (the
    parser can never see ``</script>`` or ``<!--``), the same value to ``JSON.parse``."""
    return json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)


def _escape_attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def page_html(data: dict[str, Any]) -> str:
    """The whole index.html: the CSP, the style, the data island and the static script."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_escape_attribute(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>mql-notebook videos</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1 id="title"></h1><button type="button" id="compare" disabled>Compare</button></header>
<main><ul id="cards"></ul><section id="comparing" hidden></section></main>
<script type="application/json" id="data">{json_island(data)}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
