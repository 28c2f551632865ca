// The Python <-> JS protocol of mql_notebook.VideoWidget, in one place: the model's traits
// (mql_notebook/widget/video_widget.py) and every message both ways (view -> kernel below,
// kernel -> view from mql_notebook/widget/transfer.py). widget.js is checked against it by
// `npm --prefix js run typecheck` (tsc --checkJs; see tsconfig.json), and
// tests/widget/test_js_types.py checks that the Python side declares the same names.
// Types only: nothing here runs or ships in the wheel.

import type { AnyModel } from "@anywidget/types";

/** What the shown run is doing; "idle" before the first run. */
export type WidgetStatus = "idle" | "pending" | "processing" | "completed" | "failed" | "cancelled";

/** What the API accepts, offered by the view's controls (VideoWidget.choices). */
export interface Choices {
  /** Known models, suggested by the model box; any other id may be typed. */
  models: string[];
  /** The documented models' aspect ratios, suggested by the aspect box; another model's may be typed. */
  aspect_ratios: string[];
  /** The documented models' lengths in seconds, suggested by the length box (veo-3's 8 may be typed). */
  durations: number[];
  max_variants: number;
  max_prompt_chars: number;
  /** Output resolutions; absent from older kernels (the control then hides). */
  resolutions?: string[];
}

/** One entry of the history strip: Run.to_json() in mql_notebook/widget/run.py. */
export interface RunEntry {
  prompt: string;
  model: string;
  aspect_ratio: string;
  duration: number;
  n: number;
  resolution?: string;
  status: WidgetStatus;
  generation_id: string;
  error: string;
  started_at: number;
  finished_at: number | null;
  variant_count: number;
}

/** The view writes these (bound two-way to its controls); generate() checks them. */
export interface InputTraits {
  prompt: string;
  /** Free text: any well-formed model id. */
  model: string;
  /** Free text, "W:H": the documented models' are checked by the kernel, others by the gateway. */
  aspect_ratio: string;
  /** Whole seconds > 0 (the view sends nothing else); checked as aspect_ratio is. */
  duration: number;
  /** How many videos from one prompt. */
  n: number;
  /** One of choices.resolutions, or "" for the server's default. */
  resolution: string;
}

/** Python writes these; updates from the view are dropped (VideoWidget.set_state). */
export interface OutputTraits {
  status: WidgetStatus;
  /** The server's progress, 0 to 100, or null when unknown. */
  progress: number | null;
  /** Why the shown run failed, as plain text; "" when it did not. */
  error: string;
  note: string;
  generation_id: string;
  /** Unix seconds. */
  started_at: number | null;
  finished_at: number | null;
  running: boolean;
  resumable: boolean;
  variant_count: number;
  runs: RunEntry[];
  /** Index in runs of the shown run; -1 before the first run. */
  shown_run: number;
  /** The library holds older runs than runs lists: "more-history" adds them. */
  more_history: boolean;
  choices: Choices;
  /** Non-empty while a wait rides out an outage: the last error, as plain text. */
  reconnecting: string;
  /** When the shown run's job should complete (Unix seconds), or null: the badge counts down. */
  expected_end: number | null;
}

export interface WidgetTraits extends InputTraits, OutputTraits {}

/** The model as render() receives it from anywidget. */
export type Model = AnyModel<WidgetTraits>;

// ---- view -> kernel: custom messages, one discriminating key, `kind` ----

export type ViewMessage =
  /** Start a generation with the current inputs (the view saves the prompt first). */
  | { kind: "generate" }
  /** Stop polling; the remote job may still run. */
  | { kind: "cancel" }
  /** Poll again for the shown run's job (after a cancel, a timeout or a lost connection). */
  | { kind: "resume" }
  /** Show entry `index` of runs: its inputs, state and videos. */
  | { kind: "show"; index: number }
  /** Add older runs of the library to runs (shown when more_history). */
  | { kind: "more-history" }
  /** Send the shown run's videos (a view that renders, or re-renders after a reload). */
  | { kind: "request-videos" };

// ---- kernel -> view: videos as chunked binary messages (transfer.py) ----

/** Opens transfer `transfer`; `sizes` has one byte count per video ([] clears the videos). */
export interface VideoBegin {
  kind: "video-begin";
  transfer: number;
  generation_id: string;
  aspect_ratio: string;
  mime: string;
  sizes: number[];
}

/** Bytes `offset`.. of video `variant`, in the message's one binary buffer (at most 8 MiB). */
export interface VideoChunk {
  kind: "video-chunk";
  transfer: number;
  variant: number;
  offset: number;
}

/** Closes transfer `transfer`: the view joins the chunks into one Blob per video. */
export interface VideoEnd {
  kind: "video-end";
  transfer: number;
}

export type KernelMessage = VideoBegin | VideoChunk | VideoEnd;
