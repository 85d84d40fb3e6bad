"""The analyses layer: one module per notebook question, each with ``run(tables, **params) -> Result``.

* ``super_users`` (01) -- the four criteria, the gates, the list, revenue concentration;
* ``clv`` (02) -- lifetime value and silent churn: model choice on a holdout, scores, intervals;
* ``renewal`` (03) -- paid-membership renewal per tier or cohort, value, calendar forecast;
* ``uplift`` (04) -- do members spend 5-10x more: naive, segment, selection, causal;
* ``benefits`` (05) -- which benefits go into each tier, their economics, tier rules and points;
  ``conjoint`` -- willingness to pay per benefit from a choice-based survey;
* ``phases`` (06) -- the membership plan month by month: members, renewals, KPIs, P&L, Monte Carlo;
  ``channels`` -- each contact channel's incremental conversion to member (``measure_channels``);
* ``result`` -- the base of the results (``to_json()``, ``headline``); ``plotting`` -- the figures
  (``ax=``) and the fonts that draw Chinese labels.

Analyses use the data and models layers; they do no I/O of their own beyond what :mod:`superkit.data`
offers. A new question is a new module here with its own ``run``.
"""
from superkit.analyses.result import Result

# The analysis modules are not imported here: ``from superkit.analyses import clv`` loads one
# analysis (and its models) without the others.
__all__ = ["Result"]
