"""Analyses built on reports: ``trend`` (one boundary over LEARN's periods) and ``sensitivity`` (net flux at ±10 %
on each factor). They use the orchestrator (:mod:`learn.pipeline`) and the stages; nothing below imports them."""
