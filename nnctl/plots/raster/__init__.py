"""nnctl's pictures drawn as pixels with NumPy and Pillow, the PNGs of runs and sweeps (layer 1).

matplotlib draws every picture as a figure (`nnctl.plots`' other modules): a notebook's inline
figure, SVG and PDF, and the pictures of rare cases. The PNGs a run and a sweep write by default
(loss.png, boundary.png, network.png, sweep.png, boundaries.png, report.html's thumbnails) are
drawn here, in tens of milliseconds each and without importing matplotlib, because a sweep draws
three a run and matplotlib took a second a run (issue 18: 85% of a sweep's wall time). They show
what the figures show, in matplotlib's font, sizes and colours; `canvas` is the drawing surface,
one module per picture family beside it mirrors `nnctl.plots` (`curves`, `model`, `sweep`), and
each family's plot_* function in `nnctl.plots` sends a PNG here when this module draws that case.
"""
