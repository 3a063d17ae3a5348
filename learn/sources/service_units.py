"""The one rule for an image service's units text (``service_units``), used by ``learn fetch`` and by
``learn sources check`` alike: what the fetch accepts is what the check calls ok.

A catalog entry's ``scale`` converts the units the service states (BIGMAP carbon pools: "Tons per pixel", short
tons per 30 m pixel per the public pjson; sister services say "short tons per pixel") to LEARN's units. A text
states ``service_units`` when it contains them **and** no word making them other units comes right before:
"Metric tons per pixel" is 1/0.90718474 = 1.1023 × the short tons ``scale`` assumes (a 10 % bias), "long tons"
1.12 ×, "kilotons"/"megatons" 10³–10⁶ ×. Such a text is refused with the word found and the ``scale`` it needs.
"""

from __future__ import annotations

import json
from typing import Any, Final

#: Words that, written right before the catalog's ``service_units``, make them other units → the mass of one
#: such unit in metric tons (the ``scale`` a per-30 m-pixel unit needs: this / 0.09 ha).
OTHER_UNITS: Final = {
    "metric": 1.0,
    "long": 1.0160469088,
    "kilogram": 0.001,
    "kilo": 1000.0,  # kilotons
    "megagram": 1.0,
    "mega": 1_000_000.0,  # megatons
}
#: Metric tons per short ton (the unit BIGMAP's "tons" are).
SHORT_TON_T: Final = 0.90718474


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def other_units_word(text: str, units: str) -> str | None:
    """The word in ``text`` that makes ``units`` other units ("metric" in "Metric tons per pixel"), or None."""
    low, want = _normal(text), _normal(units)
    at = low.find(want)
    while at >= 0:
        before = low[:at].rstrip(" -")
        for word in sorted(OTHER_UNITS, key=len, reverse=True):  # "kilogram" before "kilo"
            if before.endswith(word):
                return word
        at = low.find(want, at + 1)
    return None


def says_units(text: str, units: str) -> bool:
    """``text`` states ``units``, not qualified by a word making them other units ("metric tons per pixel"
    is not BIGMAP's short tons: 10 % more carbon)."""
    return _normal(units) in _normal(text) and other_units_word(text, units) is None


def stated_units(info: dict[str, Any], rendering_rule: str | None, units: str) -> str:
    """The text that states a service's units: the description of the raster function ``rendering_rule``
    picks, else the service's description; with no function picked and a description silent on ``units``,
    the first function description that mentions them (a service entry whose functions are its pools)."""
    functions = {
        str(f.get("name")): str(f.get("description", "")) for f in info.get("rasterFunctionInfos") or []
    }
    name = json.loads(rendering_rule).get("rasterFunction") if rendering_rule else None
    said = (functions.get(str(name), "") if name is not None else "") or str(info.get("description", ""))
    if name is None and _normal(units) not in _normal(said):
        said = next((d for d in functions.values() if _normal(units) in _normal(d)), said)
    return " ".join(said.split())


def units_fault(text: str, units: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) when ``text`` does not state ``units`` as the catalog's ``scale`` assumes;
    None when it does."""
    shown = text[:300] or "no description"
    word = other_units_word(text, units)
    if word is not None:
        per_pixel = OTHER_UNITS[word] / 0.09
        return (
            f"says its values are {shown!r}: {word} {units}, not the short {units} the catalog's scale "
            f"converts from ({OTHER_UNITS[word] / SHORT_TON_T:.4g} x as much carbon per value)",
            f"if the service really changed units, set the dataset's scale to {per_pixel:.10g} (t per 30 m "
            f"pixel = {OTHER_UNITS[word]:g} t / 0.09 ha) and its service_units to '{word} {units}' in the "
            "catalog; otherwise report the service's text to its owner (USFS)",
        )
    if not says_units(text, units):
        return (
            f"no longer says its values are '{units}' (its description: {shown!r})",
            "check the service's units and the dataset's scale and service_units in the catalog",
        )
    return None
