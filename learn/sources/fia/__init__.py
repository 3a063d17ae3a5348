"""USFS Forest Inventory and Analysis: ``download`` (a state's DataMart tables, cached), ``database`` (the DuckDB
pyfia reads), ``plots`` / ``begin`` / ``estimates`` / ``variance`` (growth per hectare and its sampling
variance), ``regions`` (states pooled when a sample is thin) and ``factors`` (LEARN's forest factor table)."""
