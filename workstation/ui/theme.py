"""Colours of the paper view: a classic printout, pale paper, red grid, black ink."""

DESK = "#d9d6d2"  # around the sheet
PAPER = "#fffaf8"
GRID_MINOR = "#f6cdc8"  # 1 mm small boxes
GRID_MAJOR = "#e58f87"  # 5 mm large boxes
INK = "#111111"
LABEL = "#1b1b1b"
DERIVED_MARK = "#9a5b00"
CALIPER = "#0b5cad"
RULER = "#6b4f4b"
LABEL_FILL = (255, 250, 248, 190)  # behind lead names, translucent paper
