"""The study's own rules, shared by reading and deriving: spec, time axis, instruments."""
