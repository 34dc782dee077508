// nnctl watch: polls /api/state while the run is alive and draws it on <canvas>. No library,
// no network beyond this server. The state's format is described in nnctl/watch/state.py.
"use strict";

const $ = (id) => document.getElementById(id);
const SPLIT = { train: { color: "#1a1a1a", dash: [] }, val: { color: "#6b6b6b", dash: [6, 4] } };
const RUN_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#882255", "#332288",
                    "#999933", "#444444"];
const WORDS = { early_stopped: "early stopped", waiting: "waiting for the run", training: "training" };
const ENDED = { completed: "training completed", early_stopped: "training stopped early",
                diverged: "training diverged", interrupted: "training was interrupted", failed: "training failed" };
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const PRGN = [[118, 42, 131], [194, 165, 207], [247, 247, 247], [166, 219, 160], [27, 120, 55]];
let current = null;          // the last state drawn
let replay = { epochs: [], index: -1, playing: false, timer: null, cache: new Map() };

// ---------------------------------------------------------------- numbers and colours
function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}
// "class 3" for a label that is a number, the label itself otherwise (plots.common.class_label)
const classLabel = (c) => (/^-?[\d.]+$/.test(c) ? `class ${c}` : c);
const pct = (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%");
function hexRgb(hex) { const n = parseInt(hex.slice(1), 16); return [n >> 16, (n >> 8) & 255, n & 255]; }
function ramp(stops, t) {
  t = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t)), f = t - i;
  return stops[i].map((c, k) => c + f * (stops[i + 1][k] - c));
}
// towards white: strength 1 keeps the colour, 0 gives white (plots.common.tint)
const tint = (rgb, s) => rgb.map((c) => 255 - (255 - c) * s);
function bytes(b64) { const s = atob(b64), a = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a; }

// ---------------------------------------------------------------- canvas helpers
function context(canvas) {
  const ratio = window.devicePixelRatio || 1;
  if (!canvas.dataset.w) { canvas.dataset.w = canvas.width; canvas.dataset.h = canvas.height; }
  const w = +canvas.dataset.w, h = +canvas.dataset.h;
  canvas.width = w * ratio; canvas.height = h * ratio; canvas.style.width = w + "px";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = "12px system-ui, sans-serif";
  return { ctx, w, h };
}
function niceTicks(lo, hi, most) {
  const span = hi - lo || Math.abs(hi) || 1, raw = span / most, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}
function logTicks(lo, hi) {
  const out = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of (Math.log10(hi / lo) < 2.5 ? [1, 2, 5] : [1])) { const v = m * Math.pow(10, k); if (v >= lo && v <= hi) out.push(v); }
  }
  return out;
}
// axes over a box: x and y map data to pixels; draws ticks, grid and labels
function axes(ctx, box, xr, yr, opts) {
  const x = (v) => box.x + (v - xr[0]) / (xr[1] - xr[0] || 1) * box.w;
  const y = opts.log ? (v) => box.y + box.h - (Math.log(v) - Math.log(yr[0])) / (Math.log(yr[1]) - Math.log(yr[0]) || 1) * box.h
                     : (v) => box.y + box.h - (v - yr[0]) / (yr[1] - yr[0] || 1) * box.h;
  ctx.strokeStyle = "#e6e6e6"; ctx.fillStyle = "#555"; ctx.lineWidth = 1;
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const v of (opts.log ? logTicks(yr[0], yr[1]) : niceTicks(yr[0], yr[1], 5))) {
    const py = Math.round(y(v)) + 0.5;
    if (opts.grid !== false) { ctx.beginPath(); ctx.moveTo(box.x, py); ctx.lineTo(box.x + box.w, py); ctx.stroke(); }
    ctx.fillText(opts.yfmt ? opts.yfmt(v) : fmt(v), box.x - 5, py);
  }
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const v of niceTicks(xr[0], xr[1], opts.xticks || 6)) {
    const px = Math.round(x(v)) + 0.5;
    if (opts.grid !== false) { ctx.beginPath(); ctx.moveTo(px, box.y); ctx.lineTo(px, box.y + box.h); ctx.stroke(); }
    ctx.fillText(fmt(v), px, box.y + box.h + 4);
  }
  ctx.strokeStyle = "#999"; ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
  ctx.fillStyle = "#333";
  if (opts.xlabel) ctx.fillText(opts.xlabel, box.x + box.w / 2, box.y + box.h + 20);
  if (opts.ylabel) {
    ctx.save(); ctx.translate(12, box.y + box.h / 2); ctx.rotate(-Math.PI / 2); ctx.textBaseline = "middle";
    ctx.fillText(opts.ylabel, 0, 0); ctx.restore();
  }
  return { x, y };
}
function legend(ctx, items, right, top) {
  ctx.textAlign = "left"; ctx.textBaseline = "middle";
  let widest = Math.max(...items.map((it) => ctx.measureText(it.label).width));
  const x0 = right - widest - 40;
  ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(x0 - 6, top - 4, widest + 44, items.length * 17 + 6);
  items.forEach((it, i) => {
    const y = top + 8 + i * 17;
    if (it.dot) {
      ctx.fillStyle = it.color; ctx.strokeStyle = "#222"; ctx.lineWidth = 0.7;
      ctx.beginPath(); ctx.arc(x0 + 13, y, 4, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    } else {
      ctx.strokeStyle = it.color; ctx.setLineDash(it.dash || []); ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x0 + 26, y); ctx.stroke(); ctx.setLineDash([]);
    }
    ctx.fillStyle = "#333"; ctx.fillText(it.label, x0 + 32, y);
  });
}

