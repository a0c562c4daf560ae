// Warden dashboard: shared helpers, the API client, the live loop and the page router.
// Reads the control API (/v1/...) with the session cookie; every POST carries the CSRF token.
'use strict';
const W = {};
W.csrf = document.querySelector('meta[name="csrf-token"]').content;
W.SVG = 'http://www.w3.org/2000/svg';
W.GRADES = ['low', 'medium', 'high', 'critical'];

/** el('td', {class: 'num', 'data-label': 'PID'}, 'text' | Node ...) */
W.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
};
W.svg = function (tag, attrs, text) {
  const node = document.createElementNS(W.SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};
/** Sets text only when it changed (keeps live updates cheap with 500 rows). */
W.setText = function (node, text) { if (node.textContent !== text) node.textContent = text; };

W.fmt = {
  bytes(b) {
    if (b === null || b === undefined) return '—';
    const mb = b / 1048576;
    return mb >= 1024 ? (mb / 1024).toFixed(2) + ' GiB' : mb >= 10 ? mb.toFixed(0) + ' MiB' : mb.toFixed(1) + ' MiB';
  },
  num(v, digits) { return v === null || v === undefined ? '—' : Number(v).toFixed(digits || 0); },
  rate(v) { return v === null || v === undefined ? '—' : (v > 0 ? '+' : '') + v.toFixed(1); },
  duration(s) {
    if (s === null || s === undefined) return '—';
    s = Math.max(0, Math.floor(s));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  },
  // Times are UTC, 24-hour, as the CLI's RFC 3339: `21:59:17`, `2026-12-06 21:59:17Z` (the header says UTC).
  time(t) { const d = new Date(t * 1000); return isNaN(d) ? '—' : d.toISOString().slice(11, 19); },
  when(iso) {
    const d = iso ? new Date(iso) : null;
    return d && !isNaN(d) ? d.toISOString().slice(0, 19).replace('T', ' ') + 'Z' : '—';
  },
};

/** Transition reasons (TransitionReason's raw values) in words; anything else is shown as it is. */
W.REASONS = {
  initial: 'not started yet', autostart: 'started by autostart', 'start-requested': 'started by an operator',
  'stop-requested': 'stopped by an operator', manual: 'restarted by an operator', exit: 'the main process exited',
  'exited-before-start-seconds': 'exited before start_seconds (a failed start)',
  'exited-before-ready': 'exited before READY=1 (a failed start)',
  'start-seconds-elapsed': 'running: start_seconds passed with the process alive', 'ready-notified': 'running: it sent READY=1',
  'start-timeout': 'no READY=1 within start_timeout', 'spawn-failed': 'could not be started (fork/exec failed)',
  'executable-not-found': 'the executable was not found', 'notify-socket-unavailable': 'needs the notify socket, which Warden lacks',
  'backoff-elapsed': 'next attempt after the backoff delay', 'restart-throttled': 'restart delayed by start_limit_burst',
  'start-retries-exhausted': 'gave up after start_retries failed starts', stopped: 'stopped',
  'stop-timeout-killed': 'stopped with SIGKILL after stop_timeout', 'stop-timeout': 'stop_timeout passed: SIGKILL sent',
  'stopping-notified': 'it announced its shutdown (STOPPING=1)', shutdown: 'Warden is shutting down',
  'memory-growth': 'memory kept growing at the critical rate', 'rss-max': 'RSS stayed above rss_max',
  'memory-pressure': 'host memory pressure (PSI): the fastest critical grower restarted',
  'fds-max': 'open files stayed above fds_max', 'threads-max': 'threads stayed above threads_max',
  'connection-leak': 'its connections kept growing', 'plugin-unresponsive': 'the collector plugin stopped answering',
  'protocol-mismatch': 'the collector plugin speaks another protocol version', watchdog: 'missed its watchdog',
  'restart-loop': 'stopped: in a restart loop (on_loop = "stop")', 'config-changed': 'its configuration changed',
  'added-by-reload': 'added by a reload', 'removed-by-reload': 'removed by a reload',
};
W.reasonText = code => (code && Object.hasOwn(W.REASONS, code) ? W.REASONS[code] : code);
W.seconds = iso => Date.parse(iso) / 1000;

/** A severity badge: the word, coloured by its class (never colour alone). */
W.severity = function (text) {
  return W.el('span', { class: 'sev sev-' + (text || 'none') }, text || 'none');
};
W.setSeverity = function (node, text) {
  text = text || 'none';
  const cls = text === '—' ? 'sev sev-empty' : 'sev sev-' + text;  // no grade: a dash, not an empty badge
  if (node.className !== cls) node.className = cls;
  W.setText(node, text);
};
/** What qualifies a grade: `provisional · final in 1m 40s`, `first grade in 40s`, or '' (a final grade). */
W.gradeNote = function (leak) {
  if (leak.provisional) return 'provisional' + (leak.final_grade_in_seconds != null ? ' · final in ' + W.fmt.duration(Math.ceil(leak.final_grade_in_seconds)) : '');
  if (leak.first_grade_in_seconds != null) return 'first grade in ' + W.fmt.duration(Math.ceil(leak.first_grade_in_seconds));
  return '';
};
/** `restart loop: 5× exit since 10:02:11`, or '' without a loop. */
W.loopText = loop => (loop ? 'restart loop: ' + loop.restarts + '× ' + loop.reason + ' since ' + W.fmt.when(loop.since) : '');

/** Asks `question` in a modal dialog (Esc or Cancel: no; focus starts on Cancel, returns to the caller's
 * control afterwards). Resolves true when `confirmLabel` was chosen. */
W.confirm = function (question, confirmLabel) {
  let dialog = document.getElementById('confirm');
  if (!dialog) {
    dialog = W.el('dialog', { id: 'confirm', 'aria-labelledby': 'confirm-q' }, W.el('p', { id: 'confirm-q' }),
      W.el('div', { class: 'dialog-buttons' }, W.el('button', { type: 'button', value: 'cancel' }, 'Cancel'),
        W.el('button', { type: 'button', value: 'confirm', class: 'primary' })));
    dialog.addEventListener('click', e => { const b = e.target.closest('button'); if (b) dialog.close(b.value); });
    document.body.append(dialog);
  }
  const opener = document.activeElement;
  dialog.querySelector('#confirm-q').textContent = question;
  dialog.querySelector('button[value="confirm"]').textContent = confirmLabel;
  dialog.returnValue = 'cancel';
  return new Promise(resolve => {
    dialog.addEventListener('close', () => { if (opener && opener.focus) opener.focus(); resolve(dialog.returnValue === 'confirm'); }, { once: true });
    dialog.showModal();
    dialog.querySelector('button[value="cancel"]').focus();
  });
};

W.ApiError = class extends Error { constructor(message, status) { super(message); this.status = status; } };
W.get = async function (url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  if (r.status === 401) { location.assign('/login'); throw new W.ApiError('session ended', 401); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new W.ApiError((body.error && body.error.message) || r.status + ' ' + r.statusText, r.status);
  return body;
};
W.post = async function (url, body) {
  const r = await fetch(url, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': W.csrf, Accept: 'application/json' },
    body: JSON.stringify(body || {}),
  });
  if (r.status === 401) { location.assign('/login'); throw new W.ApiError('session ended'); }
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) throw new W.ApiError((answer.error && answer.error.message) || r.status + ' ' + r.statusText);
  return answer;
};

