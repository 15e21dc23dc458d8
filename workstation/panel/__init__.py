"""Panels of readers: agreement, adjudication, retraining exports and monitoring.

Pure computation over the annotation store (no Qt, no torch): :mod:`agreement` scores any
pair or group of sources (annotators, model versions, the consensus) with the boundary
matching of ``ecgws evaluate``; :mod:`adjudication` turns an adjudicator's decisions into a
signed consensus set; :mod:`export` writes training data from the store; :mod:`monitor`
reports how often clinicians correct the model and how the incoming data drift. The command
line is in :mod:`workstation.panel.cli`.
"""