// ---------------------------------------------------------------- curves
// series: [{label, color, dash, points: [[x, y], ...]}]
function drawCurves(canvas, series, o) {
  const { ctx, w, h } = context(canvas);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v !== null && isFinite(v));
  const box = { x: 58, y: 10, w: w - 72, h: h - 50 };
  if (!ys.length) { ctx.fillStyle = "#888"; ctx.textAlign = "center"; ctx.fillText(o.empty || "no values yet", w / 2, h / 2); return; }
  let lo = Math.min(...ys), hi = Math.max(...ys);
  const log = !o.percent && lo > 0 && hi / lo > Math.pow(10, 1.5);
  if (o.percent) { lo = Math.max(0, lo - 0.05); hi = Math.min(1, hi + 0.02); }
  else if (log) { lo /= 1.15; hi *= 1.15; }
  else { const pad = 0.06 * (hi - lo || Math.abs(hi) || 1); lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad; hi += pad; }
  const a = axes(ctx, box, [0, Math.max(1, o.xmax)], [lo, hi],
                 { log, xlabel: o.xlabel, ylabel: o.ylabel, yfmt: o.percent ? (v) => Math.round(100 * v) + "%" : null });
  ctx.save(); ctx.beginPath(); ctx.rect(box.x, box.y, box.w, box.h); ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = s.width || 1.8; ctx.setLineDash(s.dash || []); ctx.beginPath();
    let pen = false;
    for (const [px, py] of s.points) {
      if (py === null || !isFinite(py) || (log && py <= 0)) { pen = false; continue; }
      if (pen) ctx.lineTo(a.x(px), a.y(py)); else ctx.moveTo(a.x(px), a.y(py));
      pen = true;
    }
    ctx.stroke(); ctx.setLineDash([]);
  }
  if (o.marker !== undefined && o.marker !== null) {
    ctx.strokeStyle = "#D55E00"; ctx.lineWidth = 1.5; ctx.beginPath();
    ctx.moveTo(a.x(o.marker), box.y); ctx.lineTo(a.x(o.marker), box.y + box.h); ctx.stroke();
  }
  ctx.restore();
  // accuracies climb to the top: their legend goes to the bottom
  const top = o.percent ? box.y + box.h - 14 - 17 * series.length : box.y + 6;
  if (o.legend !== false) legend(ctx, series, box.x + box.w - 6, top);
}
function column(history, key) {
  const i = history.columns.indexOf(key), e = history.columns.indexOf("epoch");
  return i < 0 ? null : history.rows.map((r) => [r[e], r[i]]);
}
function drawRunCurves(state, marker) {
  const h = state.history || { columns: [], rows: [] };
  const xmax = Math.max(state.epochs || 0, ...h.rows.map((r) => r[0]));
  const step = state.step || "epoch";
  const pick = (kind) => ["train", "val"].map((split) => ({ split, points: column(h, `${split}_${kind}`) }))
    .filter((s) => s.points).map((s) => ({ label: s.split === "train" ? "training" : "validation",
                                           color: SPLIT[s.split].color, dash: SPLIT[s.split].dash, points: s.points }));
  drawCurves($("loss"), pick("loss"), { xmax, xlabel: step, ylabel: "loss", marker });
  const acc = pick("accuracy");
  $("accuracy-card").hidden = acc.length === 0;
  if (acc.length) drawCurves($("accuracy"), acc, { xmax, xlabel: step, ylabel: "accuracy", percent: true, marker });
  document.body.dataset.points = h.rows.length;
}

