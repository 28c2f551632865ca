// The Python <-> JS protocol of mql_notebook.Batch's grid: its traits
// (mql_notebook/widget/batch_grid.py), the view's asks and the kernel's answers. batch.js is
// checked against it by `npm --prefix js run typecheck`, and tests/widget/test_batch.py checks
// that the Python side declares the same names. Types only: nothing here runs or ships.

import type { AnyModel } from "@anywidget/types";
import type { KernelMessage as VideoMessage } from "./protocol";

/** One request of the batch, set once. */
export interface Cell {
  /** What the cell is called: the prompt, or a sweep's varied values ("model=sora · seed=1"). */
  label: string;
  prompt: string;
  model: string;
}

/** A request's state on this run: batch_grid.state_of(run). */
export interface CellState {
  /** waiting, queued, creating, running, downloading, completed, already, failed, unfinished. */
  status: string;
  message: string;
  /** 0-100, or null before the server tells. */
  progress: number | null;
  /** Unix seconds the job should end at (the progress rate, or how long such jobs took), or null. */
  expected_end: number | null;
  /** The job takes clearly longer than usual (progress stopped): said instead of a time left. */
  stalled: boolean;
  id: string;
  has_video: boolean;
}

/** Every trait is Python's to write. */
export interface BatchTraits {
  name: string;
  cells: Cell[];
  states: CellState[];
  counts: Record<string, number>;
  running: boolean;
  error: string;
  /** What this run's creates are expected to cost ("6 to create: $3.00 (6 videos, 30 s)"). */
  estimate: string;
}

export type BatchModel = AnyModel<BatchTraits>;

export type BatchViewMessage =
  /** The cell's first video, as a transfer whose generation_id is the cell's index. */
  | { kind: "video"; index: number }
  /** Stop every line, or line `index` alone (jobs already created keep running on the server). */
  | { kind: "cancel"; index?: number }
  /** Run (again): nothing already created is sent again. */
  | { kind: "start" };

export type BatchKernelMessage = VideoMessage;
