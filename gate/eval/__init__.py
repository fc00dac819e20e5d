"""Offline evaluation of the gate's recognisers on a labelled dataset (`gate eval ...`)."""
