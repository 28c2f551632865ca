"""The widget's input traits, made from the request's declaration (request/fields.py), and the
tags that say who writes a trait.

``RequestTraits`` has ``prompt``, ``model`` and one trait per declared option (``OPTIONS``),
so a new ``Field`` is a new trait, keyword and control with no code here: text fields are
``Unicode`` ("" when unset), int fields ``Int`` (None when unset and without a default). Each
is tagged ``input=True``: bound two-way to the view's controls. Traits that only Python writes
are tagged ``output=True`` where they are declared; ``view_updates`` drops the view's updates
to those (what ``set_state`` applies).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import traitlets as t

from ..request import DEFAULT_MODEL, VALUE_OPTIONS, Field, suggest_option, widget_defaults

# The value options are traits; the image fields are held by the widget's image control.
BY_NAME = {spec.name: spec for spec in VALUE_OPTIONS}
INPUT_NAMES: tuple[str, ...] = ("prompt", "model", *BY_NAME)  # in the request's order

__all__ = [
    "RequestTraits",
    "option_trait",
    "option_values",
    "output",
    "tagged",
    "unset_options",
    "view_inputs",
    "view_updates",
]


def option_trait(spec: Field) -> t.TraitType[Any, Any]:
    """The trait of one declared option, with its help and the ``input`` tag."""
    values = spec.documented_values()
    shown = f" (documented: {', '.join(str(v) for v in values)})" if values else ""
    unset = repr(spec.unset)
    note = f"{unset}: not chosen, not sent" if spec.default is None else f"default {spec.default!r}"
    help_text = f"{spec.help}{shown}; {note}."
    trait: t.TraitType[Any, Any]
    if spec.type is str:
        trait = t.Unicode(spec.default or "", help=help_text)
    elif spec.default is None:
        trait = t.Int(None, allow_none=True, help=help_text)
    else:
        trait = t.Int(spec.default, help=help_text)
    return trait.tag(sync=True, input=True)


def _model_changed(self: t.HasTraits, change: Any) -> None:
    """A documented model that does not take an option's value gets its first value (veo-3's
    8 s, then sora: 5 s), so the controls keep a request the model accepts."""
    for spec in VALUE_OPTIONS:
        allowed = spec.documented.get(change.new)
        value = getattr(self, spec.name)
        if allowed and value not in (None, "") and value not in allowed:
            setattr(self, spec.name, next(iter(allowed)))


def _namespace() -> dict[str, Any]:
    return {
        "__module__": __name__,
        "__doc__": "The request's traits: prompt, model and one per declared option (inputs).",
        "prompt": t.Unicode(
            "", help="The text the video is made from; bound to the prompt box."
        ).tag(sync=True, input=True),
        "model": t.Unicode(
            DEFAULT_MODEL,
            help="The model id: any well-formed one; the box suggests choices['models'].",
        ).tag(sync=True, input=True),
        **{spec.name: option_trait(spec) for spec in VALUE_OPTIONS},
        "_model_changed": t.observe("model")(_model_changed),
    }


if TYPE_CHECKING:  # the type checker sees a class; at run time it is made from VALUE_OPTIONS

    class RequestTraits(t.HasTraits):
        prompt: str
        model: str

        def __getattr__(self, name: str) -> Any: ...  # one attribute per declared option

else:
    RequestTraits = t.MetaHasTraits("RequestTraits", (t.HasTraits,), _namespace())


def output(trait: t.TraitType[Any, Any]) -> t.TraitType[Any, Any]:
    """Synced, and Python's alone to write (``view_updates`` drops the view's updates to it)."""
    return trait.tag(sync=True, output=True)


def tagged(cls: type[t.HasTraits], tag: str) -> tuple[str, ...]:
    """The names of ``cls``'s traits tagged ``tag=True`` (``"input"`` or ``"output"``)."""
    return tuple(cls.class_trait_names(**{tag: True}))


def view_updates(cls: type[t.HasTraits], sync_data: Mapping[str, Any]) -> dict[str, Any]:
    """The view's updates minus those to outputs: Python alone writes a trait tagged output."""
    outputs = set(tagged(cls, "output"))
    return {k: v for k, v in sync_data.items() if k not in outputs}


def view_inputs(cls: type[t.HasTraits], inputs: object) -> dict[str, Any]:
    """The inputs a view message carries (generate's ``inputs``), input traits only.

    The view also saves them as updates, but a host may deliver an update and a message by
    separate requests (marimo posts each), so the message can arrive first: Generate must
    use what the person saw, not the kernel's last copy.
    """
    if not isinstance(inputs, Mapping):
        return {}
    names = set(tagged(cls, "input"))
    return {k: v for k, v in inputs.items() if k in names}


def option_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Every option's starting value: the declaration's, with ``options`` (checked by name).

    An unknown name is a TypeError, as Python's own calls raise for an unexpected keyword,
    naming the declared options and the one it is closest to. None means unset.
    """
    for name in options:
        if name not in BY_NAME:
            guess = suggest_option(name)
            hint = f"; did you mean {guess}?" if guess else ""
            raise TypeError(
                f"unexpected keyword argument {name!r} (the options: {', '.join(BY_NAME)}{hint})"
            )
    values = widget_defaults()
    for name, value in options.items():
        values[name] = BY_NAME[name].unset if value is None else value
    return values


def unset_options() -> dict[str, Any]:
    """Every option unset: what restoring a request that does not name it sets."""
    return {spec.name: spec.unset for spec in VALUE_OPTIONS}