/** The status line under the header (role=status, announced politely). */
W.say = function (text, isError) {
  const node = document.getElementById('status');
  node.textContent = text;
  node.classList.toggle('error', !!isError);
};

/** Calls `fn` now and every `ms` after it finishes; the header says whether updates arrive. */
W.live = function (fn, ms) {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    const live = document.getElementById('live');
    try {
      await fn();
      live.textContent = 'live · ' + W.fmt.time(Date.now() / 1000) + ' UTC';
      live.classList.remove('offline');
    } catch (e) {
      if (!(e instanceof W.ApiError)) console.warn(e);
      live.textContent = 'offline: ' + e.message;
      live.classList.add('offline');
    }
    setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; };
};

/** Runs a state-changing action from `button`, announcing the outcome. */
W.act = async function (button, label, request) {
  button.disabled = true;
  W.say(label + '…');
  try {
    const answer = await request();
    W.say(label + ': done' + (answer && answer.summary ? ' — ' + answer.summary : ''));
    return answer;
  } catch (e) {
    W.say(label + ' failed: ' + e.message, true);
  } finally {
    button.disabled = false;
  }
};

/** POST /v1/processes/{start,stop,restart} or a signal, for one instance. */
W.processAction = async function (verb, name, signal) {
  const answer = signal
    ? await W.post('/v1/processes/signal', { names: [name], signal })
    : await W.post('/v1/processes/' + verb, { names: [name] });
  const p = (answer.processes || [])[0];
  if (p) answer.summary = p.name + ' ' + p.state + (p.pid ? ' (pid ' + p.pid + ')' : '');
  return answer;
};

/** The identity of an alert for acknowledgements (kind, where, since). */
W.alertKey = a => [a.kind, a.collector || '', a.pool || '', a.worker || '', a.process || '', a.started_at].join('|');

/** Loud active alerts → the badge in the nav. */
W.alertBadge = async function () {
  const [alerts, acks] = await Promise.all([W.get('/v1/alerts'), W.get('/ui/acks')]);
  const quiet = new Set(acks.acks.filter(a => a.loudness !== 'loud').map(a => a.key));
  const loud = alerts.alerts.filter(a => !a.resolved_at && !quiet.has(W.alertKey(a))).length;
  const badge = document.getElementById('alert-count');
  badge.hidden = loud === 0;
  W.setText(badge, String(loud));
  badge.setAttribute('aria-label', loud + ' active alerts need attention');
};

/** Work that waits until the page drew its data once (or 1.5 s, for pages that never say). */
W.waiting = [];
W.afterFirstRender = fn => (W.waiting ? W.waiting.push(fn) : fn());
W.firstRendered = () => { const fns = W.waiting || []; W.waiting = null; fns.forEach(fn => fn()); };
setTimeout(() => W.firstRendered(), 1500);

W.pages = {};
document.addEventListener('DOMContentLoaded', () => {
  const path = location.pathname;
  const named = path === '/' ? 'overview' : path.startsWith('/process/') ? 'process' : path.slice(1);
  const page = Object.hasOwn(W.pages, named) ? named : 'missing';
  for (const a of document.querySelectorAll('nav a[data-nav]')) {
    if (a.dataset.nav === page) a.setAttribute('aria-current', 'page');
  }
  document.getElementById('reload').addEventListener('click', e => W.act(e.currentTarget, 'Reload config', async () => {
    const r = await W.post('/v1/reload');
    r.summary = r.changes.length ? r.changes.join('; ') : 'no changes';
    return r;
  }));
  W.afterFirstRender(() => W.live(W.alertBadge, 2000));
  const main = document.getElementById('main');
  main.textContent = '';
  W.pages[page](main, path);
  if (page !== 'overview') W.firstRendered();
});
/** A page that names nothing: what was asked for, and the way back (`detail` replaces the path). */
W.pages.missing = (main, path, detail) => main.replaceChildren(W.el('h1', {}, 'No such page'),
  W.el('p', { class: 'error', 'data-missing': '' }, detail || 'nothing at ' + path), W.el('p', {}, W.el('a', { href: '/' }, 'Back to the overview')));
