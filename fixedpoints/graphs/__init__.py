"""Graphs layer: transition graphs between fixed points and saddle-to-saddle plateau sequences."""
