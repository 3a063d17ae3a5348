"""The FIA regions whose states are pooled when a state's own sample is thin (docs/factors.md §4).

LEARN's removal factors are per region × forest type group × age class, the regions being the 11 of
USFS GTR NE-343 (Smith, Heath, Skog & Birdsey 2006), groups of states for which R. Birdsey prepared
the rates from FIA queries (docs/method.md §6.2; region names as in ``erin-glen/learn_analysis``
``merge_harvest_emission_factors_hardcoded.py`` ``REGION_TO_SHEET``). No machine-readable list of
each region's states was found in public material, so the membership below is **this tool's
transcription [assumption]**, to be checked against GTR NE-343 by a person:

* the region *names* are LEARN's (cited above);
* the *states* follow the FIA units and RPA subregions the names refer to (Northeast = the former
  Northeastern Station's states; Lake States; Central States and Great Plains = the rest of the
  former North Central region; Southeast / South Central = the Southern Station's RPA subregions;
  Rocky Mountain North / South; Pacific Southwest = California). Ohio (Central States) and Wyoming
  (Rocky Mountain South) are the least certain;
* Pacific Northwest East and West split Oregon and Washington at the Cascades: with whole-state
  tables the tool cannot split them, so both states form one pool here [tool];
* Alaska, Hawaii and the territories are in no region (no pooling).

Override with ``--region-state`` (explicit states) or ``--no-region``.
"""

from __future__ import annotations

#: Region → its states (postal codes). See the module docstring for the sources and caveats.
FIA_REGIONS: dict[str, tuple[str, ...]] = {
    "Northeast": ("CT", "DE", "MA", "MD", "ME", "NH", "NJ", "NY", "PA", "RI", "VT", "WV"),
    "Northern Lake States": ("MI", "MN", "WI"),
    "Central States": ("IA", "IL", "IN", "MO", "OH"),
    "Great Plains": ("KS", "ND", "NE", "SD"),
    "Southeast": ("FL", "GA", "NC", "SC", "VA"),
    "South Central States": ("AL", "AR", "KY", "LA", "MS", "OK", "TN", "TX"),
    "Rocky Mountain North": ("ID", "MT"),
    "Rocky Mountain South": ("AZ", "CO", "NM", "NV", "UT", "WY"),
    "Pacific Northwest (East and West)": ("OR", "WA"),
    "Pacific Southwest": ("CA",),
}


def region_of(state: str, regions: dict[str, tuple[str, ...]] | None = None) -> tuple[str, tuple[str, ...]]:
    """(region name, the *other* states of the region) for ``state``; ("", ()) when in none."""
    code = state.strip().upper()
    for name, members in (regions if regions is not None else FIA_REGIONS).items():
        if code in members:
            return name, tuple(s for s in members if s != code)
    return "", ()
