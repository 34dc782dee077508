"""Layer 5: the live page, `nnctl watch RUN_DIR` and `nnctl train CONFIG --watch`.

    state    what the page shows, as JSON: a run's model on the input plane (the boundary or fit
             on a grid, every drawn unit's map, the weights), its curves, epoch, lr and status;
             `Publisher`, the on_epoch callback a --watch run writes live.json with; a finished
             run's state and replay frames read from its files; a sweep's runs and curves
    server   a read-only HTTP server of the standard library for one run directory or sweep
             folder: the page, its own static files, the state; nothing else (404)
    static/  the page: index.html, watch.js, watch.css, shipped as package data (no CDN)

Above `pictures` (layer 4), whose run -> arrays adapters (the grid in the data's units, the
hidden layers' maps) it reuses, and beside `sweeps`, whose folders it reads. It never imports
matplotlib: the page draws on <canvas> from the JSON.
"""
