// Overview: one row per process (data-process="NAME"), updated in place every second; recommendations.
'use strict';
W.COLUMNS = [
  ['state', 'State', ''], ['pid', 'PID', 'num'], ['uptime', 'Uptime', 'num'], ['rss', 'RSS', 'num'],
  ['growth', 'MiB/min', 'num'], ['severity', 'Severity', ''], ['fds', 'FDs', 'num'], ['threads', 'Threads', 'num'],
  ['cpu', 'CPU %', 'num'], ['restarts', 'Restarts', 'num'], ['reason', 'Last reason', 'reason'],
];
W.UP = new Set(['RUNNING', 'STARTING', 'BACKOFF']);

/** The action buttons of one process; `data-action` says what each does. */
W.actionButtons = function (name) {
  const label = verb => verb + ' ' + name;
  return [
    W.el('button', { type: 'button', 'data-action': 'start', 'aria-label': label('Start') }, 'Start'),
    W.el('button', { type: 'button', 'data-action': 'stop', 'aria-label': label('Stop') }, 'Stop'),
    W.el('button', { type: 'button', 'data-action': 'restart', 'aria-label': label('Restart') }, 'Restart'),
    W.el('button', { type: 'button', 'data-action': 'cleanup', hidden: true }, 'Send cleanup signal'),
  ];
};
/** Enables the buttons that make sense in `p.state`; shows cleanup where `cleanup_signal` is set. */
W.updateButtons = function (container, p) {
  const up = W.UP.has(p.state);
  for (const b of container.querySelectorAll('button[data-action]')) {
    if (b.dataset.busy) continue;
    const action = b.dataset.action;
    if (action === 'start') b.disabled = up;
    if (action === 'stop') b.disabled = !up;
    if (action === 'cleanup') {
      b.hidden = !p.cleanup_signal;
      b.disabled = !p.pid;
      b.dataset.signal = p.cleanup_signal || '';
      b.setAttribute('aria-label', 'Send cleanup signal ' + (p.cleanup_signal || '') + ' to ' + p.name);
      b.title = 'Send ' + (p.cleanup_signal || '') + ' (cleanup_signal) to the main process';
    }
  }
};
/** Click handler for any container of action buttons (event delegation). */
W.onAction = async function (event) {
  const b = event.target.closest('button[data-action]');
  const holder = b && b.closest('[data-process]');
  if (!holder) return;
  const name = holder.dataset.process, action = b.dataset.action;
  const verb = action === 'cleanup' ? 'Send ' + b.dataset.signal + ' to' : action[0].toUpperCase() + action.slice(1);
  if ((action === 'stop' || action === 'restart') && !(await W.confirm(verb + ' ' + name + '?'
    + (action === 'stop' ? ' It stays down until started again.' : ' Its main process gets its stop signal, then a new one starts.'), verb + ' ' + name))) {
    W.say(verb + ' ' + name + ': cancelled');
    return;
  }
  b.dataset.busy = '1';
  try {
    await W.act(b, verb + ' ' + name, () => W.processAction(action, name, action === 'cleanup' ? b.dataset.signal : null));
  } finally {
    delete b.dataset.busy;
  }
};

/** Whether `p` has no process (stopped, exited, between restarts): no grade and no growth are shown. */
W.isDown = p => p.pid === null || p.pid === undefined;
W.processCells = function (p) {
  return {
    state: p.state, pid: W.isDown(p) ? '—' : String(p.pid), uptime: W.fmt.duration(p.uptime_seconds),
    rss: W.fmt.bytes(p.tree_rss_bytes ?? p.rss_bytes), growth: W.isDown(p) ? '—' : W.fmt.rate(p.leak.rss_growth_mb_per_min),
    fds: W.fmt.num(p.fds), threads: W.fmt.num(p.threads), cpu: W.fmt.num(p.cpu_percent, 1),
    restarts: String(p.restarts), reason: p.last_restart_cause || W.reasonText(p.last_restart_reason) || p.spawn_error || '—',
  };
};

