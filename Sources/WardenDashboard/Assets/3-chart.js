// SVG line charts: a series over a time range, with severity bands, restart markers and reference lines.
'use strict';
W.RANGES = [['15m', 0.25], ['1h', 1], ['6h', 6], ['24h', 24], ['7d', 168]];

/** A rounded-up axis maximum (1, 2, 2.5, 5 × 10^n). */
W.niceCeil = function (v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
};

/** Runs of consecutive points graded low or worse: [{t0, t1, severity}]. */
W.bands = function (points, end) {
  const out = [];
  let open = null;
  points.forEach((p, i) => {
    const sev = W.GRADES.includes(p.severity) ? p.severity : null;
    const next = i + 1 < points.length ? points[i + 1].t : end;
    if (open && open.severity === sev) { open.t1 = next; return; }
    if (sev) { open = { t0: p.t, t1: next, severity: sev }; out.push(open); } else open = null;
  });
  return out;
};

/** Splits points into runs without gaps: a point without a value, or a pause longer than 3 × the median
 * spacing (and 5 s), ends a run. */
W.runs = function (points) {
  const steps = [];
  for (let i = 1; i < points.length; i++) steps.push(points[i].t - points[i - 1].t);
  steps.sort((a, b) => a - b);
  const gap = Math.max(5, 3 * (steps.length ? steps[Math.floor(steps.length / 2)] : 0));
  const out = [];
  let run = [];
  for (const p of points) {
    if (p.v === null || p.v === undefined || !isFinite(p.v)) { if (run.length) out.push(run); run = []; continue; }
    if (run.length && p.t - run[run.length - 1].t > gap) { out.push(run); run = []; }
    run.push(p);
  }
  if (run.length) out.push(run);
  return out;
};

/**
 * opts: id, title, unit, format(v), points [{t, v, lo?, hi?}], range [t0, t1], bands, markers [{t, label, leak}],
 * lines [{v, label, cls}], yMax, integer (whole-number ticks), width.
 */
W.chart = function (opts) {
  const width = Math.max(300, Math.round(opts.width || 600)), height = 190;
  const L = 58, R = 12, T = 10, B = 24;
  const [t0, t1] = opts.range;
  let top = 0;
  for (const p of opts.points) top = Math.max(top, p.hi ?? p.v);
  for (const l of opts.lines || []) top = Math.max(top, l.v);
  // Counts (fds, threads) get whole-number ticks: a multiple of 4 for the 4 grid steps.
  const yMax = opts.yMax || (opts.integer ? Math.max(4, Math.ceil(W.niceCeil(top * 1.1) / 4) * 4) : W.niceCeil(top * 1.1));
  const x = t => L + ((t - t0) / (t1 - t0)) * (width - L - R);
  const y = v => T + (1 - v / yMax) * (height - T - B);
  const svg = W.svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'data-chart': opts.id, 'data-points': opts.points.length,
    'aria-label': `${opts.title}: ${opts.points.length} points` + (opts.points.length ? `, latest ${opts.format(opts.points[opts.points.length - 1].v)}` : ''),
  });
  const clampX = t => Math.min(width - R, Math.max(L, x(t)));
  for (const b of opts.bands || []) {
    const x0 = clampX(b.t0), x1 = clampX(b.t1);
    if (x1 <= x0) continue;
    const rect = W.svg('rect', { class: 'band band-' + b.severity, x: x0, y: T, width: Math.max(1, x1 - x0), height: height - T - B });
    rect.append(W.svg('title', {}, 'graded ' + b.severity));
    svg.append(rect);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4, yy = y(v);
    svg.append(W.svg('line', { class: i ? 'grid' : 'axis', x1: L, x2: width - R, y1: yy, y2: yy }));
    svg.append(W.svg('text', { x: L - 6, y: yy + 4, 'text-anchor': 'end' }, opts.format(v)));
  }
  const ticks = width < 500 ? 2 : 4;
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + ((t1 - t0) * i) / ticks;
    // UTC like every time on the dashboard: `12-06` over days, `21:59` (24-hour) within them.
    const label = t1 - t0 > 2 * 86400 ? new Date(t * 1000).toISOString().slice(5, 10) : W.fmt.time(t).slice(0, 5);
    svg.append(W.svg('text', { x: x(t), y: height - 6, 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle' }, label));
  }
  for (const l of opts.lines || []) {
    svg.append(W.svg('line', { class: 'ref ' + (l.cls || ''), x1: L, x2: width - R, y1: y(l.v), y2: y(l.v) }));
    svg.append(W.svg('text', { x: width - R - 2, y: y(l.v) - 3, 'text-anchor': 'end' }, l.label));
  }
  const pts = opts.points.filter(p => p.t >= t0 - 1 && p.t <= t1 + 1);
  const runs = W.runs(pts);
  for (const run of runs) {
    if (!run.some(p => p.lo !== undefined && p.hi !== undefined && p.hi > p.lo)) continue;
    const upper = run.map(p => `${x(p.t).toFixed(1)},${y(p.hi ?? p.v).toFixed(1)}`);
    const lower = run.slice().reverse().map(p => `${x(p.t).toFixed(1)},${y(p.lo ?? p.v).toFixed(1)}`);
    svg.append(W.svg('polygon', { class: 'range', points: upper.concat(lower).join(' ') }));
  }
  // Restart markers under the line; those closer than 4 px merge into one (a crash loop would hide the data).
  const groups = [];
  for (const m of (opts.markers || []).filter(m => m.t >= t0 && m.t <= t1).sort((a, b) => a.t - b.t)) {
    const last = groups[groups.length - 1];
    if (last && x(m.t) - x(last.t) < 4) { last.n++; last.t = m.t; last.leak = last.leak || m.leak; last.label = m.label; } else groups.push({ ...m, n: 1 });
  }
  for (const g of groups) {
    const line = W.svg('line', { class: 'marker' + (g.leak ? ' marker-leak' : ''), 'data-marker': g.leak ? 'leak' : 'restart', x1: x(g.t), x2: x(g.t), y1: T, y2: height - B });
    line.append(W.svg('title', {}, g.n > 1 ? g.n + ' restarts; last ' + g.label : g.label));
    svg.append(line);
  }
  if (runs.length) {
    // One subpath (M…L…) per run: no line across a gap (the worker stopped, no samples).
    const d = runs.map(run => run.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.v).toFixed(1)).join('')).join('');
    svg.append(W.svg('path', { class: 'line', d, 'data-runs': runs.length }));
  } else {
    svg.append(W.svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'no samples in this range'));
  }
  return svg;
};

/** The legend under process charts. */
W.chartLegend = function () {
  const item = (cls, text) => W.el('span', {}, W.el('i', { class: cls }), text);
  return W.el('div', { class: 'legend' }, item('l-low', 'low'), item('l-medium', 'medium'), item('l-high', 'high'),
    item('l-critical', 'critical'), item('l-restart', 'restart'), item('l-leak', 'leak restart'),
    W.el('span', { class: 'tz' }, 'times in UTC'));
};

/** Range buttons (15m … 7d); calls onPick(hours). */
W.rangeButtons = function (current, onPick) {
  const box = W.el('div', { class: 'ranges', role: 'group', 'aria-label': 'Time range' });
  for (const [label, hours] of W.RANGES) {
    const b = W.el('button', { type: 'button', 'aria-pressed': hours === current ? 'true' : 'false', 'data-hours': hours }, label);
    b.addEventListener('click', () => {
      for (const o of box.children) o.setAttribute('aria-pressed', o === b ? 'true' : 'false');
      onPick(hours);
    });
    box.append(b);
  }
  return box;
};
