// Generated from mql_notebook/request/fields.py by
// `python -m mql_notebook.request.typescript > js/request.d.ts`: do not edit by hand.
// The request's fields as the view's input traits (protocol.d.ts extends it).

/** The option names of a create request, in the API's order. */
export type OptionName = "aspect_ratio" | "duration" | "n" | "resolution" | "seed";

/** The view writes these (bound two-way to its controls); generate() checks them. */
export interface InputTraits {
  prompt: string;
  /** Free text: any well-formed model id. */
  model: string;
  /** Frame shape, W:H. */
  aspect_ratio: string;
  /** Length in whole seconds. */
  duration: number;
  /** How many videos to make from the prompt. */
  n: number;
  /** Output resolution; "" when not chosen. */
  resolution: string;
  /** The same seed, prompt and options make the same video (Veo, Runway, Kling); null when not chosen. */
  seed: number | null;
}
