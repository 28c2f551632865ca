// The badge's clock of mql_notebook.VideoWidget's view: the time a run has taken and the
// countdown to its expected end. Joined in front of widget.js (mql_notebook/widget/frontend.py).

/** @typedef {{ key: string, end: number | null, late: boolean }} Countdown */
const LATER_BY = 3; // s: a new estimate this much later than the countdown says "taking longer"

/** @param {number} seconds */
export function formatElapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The badge's countdown to the expected end (Unix s): never negative, "almost done" once past.
 * @param {number | null | undefined} expectedEnd @param {number} now */
export function formatLeft(expectedEnd, now) {
  if (typeof expectedEnd !== "number") return "";
  const s = Math.ceil(expectedEnd - now);
  if (s <= 0) return "almost done";
  return s < 90 ? `about ${s} s left` : `about ${Math.round(s / 60)} min left`;
}

/** The countdown after a new estimate: within one run (`key`) its end only moves earlier; an
 * estimate more than LATER_BY s later than it makes it "late" (the badge then says so instead
 * of counting up), until an estimate is back at or before the end.
 * @param {Countdown} prev @param {string} key @param {number | null | undefined} estimate @returns {Countdown} */
export function nextCountdown(prev, key, estimate) {
  if (prev.key !== key) return { key, end: typeof estimate === "number" ? estimate : null, late: false };
  if (typeof estimate !== "number") return prev;
  if (prev.end === null || estimate <= prev.end) return { key, end: estimate, late: false };
  return estimate > prev.end + LATER_BY ? { ...prev, late: true } : prev;
}

/** The badge's time left; a stalled job (the kernel says so) "taking longer than usual".
 * @param {Countdown} countdown @param {number} now @param {boolean} [stalled] */
export function countdownText(countdown, now, stalled = false) {
  if (stalled) return "taking longer than usual";
  return countdown.late ? "taking longer than expected" : formatLeft(countdown.end, now);
}
