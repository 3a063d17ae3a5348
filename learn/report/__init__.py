"""Presenting results: the report model and everything that turns it into tables, files and pictures.

``models`` (the JSON report, pydantic); ``frames`` (pandas / xarray views of a report); ``export``
(CSV and XLSX writers, ``write_report``); ``html`` (the printable HTML report, ``templates/``);
``palettes`` (colours and legends shared by the web map and notebooks). Never computes a result.
"""