W.pages.overview = function (main) {
  const summary = W.el('div', { class: 'card summary', 'aria-live': 'off' });
  const recs = W.el('ol', { class: 'recs' });
  const recBox = W.el('section', { class: 'card', 'aria-labelledby': 'recs-h', hidden: true },
    W.el('h2', { id: 'recs-h' }, 'Recommendations'), recs);
  const head = W.el('tr', {}, W.el('th', { scope: 'col' }, 'Process'),
    ...W.COLUMNS.map(([, title, cls]) => W.el('th', { scope: 'col', class: cls }, title)), W.el('th', { scope: 'col' }, 'Actions'));
  const body = W.el('tbody');
  const table = W.el('table', { class: 'procs' }, W.el('caption', { class: 'skip' }, 'Processes'), W.el('thead', {}, head), body);
  main.append(W.el('h1', {}, 'Processes'), summary, recBox, W.el('div', { class: 'table-wrap' }, table));
  body.addEventListener('click', W.onAction);
  const rows = new Map();
  let first = true;

  // One row built once, then cloned per process (much cheaper than building 500 rows node by node).
  const template = W.el('tr', {}, W.el('td', { class: 'name', 'data-label': 'Process' }, W.el('a')),
    ...W.COLUMNS.map(([key, title, cls]) => W.el('td', { class: cls + ' f-' + key, 'data-label': title, 'data-field': key },
      ...(key === 'severity' ? [W.severity('none'), W.el('small', { class: 'note' })]
        : key === 'state' ? [W.el('span', { class: 'state' }), W.el('span', { class: 'loop', hidden: true }, 'LOOP')] : []))),
    W.el('td', { class: 'actions', 'data-label': 'Actions' }, ...W.actionButtons('')));
  function row(p) {
    const tr = template.cloneNode(true);
    tr.dataset.process = p.name;
    const link = tr.firstChild.firstChild;
    link.href = '/process/' + encodeURIComponent(p.name);
    link.textContent = p.name;
    const cells = {};
    W.COLUMNS.forEach(([key], i) => { cells[key] = tr.children[i + 1]; });
    for (const b of tr.lastChild.children) b.setAttribute('aria-label', b.textContent + ' ' + p.name);
    return { tr, cells };
  }

  async function refresh() {
    const list = (await W.get('/v1/processes')).processes;
    const seen = new Set();
    let graded = 0, running = 0;
    const fragment = document.createDocumentFragment();
    for (const p of list) {
      seen.add(p.name);
      let r = rows.get(p.name);
      if (!r) { r = row(p); rows.set(p.name, r); fragment.append(r.tr); }
      const values = W.processCells(p);
      for (const [key, text] of Object.entries(values)) {
        const cell = key === 'state' ? r.cells.state.firstChild : r.cells[key];
        W.setText(cell, text);
      }
      r.cells.state.firstChild.className = 'state state-' + p.state;
      r.cells.reason.title = values.reason;
      const severity = W.isDown(p) ? '—' : p.leak.severity;
      W.setSeverity(r.cells.severity.firstChild, severity);
      W.setText(r.cells.severity.lastChild, W.isDown(p) ? '' : W.gradeNote(p.leak));
      const loop = r.cells.state.lastChild;
      loop.hidden = !p.restart_loop;
      if (loop.title !== W.loopText(p.restart_loop)) loop.title = W.loopText(p.restart_loop);
      const cls = W.GRADES.includes(severity) ? 'graded-' + severity : '';
      if (r.tr.className !== cls) r.tr.className = cls;
      W.updateButtons(r.tr, p);
      if (p.state === 'RUNNING') running++;
      if (['medium', 'high', 'critical'].includes(severity)) graded++;
    }
    body.append(fragment);
    for (const [name, r] of rows) if (!seen.has(name)) { r.tr.remove(); rows.delete(name); }
    summary.replaceChildren(
      W.el('span', {}, W.el('b', {}, String(list.length)), ' processes'),
      W.el('span', {}, W.el('b', {}, String(running)), ' running'),
      W.el('span', {}, W.el('b', {}, String(graded)), ' growing (medium or worse)'));
    if (first) {
      first = false;
      performance.mark('warden-first-render');
      document.body.dataset.ready = '1';
      W.firstRendered();
    }
  }

  async function recommendations() {
    const list = (await W.get('/ui/recommendations')).recommendations;
    recBox.hidden = list.length === 0;
    const items = list.map(r => W.el('li', { 'data-kind': r.kind }, W.severity(r.severity), ' ', r.text));
    if (recs.textContent !== items.map(i => i.textContent).join('')) recs.replaceChildren(...items);
  }

  W.live(refresh, 1000);
  // The rest waits for the first render: with 500 processes the 2 cores go to the table first.
  W.afterFirstRender(() => W.live(recommendations, 2000));
};