// ---------------------------------------------------------------- the model on the input plane
function planeBox(w, h, ext) {
  const area = { x: 52, y: 10, w: w - 64, h: h - 52 };
  const dx = ext[1] - ext[0], dy = ext[3] - ext[2], s = Math.min(area.w / dx, area.h / dy);
  return { x: area.x + (area.w - s * dx) / 2, y: area.y + (area.h - s * dy) / 2, w: s * dx, h: s * dy };
}
function image(side, pixel) {
  const off = document.createElement("canvas"); off.width = off.height = side;
  const octx = off.getContext("2d"), img = octx.createImageData(side, side);
  for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) {
    const rgb = pixel(r * side + c), o = ((side - 1 - r) * side + c) * 4;  // grid rows go up the plane
    img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  return off;
}
function regionPixel(b, colors) {
  const p = bytes(b.p), K = b.classes, rgbs = colors.map(hexRgb);
  return (i) => {
    let best = 0, top = -1;
    for (let k = 0; k < K; k++) if (p[i * K + k] > top) { top = p[i * K + k]; best = k; }
    const conf = Math.min(1, Math.max(0, (top / 255 - 1 / K) / (1 - 1 / K)));
    return tint(rgbs[best] || [128, 128, 128], 0.08 + 0.37 * conf);  // plots.common.region_colors
  };
}
function drawPlane(ctx, state, model, box) {
  const d = state.data, ext = d.extent;
  let pixel, side, valueColor = null;
  if (model.boundary) { side = model.boundary.side; pixel = regionPixel(model.boundary, d.colors); }
  else {
    const s = model.surface, v = bytes(s.values); side = s.side;
    pixel = (i) => ramp(VIRIDIS, v[i] / 255);
    valueColor = (y) => ramp(VIRIDIS, (y - s.range[0]) / (s.range[1] - s.range[0] || 1));
  }
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image(side, pixel), box.x, box.y, box.w, box.h);
  const a = axes(ctx, box, [ext[0], ext[1]], [ext[2], ext[3]], { grid: false, xticks: 8, xlabel: d.features[0], ylabel: d.features[1] });
  for (const [split, shape] of [["train", "circle"], ["validation", "square"]]) {
    const pts = d.points[split]; if (!pts) continue;
    pts.x.forEach((p, i) => {
      const y = pts.y[i], px = a.x(p[0]), py = a.y(p[1]);
      ctx.fillStyle = valueColor ? `rgb(${valueColor(y).join(",")})` : d.colors[y] || "#888";
      ctx.strokeStyle = "#222"; ctx.lineWidth = 0.7; ctx.beginPath();
      if (shape === "circle") ctx.arc(px, py, 3.2, 0, 2 * Math.PI); else ctx.rect(px - 3, py - 3, 6, 6);
      ctx.fill(); ctx.stroke();
    });
  }
  if (model.boundary) legend(ctx, d.classes.map((c, k) => ({ label: classLabel(c), color: d.colors[k], dot: true })),
                             box.x + box.w - 4, box.y + 4);
}
function drawFit(ctx, state, model, w, h) {
  const d = state.data, f = model.fit, box = { x: 58, y: 10, w: w - 72, h: h - 52 };
  const ys = [...f.y.filter((v) => v !== null), ...Object.values(d.points).flatMap((s) => s.y)];
  const lo = Math.min(...ys), hi = Math.max(...ys), pad = 0.06 * (hi - lo || 1);
  const a = axes(ctx, box, [d.extent[0], d.extent[1]], [lo - pad, hi + pad], { xlabel: d.features[0], ylabel: "target" });
  for (const [split, color] of [["train", "#1a1a1a"], ["validation", "#8c8c8c"]]) {
    const pts = d.points[split]; if (!pts) continue;
    ctx.fillStyle = color;
    pts.x.forEach((p, i) => { ctx.beginPath(); ctx.arc(a.x(p[0]), a.y(pts.y[i]), 2.4, 0, 2 * Math.PI); ctx.fill(); });
  }
  ctx.strokeStyle = "#0072B2"; ctx.lineWidth = 2.5; ctx.beginPath();
  f.x.forEach((x, i) => (i ? ctx.lineTo(a.x(x), a.y(f.y[i])) : ctx.moveTo(a.x(x), a.y(f.y[i]))));
  ctx.stroke();
  legend(ctx, [{ label: "prediction", color: "#0072B2" }], box.x + box.w - 4, box.y + 4);
}
function drawModel(state, model) {
  const kind = state.data ? state.data.kind : "none";
  $("model-card").hidden = kind === "none";
  if (kind === "none") return;
  $("model-title").textContent = { boundary: "decision boundary and the data", surface: "the fitted surface and the data",
                                   fit: "the fitted curve and the data" }[kind];
  const { ctx, w, h } = context($("model"));
  if (kind === "fit") drawFit(ctx, state, model, w, h);
  else drawPlane(ctx, state, model, planeBox(w, h, state.data.extent));
}

