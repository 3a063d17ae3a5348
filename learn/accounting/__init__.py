"""The accounting stage: stratum table + factor tables → the report's rows (IPCC gain–loss, LEARN's method).

``factors`` (forest and trees-outside-forest factor tables: loading, checking, selection); ``zone_table`` (the
stratum table of every zone, classified once, and sums by zone); ``forest`` and ``trees_outside_forest`` (the terms
of ``docs/method.md``, each for every zone at once); ``inventory`` (each zone's rows, totals and warnings). Works on
tables only: never reads rasters or writes files.
"""
