"""Analyses on the reach matrix: one module per question a commissioner asks."""
