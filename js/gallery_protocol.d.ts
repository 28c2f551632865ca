// The Python <-> JS protocol of mql_notebook.Gallery: its traits (mql_notebook/widget/gallery.py),
// the view's asks and the kernel's answers. gallery.js is checked against it by
// `npm --prefix js run typecheck`, and tests/widget/test_gallery.py checks that the Python side
// declares the same names. Types only: nothing here runs or ships in the wheel.

import type { AnyModel } from "@anywidget/types";
import type { KernelMessage as VideoMessage } from "./protocol";

/** One card: gallery.card_of(entry). Text and numbers only, never a path or a byte. */
export interface Card {
  /** The library's own name of the entry (an entry whose create was never answered has no id). */
  key: string;
  id: string | null;
  prompt: string;
  model: string;
  options: Record<string, unknown>;
  status: string;
  /** Unix seconds. */
  created_at: number;
  finished_at: number | null;
  error: string;
  has_video: boolean;
  has_poster: boolean;
  /** Bytes of every video of the entry. */
  size: number;
  videos: number;
  /** The request as the card shows it: "sora · 16:9 · 5 s · seed 7" (request.describe). */
  summary: string;
  /** Its input images by field: name, size, width, height and a thumbnail (a data URL). */
  images: Record<string, { name: string; thumbnail: string }>;
  /** What it cost ("$0.50", "~$0.50" an estimate), "" when unknown. */
  cost: string;
  /** 0-5 stars, null when not rated (Library.rate). */
  rating: number | null;
  /** The user's note, "" when none (shown with textContent / as a textarea's value). */
  note: string;
  /** The key of the entry whose frame it was made from, "" when none. */
  parent: string;
  /** That entry's id (else its key), as the card names it: "from <parent_id> at 2.0 s". */
  parent_id: string;
  /** The time of that frame in the parent's video, in seconds. */
  parent_time: number | null;
  /** How many entries were made from this one's frames. */
  children: number;
  /** The id of the batch or sweep it was made in (Entry.batch), "" when none. */
  batch: string;
  /** "batch notebook-3fa2c1, 3 of 6", "" when none (a button: the gallery filters to it). */
  batch_text: string;
}

/** One column of the compare: differences.compare_columns. */
export interface CompareColumn {
  key: string;
  /** The prompt in pieces; `changed` ones differ from the first column's (shown in <mark>). */
  segments: { text: string; changed: boolean }[];
  /** The model, options and fields that differ from the first column's: "duration 5 → 10". */
  differences: { name: string; before: string; after: string; text: string }[];
  /** The entry's card, for a compare asked from Python (its entries need not be on the page). */
  card?: Card;
}

/** A sweep's compare as a grid (compare_grid.grid_of); {} when side by side. */
export interface CompareGrid {
  row_fields: string[];
  col_fields: string[];
  /** The rows' and columns' headings: the values of those fields ("sora", "3"). */
  rows: string[];
  cols: string[];
  /** The key in each row's cells, "" for an empty cell. */
  cells: string[][];
}

export type Sort = "newest" | "rating";

/** Every trait is Python's to write (each is tagged output: Gallery.set_state drops the view's updates). */
export interface GalleryTraits {
  entries: Card[];
  total: number;
  query: string;
  offset: number;
  sort: Sort;
  /** Only entries rated this many stars or more; 0: every entry. */
  min_rating: number;
  page_size: number;
  linked: boolean;
  folder: string;
  error: string;
  /** What the last action did, as plain text (an export: where its index.html is). */
  notice: string;
  /** The compare's columns, the first the one the others are compared with. */
  compared: CompareColumn[];
  /** The compare as a grid, rows and columns by the fields that vary; {} side by side. */
  compare_grid: CompareGrid | Record<string, never>;
  /** Counts compares asked from Python (Gallery.compare): the view opens each one. */
  compare_shown: number;
  /** Only entries of this model; "" every model. */
  model_filter: string;
  /** Only entries whose fields (options or a model's own) have these values. */
  where: Record<string, unknown>;
  /** Only the entries of this batch (Card.batch); "" every entry. */
  batch: string;
  /** The library's models, for the model select. */
  models: string[];
}

export type GalleryModel = AnyModel<GalleryTraits>;

// ---- view -> kernel ----

export type GalleryViewMessage =
  /** The page holding entry `offset` among those whose prompt, model, note or id contains
   * `query`, rated `min_rating` or more (0: all), in the order `sort`; of `model` ("": any),
   * whose fields match `fields` ("seed=3, style=noir"), of `batch` (""). */
  | { kind: "page"; query: string; offset: number; sort: Sort; min_rating: number; model?: string; fields?: string; batch?: string }
  /** The first poster of each of these entries (those that have one). */
  | { kind: "posters"; keys: string[] }
  /** The entry's first video, as a transfer whose generation_id is the key. */
  | { kind: "video"; key: string }
  /** Copy the entry's prompt and options onto the linked VideoWidget. */
  | { kind: "use"; key: string }
  /** Remove the entry and its files (the view has asked the reader first). */
  | { kind: "delete"; key: string }
  /** 0-5 stars for the entry; null clears its rating. */
  | { kind: "rate"; key: string; stars: number | null }
  /** The entry's note; "" clears it. */
  | { kind: "note"; key: string; text: string }
  /** A page to share of these entries, in a folder the kernel names (./mql-export-<time>). */
  | { kind: "export"; keys: string[] }
  /** What differs between these entries (the first the base): written to `compared`. */
  | { kind: "compare"; keys: string[] };

// ---- kernel -> view ----

/** One JPEG poster, in the message's one binary buffer. */
export interface Poster {
  kind: "poster";
  key: string;
  mime: string;
}

export type GalleryKernelMessage = Poster | VideoMessage;
