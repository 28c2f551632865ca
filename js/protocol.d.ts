// The Python <-> JS protocol of mql_notebook.VideoWidget, in one place: the model's traits
// (mql_notebook/widget/video_widget.py; the input traits come from request.d.ts, generated from
// the request's declaration) and every message both ways (view -> kernel below,
// kernel -> view from mql_notebook/widget/transfer.py). widget.js is checked against it by
// `npm --prefix js run typecheck` (tsc --checkJs; see tsconfig.json), and
// tests/widget/test_js_types.py checks that the Python side declares the same names.
// Types only: nothing here runs or ships in the wheel.

import type { AnyModel } from "@anywidget/types";
import type { InputTraits, OptionName } from "./request";

export type { InputTraits, OptionName };

/** What the shown run is doing; "idle" before the first run. */
export type WidgetStatus = "idle" | "pending" | "processing" | "completed" | "failed" | "cancelled";

/** One option's form: request.form_field() in mql_notebook/request/forms.py. */
export interface FormField {
  name: OptionName;
  type: "int" | "text";
  label: string;
  help: string;
  /** "text": an input with suggestions; "number": a number input with suggestions and bounds;
   * "select": the documented values (and "not chosen" when default is null). */
  control: "text" | "number" | "select";
  /** What the widget starts with; null: not chosen, not sent. */
  default: string | number | null;
  /** A select's entry for "not chosen". */
  unset_label: string;
  min: number | null;
  max: number | null;
  /** The values each documented model accepts. */
  by_model: Record<string, (string | number)[]>;
  /** Every documented model's values together. */
  suggested: (string | number)[];
}

/** The view's form (VideoWidget.choices, request.form_choices). */
export interface Choices {
  /** Models to suggest in the model box (the emulator's, the library's, extra, known); any id may be typed. */
  models: string[];
  max_prompt_chars: number;
  /** One per option of the request, in the API's order: the view builds a control for each. */
  fields: FormField[];
  /** The image fields (first_frame_image, last_frame_image): the view's image controls. */
  images: ImageFieldForm[];
}

/** One image field's form (request/forms.py form_choices). */
export interface ImageFieldForm {
  name: string;
  label: string;
  help: string;
}

/** What the kernel holds for an image field (widget/thumbnails.py card): shown by its control
 * and, per run, on the history strip's cards. */
export interface ImageCard {
  name: string;
  /** Bytes; null for an http(s) URL (never fetched). */
  size: number | null;
  width: number | null;
  height: number | null;
  /** A small JPEG as a data URL; "" when there is none. */
  thumbnail: string;
  /** Why the image was refused (the field then holds nothing); "" when it was not. */
  error: string;
  /** The view's upload this card answers (held or refused); absent for other cards. */
  upload?: string;
}

/** The inputs besides the request's declared ones: the view writes these too. */
export interface ExtraInputs {
  /** A model's own fields, sent to create as given (More fields: name = JSON value). */
  fields: Record<string, unknown>;
  /** How an image of another shape is sent: "crop", "pad", or "" as it is. */
  fit: string;
}

/** One entry of the history strip: Run.to_json() in mql_notebook/widget/run.py. */
export interface RunEntry {
  prompt: string;
  model: string;
  /** The chosen options by name (one left to the server is absent). */
  options: Partial<Record<OptionName, string | number>>;
  /** The model's own fields it sent (More fields). */
  fields: Record<string, unknown>;
  /** Its input images by field (thumbnails). */
  images: Record<string, ImageCard>;
  /** What it cost ("$0.50", "~$0.50" an estimate), "" when unknown. */
  cost: string;
  /** The request as a card shows it: "sora · 16:9 · 5 s · seed 7" (request.describe). */
  summary: string;
  status: WidgetStatus;
  generation_id: string;
  error: string;
  reconnecting: string;
  waiting_for_slot: string;
  started_at: number;
  finished_at: number | null;
  variant_count: number;
  /** The library entry's 0-5 stars, null when not rated. */
  rating: number | null;
  /** Whether it has a library entry to keep a rating in. */
  rateable: boolean;
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
  waiting_for_slot: string;
  /** When the shown run's job should complete (Unix seconds), or null: the badge counts down. */
  expected_end: number | null;
  /** The shown run takes clearly longer than usual: the badge says so instead of counting down. */
  stalled: boolean;
  /** The image fields the kernel holds, by field (a field it does not hold is absent). */
  images: Record<string, ImageCard>;
  /** What Generate would cost now (client.video.estimate), "" when unknown. */
  estimate: string;
  /** Today's spending of the library and its budget (client.video.spending). */
  spending: string;
  /** What the model is known to take besides the declared options (request/model_fields.py). */
  model_fields: ModelFields;
}

/** A family of models' own fields (request/model_fields.py model_fields_form). */
export interface ModelFields {
  /** "Kling"; "" for a model of no known family. */
  family: string;
  fields: { name: string; example: string; what: string }[];
}

export interface WidgetTraits extends InputTraits, ExtraInputs, OutputTraits {}

/** Every input the view writes, as Generate sends them with its message. */
export type GenerateInputs = Partial<InputTraits & ExtraInputs>;

/** The model as render() receives it from anywidget. */
export type Model = AnyModel<WidgetTraits>;

// ---- view -> kernel: custom messages, one discriminating key, `kind` ----

export type ViewMessage =
  /** Start a generation with the inputs the view shows (saved as updates too; the kernel
   * applies these first, as a host may deliver the updates after this message). */
  | { kind: "generate"; inputs: GenerateInputs }
  /** Stop polling; the remote job may still run. */
  | { kind: "cancel" }
  /** Poll again for the shown run's job (after a cancel, a timeout or a lost connection). */
  | { kind: "resume" }
  /** Show entry `index` of runs: its inputs, state and videos. */
  | { kind: "show"; index: number }
  /** Add older runs of the library to runs (shown when more_history). */
  | { kind: "more-history" }
  /** Send the shown run's videos (a view that renders, or re-renders after a reload). */
  | { kind: "request-videos" }
  /** Chunk `index` of `total` of an image file for `field`, in the message's one buffer
   * (at most 4 MiB; widget/uploads.py); `size` is the whole file's. */
  | { kind: "image-chunk"; field: string; upload: string; index: number; total: number; size: number; name: string }
  /** Hold no image for `field`. */
  | { kind: "image-clear"; field: string }
  /** The shown video `variant`'s frame at `time` s becomes the next run's first frame. */
  | { kind: "use-frame"; time: number; variant: number }
  /** 0-5 stars for run `index` of the strip; null clears its rating. */
  | { kind: "rate"; index: number; stars: number | null };

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

/** The view's upload `upload` of `field` was overtaken in the kernel (Python set or cleared the
 * field, or took a frame): the view stops waiting for its card. */
export interface UploadOver {
  kind: "upload-over";
  field: string;
  upload: string;
}

export type KernelMessage = VideoBegin | VideoChunk | VideoEnd | UploadOver;