// ---------------------------------------------------------------- the network and its units
function mapPixel(col, u, colors) {
  const side = col.side, m = bytes(col.maps), base = u * side * side;
  if (col.scale === "class") { const rgb = hexRgb(colors[col.units[u]] || "#888888"); return (i) => tint(rgb, m[base + i] / 255 * 0.8); }
  const stops = col.scale === "diverging" ? PRGN : VIRIDIS;
  return (i) => ramp(stops, m[base + i] / 255);
}
function drawNetwork(state, model) {
  const { ctx, w, h } = context($("network")), net = model.network, cols = net.columns;
  const colors = state.data ? state.data.colors : [];
  const most = Math.max(...cols.map((c) => c.nodes.length)), top = 34, bottom = 10;
  const gap = (h - top - bottom) / most, node = Math.min(46, gap * 0.78);
  const names = cols[0].labels || [], left = 14 + Math.max(0, ...names.map((n) => ctx.measureText(n).width));
  const xs = cols.map((_, i) => left + node / 2 + i * (w - left - 30 - node) / Math.max(1, cols.length - 1));
  const ys = cols.map((c) => c.nodes.map((_, j) => top + (h - top - bottom) / 2 + (j - (c.nodes.length - 1) / 2) * gap));
  const biggest = Math.max(1e-12, ...net.weights.flat(2).map(Math.abs));
  net.weights.forEach((W, l) => W.forEach((row, i) => row.forEach((v, j) => {
    const s = Math.abs(v) / biggest;
    ctx.strokeStyle = v > 0 ? `rgba(27,120,55,${0.25 + 0.6 * s})` : v < 0 ? `rgba(118,42,131,${0.25 + 0.6 * s})` : "#bbb";
    ctx.lineWidth = 0.3 + 5 * s; ctx.beginPath();
    ctx.moveTo(xs[l] + node / 2, ys[l][i]); ctx.lineTo(xs[l + 1] - node / 2, ys[l + 1][j]); ctx.stroke();
  })));
  cols.forEach((c, i) => {
    ctx.fillStyle = "#333"; ctx.textAlign = "center"; ctx.textBaseline = "alphabetic";
    const shown = net.widths[i] > c.nodes.length ? ` (${c.nodes.length} of ${net.widths[i]})` : "";
    ctx.fillText(c.name.replace(/ \(.*\)/, "") + shown, xs[i], 14);
    const act = (c.name.match(/\((.*)\)/) || [])[1]; if (act) { ctx.fillStyle = "#777"; ctx.fillText(act, xs[i], 27); }
    c.nodes.forEach((k, j) => {
      const x = xs[i] - node / 2, y = ys[i][j] - node / 2;
      if (c.maps) { ctx.imageSmoothingEnabled = true; ctx.drawImage(image(c.side, mapPixel(c, k, colors)), x, y, node, node); }
      else { ctx.fillStyle = "#f3f3f3"; ctx.fillRect(x, y, node, node); }
      ctx.strokeStyle = "#555"; ctx.lineWidth = 1; ctx.strokeRect(x + 0.5, y + 0.5, node, node);
      if (c.labels) {
        ctx.fillStyle = "#333"; ctx.textAlign = "right"; ctx.textBaseline = "middle";
        ctx.fillText(c.labels[c.units[k]] || "", x - 5, ys[i][j]);
      }
    });
  });
}
function drawNeurons(state, model) {
  const cols = model.network.columns.slice(1).filter((c) => c.maps), host = $("neurons");
  $("neurons-card").hidden = cols.length === 0;
  const shape = cols.map((c) => c.name + ":" + c.units.join(",")).join("|");
  if (host.dataset.shape !== shape) {
    host.innerHTML = ""; host.dataset.shape = shape;
    cols.forEach((c, i) => {
      const row = document.createElement("div"); row.className = "layer";
      const name = document.createElement("div"); name.className = "layer-name";
      name.textContent = c.name + (c.scale === "diverging" ? " · purple < 0 < green" : c.scale === "class" ? " · class probabilities" : "");
      row.appendChild(name);
      c.units.forEach((u, j) => {
        const fig = document.createElement("figure"), cv = document.createElement("canvas");
        const big = i === cols.length - 1; cv.width = cv.height = big ? 120 : c.units.length > 12 ? 60 : 76;
        cv.id = `unit-${i}-${j}`;
        const cap = document.createElement("figcaption");
        cap.textContent = big && state.data.classes.length ? `P(${classLabel(state.data.classes[u])})` : `unit ${u + 1}`;
        fig.append(cv, cap); row.appendChild(fig);
      });
      host.appendChild(row);
    });
  }
  cols.forEach((c, i) => c.units.forEach((u, j) => {
    const { ctx, w, h } = context($(`unit-${i}-${j}`));
    ctx.imageSmoothingEnabled = true; ctx.drawImage(image(c.side, mapPixel(c, j, state.data.colors)), 0, 0, w, h);
  }));
}

