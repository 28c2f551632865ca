"""js/request.d.ts, the view's types of the request's fields, generated from the declaration.

``python -m mql_notebook.request.typescript > js/request.d.ts`` writes it; a test checks that
the committed file is what this prints, so the view's type check follows every new field.
"""

from __future__ import annotations

from .fields import VALUE_OPTIONS

_HEADER = """\
// Generated from mql_notebook/request/fields.py by
// `python -m mql_notebook.request.typescript > js/request.d.ts`: do not edit by hand.
// The request's fields as the view's input traits (protocol.d.ts extends it).
"""


def declarations() -> str:
    """The text of js/request.d.ts: the value options (the image fields are no input traits
    of the view yet: its image control will declare how it holds them)."""
    lines = [_HEADER, "/** The option names of a create request, in the API's order. */"]
    lines.append(
        "export type OptionName = " + " | ".join(f'"{f.name}"' for f in VALUE_OPTIONS) + ";"
    )
    lines += [
        "",
        "/** The view writes these (bound two-way to its controls); generate() checks them. */",
    ]
    lines += [
        "export interface InputTraits {",
        "  prompt: string;",
        "  /** Free text: any well-formed model id. */",
        "  model: string;",
    ]
    for spec in VALUE_OPTIONS:
        unset = '""' if spec.type is str else "null"
        kind = (
            "string"
            if spec.type is str
            else ("number" if spec.default is not None else "number | null")
        )
        note = f"{spec.help}; {unset} when not chosen" if spec.default is None else spec.help
        lines += [f"  /** {note}. */", f"  {spec.name}: {kind};"]
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(declarations(), end="")
