"""The accounting stage: stratum table + factor tables → the report's rows (IPCC gain–loss, LEARN's method).

``factors`` (forest and trees-outside-forest factor tables: loading, checking, selection); ``inventory``
(the terms of ``docs/method.md``). Works on tables only: never reads rasters or writes files.
"""