// ---------------------------------------------------------------- the run: header, replay
function showHeader(state, epoch) {
  $("name").textContent = state.name || "nnctl watch";
  document.title = state.name ? `${state.name} · ${epoch ?? "–"} · nnctl watch` : "nnctl watch";
  $("title").textContent = state.title || "";
  const status = state.status || "loading", badge = $("status");
  badge.textContent = state.live ? WORDS[status] || status : ENDED[status] || WORDS[status] || status;
  badge.className = "badge " + status;
  $("step").textContent = state.step || "epoch";
  $("epoch").textContent = epoch === undefined || epoch === null ? "–" : epoch;
  $("epochs").textContent = state.epochs ? ` / ${state.epochs}` : "";
  $("lr").textContent = fmt(state.lr);
  const final = $("final"), f = (state.summary || {}).final;
  if (f) {
    const parts = Object.entries(f).map(([k, v]) => { final.dataset[k] = v; return `${k} ${k.endsWith("accuracy") ? pct(v) : fmt(v)}`; });
    final.textContent = "final: " + parts.join(" · ");
  } else final.textContent = "";
  const silent = state.live && state.age > Math.max(10, 5 * (state.poll || 1))
    ? `no news from the run for ${Math.round(state.age)} s: is it still training?` : "";
  const hint = [state.hint, silent].filter(Boolean).join(" · ")
    || (state.weights && !state.replay ? `drawn: the weights of ${state.weights}` : "");
  $("hint").hidden = !hint; $("hint").textContent = hint;
  document.body.dataset.status = status;
  document.body.dataset.epoch = epoch === undefined || epoch === null ? "" : epoch;
}
function setupReplay(state) {
  const box = $("replay");
  if (!state.replay || state.live) { box.hidden = true; return; }
  if (replay.epochs.join() === state.replay.join()) return;
  replay.epochs = state.replay; replay.index = -1; box.hidden = false;
  const slider = $("slider"); slider.max = state.replay.length; slider.value = state.replay.length;
  $("frame").textContent = `final weights (${state.weights})`;
}
async function showFrame(index) {
  replay.index = index;
  const last = index >= replay.epochs.length;
  $("slider").value = index;
  if (last) { drawRun(current, null); $("frame").textContent = `final weights (${current.weights})`; return; }
  const epoch = replay.epochs[index];
  if (!replay.cache.has(epoch)) {
    const answer = await fetch(`/api/frame?epoch=${epoch}`);
    if (!answer.ok) return;
    replay.cache.set(epoch, await answer.json());
  }
  if (replay.index !== index) return;  // the slider moved on meanwhile
  drawRun(current, replay.cache.get(epoch));
  $("frame").textContent = `checkpoint ${index + 1} of ${replay.epochs.length}`;
}
async function play() {
  if (!replay.playing) return;
  const next = replay.index < 0 || replay.index >= replay.epochs.length ? 0 : replay.index + 1;
  await showFrame(next);
  if (next >= replay.epochs.length) { togglePlay(false); return; }
  replay.timer = setTimeout(play, 350);
}
function togglePlay(on) {
  replay.playing = on; clearTimeout(replay.timer);
  $("play").textContent = on ? "❚❚ pause" : "▶ play";
  if (on) play();
}
function drawRun(state, frame) {
  const model = frame ? frame.model : state.model, epoch = frame ? frame.epoch : state.epoch;
  showHeader(state, epoch);
  drawRunCurves(state, frame ? frame.epoch : null);
  if (!model) return;
  drawModel(state, model);
  drawNetwork(state, model);
  drawNeurons(state, model);
}

