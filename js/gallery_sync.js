// The gallery's compare (mql_notebook.Gallery): one play/pause and one timeline for several videos
// kept in sync. Joined in front of gallery.js with shared.js (mql_notebook/widget/frontend.py).

/** @import { Listen } from "./shared.js" */
import { h } from "./shared.js";

/** @param {number} t seconds */
const formatTime = (t) => (Number.isFinite(t) ? `${Math.floor(t / 60)}:${(t % 60).toFixed(1).padStart(4, "0")}` : "0:00.0");

/** One play/pause button and one timeline for several videos: the range input drives every
 * currentTime, play and pause act on all; while they play, followers are nudged toward the
 * leader (playbackRate) or, when far off, moved to its time.
 * @param {HTMLVideoElement[]} list @param {Listen} listen @param {(playing: boolean) => void} onPlaying
 * @returns {{ el: HTMLElement, stop: () => void }} */
export function syncedControls(list, listen, onPlaying) {
  const leader = /** @type {HTMLVideoElement} */ (list[0]);
  const toggle = h("button", { type: "button", class: "mql-g-toggle", text: "Play" });
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
    seekAll(leader.ended ? 0 : leader.currentTime); // one start time for all
    await Promise.all(list.map((v) => v.play().catch(() => {})));
    toggle.textContent = "Pause";
    onPlaying(true);
    if (!frame) frame = requestAnimationFrame(follow);
  };
  const pauseAll = () => {
    list.forEach((v) => v.pause());
    list.forEach((v) => (v.playbackRate = 1));
    seekAll(leader.currentTime);
    toggle.textContent = "Play";
    onPlaying(false);
  };
  const flip = () => (leader.paused ? playAll() : pauseAll());
  listen(toggle, "click", flip);
  for (const type of ["input", "change"]) {
    listen(timeline, type, () => {
      dragging = type === "input"; // while dragging, the thumb stays where the pointer is
      seekAll(Number(timeline.value));
    });
  }
  for (const v of list) {
    listen(v, "loadedmetadata", () => {
      timeline.max = String(longest());
      showTime();
    });
    listen(v, "click", flip);
  }
  listen(leader, "ended", pauseAll);
  onPlaying(false);
  return { el: h("div", { class: "mql-g-controls" }, [toggle, timeline, clock]), stop: () => cancelAnimationFrame(frame) };
}
