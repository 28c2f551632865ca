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
}

/** One column of the compare: differences.compare_columns. */
export interface CompareColumn {
  key: string;
  /** The prompt in pieces; `changed` ones differ from the first column's (shown in <mark>). */
  segments: { text: string; changed: boolean }[];
  /** The model, options and fields that differ from the first column's: "duration 5 → 10". */
  differences: { name: string; before: string; after: string; text: string }[];
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
}

export type GalleryModel = AnyModel<GalleryTraits>;

// ---- view -> kernel ----

export type GalleryViewMessage =
  /** The page holding entry `offset` among those whose prompt, model, note or id contains
   * `query`, rated `min_rating` or more (0: all), in the order `sort`. */
  | { kind: "page"; query: string; offset: number; sort: Sort; min_rating: number }
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