// ---------------------------------------------------------------- a sweep
function drawSweep(state) {
  $("run").hidden = true; $("sweep").hidden = false; $("replay").hidden = true;
  showHeader({ ...state, title: `sweep: ${state.runs.length} runs`, epochs: null }, null);
  const done = state.runs.filter((r) => r.history.rows.length);
  $("epoch").textContent = `${done.length} of ${state.runs.length} runs finished`;
  $("step").textContent = ""; $("lr").parentElement.hidden = true; document.querySelector("footer").hidden = true;
  $("status").textContent = state.live ? "sweep running" : "sweep finished";
  const label = (r) => Object.entries(r.settings).map(([k, v]) => `${k.split(".").pop()}=${JSON.stringify(v)}`).join(" ") || r.name;
  const series = (keys) => done.map((r) => {
    const key = keys.find((k) => r.history.columns.includes(k));
    return key && { label: label(r), color: RUN_COLORS[state.runs.indexOf(r) % RUN_COLORS.length], width: 1.5,
                    points: column(r.history, key) };
  }).filter(Boolean);
  const xmax = Math.max(1, ...done.flatMap((r) => r.history.rows.map((row) => row[0])));
  const many = done.length > 8;
  drawCurves($("sweep-loss"), series(["val_loss", "train_loss"]), { xmax, xlabel: "epoch", ylabel: "loss", legend: !many, empty: "no run has finished yet" });
  drawCurves($("sweep-accuracy"), series(["val_accuracy", "train_accuracy"]), { xmax, xlabel: "epoch", ylabel: "accuracy", percent: true, legend: !many, empty: "no accuracy (yet)" });
  const body = $("runs").tBodies[0]; body.innerHTML = "";
  state.runs.forEach((r, i) => {
    const tr = body.insertRow(), f = r.final || {};
    const sw = document.createElement("span"); sw.className = "swatch"; sw.style.background = RUN_COLORS[i % RUN_COLORS.length];
    tr.insertCell().appendChild(sw);
    tr.insertCell().textContent = label(r);
    const st = document.createElement("span"); st.className = "badge " + r.status; st.textContent = WORDS[r.status] || r.status;
    tr.insertCell().appendChild(st);
    [fmt(f.train_loss), fmt(f.val_loss), pct(f.val_accuracy)].forEach((t) => (tr.insertCell().textContent = t));
  });
  document.body.dataset.points = done.length;
}

// ---------------------------------------------------------------- polling
async function poll() {
  let state;
  try {
    const answer = await fetch("/api/state", { cache: "no-store" });
    state = await answer.json();
    if (!answer.ok) throw new Error(state.error || answer.statusText);
  } catch (e) {
    $("hint").hidden = false; $("hint").textContent = `cannot read the state: ${e.message} (retrying)`;
    setTimeout(poll, 2000);
    return;
  }
  current = state;
  if (state.mode === "sweep") drawSweep(state);
  else {
    setupReplay(state);
    const frame = replay.index >= 0 && replay.index < replay.epochs.length ? replay.cache.get(replay.epochs[replay.index]) : null;
    drawRun(state, frame);
  }
  if (state.live) setTimeout(poll, 1000 * (state.poll || 1));
}
$("play").addEventListener("click", () => togglePlay(!replay.playing));
$("slider").addEventListener("input", (e) => { togglePlay(false); showFrame(+e.target.value); });
poll();
