// Pools page (usage over time against 80 % / 95 %, per-worker attribution, long-running) and alerts page
// (active and resolved, acknowledge or snooze).
'use strict';
W.pages.pools = function (main) {
  let hours = 0.25;
  const box = W.el('div');
  main.append(W.el('h1', {}, 'Connection pools'),
    W.rangeButtons(hours, h => { hours = h; refresh().catch(e => W.say(e.message, true)); }), box);

  // Per worker: connections, their share of max, and (PostgreSQL on this host) the backends serving them.
  function attribution(p) {
    const total = Math.max(1, p.max || 0);
    const memory = p.backend_memory;
    const workers = Object.entries(p.by_worker).filter(([w, n]) => n > 0 || (memory && memory[w] && memory[w].backends > 0)).sort((a, b) => b[1] - a[1]);
    const backends = m => (m && m.backends ? W.fmt.bytes(m.rss_bytes) + ' / ' + W.fmt.bytes(m.pss_bytes) : '—');
    const row = (label, n, m) => W.el('tr', { 'data-worker': label }, W.el('td', {}, label), W.el('td', { class: 'num' }, String(n)),
      W.el('td', { class: 'share' }, (() => { const bar = W.el('div', { class: 'bar', role: 'img', 'aria-label': Math.round((100 * n) / total) + ' % of max' }, W.el('span')); bar.firstChild.style.width = Math.min(100, (100 * n) / total) + '%'; return bar; })()),
      memory ? W.el('td', { class: 'num', 'data-field': 'backend-memory', title: m ? m.backends + ' server processes' : null }, label === 'unattributed' ? '' : backends(m)) : null);
    const head = [['Worker'], ['Conns', 'num'], ['Share of max', 'share']].concat(memory ? [['Backends RSS / PSS', 'num']] : []);
    return W.el('div', { class: 'table-wrap' }, W.el('table', { class: 'attribution', 'data-attribution': p.pool },
      W.el('thead', {}, W.el('tr', {}, ...head.map(([h, cls]) => W.el('th', { scope: 'col', class: cls || null }, h)))),
      W.el('tbody', {}, ...workers.map(([w, n]) => row(w, n, memory && memory[w])), row('unattributed', p.unattributed))));
  }
  function longRunning(p) {
    if (!p.long_running.length) return W.el('p', { class: 'muted' }, 'No long-running transactions.');
    return W.el('div', { class: 'table-wrap' }, W.el('table', { 'data-long-running': p.pool },
      W.el('thead', {}, W.el('tr', {}, ...['Id', 'Worker', 'State', 'Age', 'Client'].map(h => W.el('th', { scope: 'col' }, h)))),
      W.el('tbody', {}, ...p.long_running.map(l => W.el('tr', {}, W.el('td', {}, l.id), W.el('td', {}, l.worker || 'unattributed'),
        W.el('td', {}, l.state || ''), W.el('td', { class: 'num' }, W.fmt.duration(l.age_seconds)), W.el('td', {}, l.client || ''))))));
  }

  async function refresh() {
    const now = Date.now() / 1000;
    const [current, history] = await Promise.all([W.get('/v1/pools'), W.get('/v1/pools/history?hours=' + hours)]);
    if (!current.pools.length) {
      box.replaceChildren(W.el('p', { class: 'card muted' }, 'No pools: configure a collector ([collectors.NAME]) to see connection pools.'));
      return;
    }
    box.replaceChildren(...current.pools.map(p => {
      const h = history.pools.find(x => x.collector === p.collector && x.pool === p.pool);
      const points = (h ? h.points : []).filter(x => x.usage !== null).map(x => ({ t: W.seconds(x.time), v: x.usage * 100 }));
      const usage = p.usage === null ? '—' : Math.round(p.usage * 100) + ' %';
      const sev = p.usage >= 0.95 ? 'critical' : p.usage >= 0.8 ? 'warning' : 'none';
      return W.el('section', { class: 'card', 'data-pool': p.pool },
        W.el('h2', {}, p.pool + ' ', W.el('span', { class: 'muted' }, '(' + p.collector + ')'), ' ', W.el('span', { class: 'sev sev-' + sev }, usage)),
        W.el('p', {}, `${p.in_use} in use, ${p.idle} idle of ${p.max}` + (p.waiting !== null ? `, ${p.waiting} waiting` : '') + ` — ${W.fmt.when(p.collected_at)}`),
        W.el('div', { class: 'pool-grid' },
          W.el('div', {}, W.chart({ id: 'pool-usage', title: 'Usage', format: v => Math.round(v) + ' %', points, range: [now - hours * 3600, now], yMax: 100,
            lines: [{ v: 80, label: '80 %', cls: 'ref-80' }, { v: 95, label: '95 %', cls: 'ref-95' }], width: box.clientWidth > 760 ? box.clientWidth * 0.56 : box.clientWidth - 26 })),
          W.el('div', {}, W.el('h3', {}, 'By worker'), attribution(p))),
        W.el('h3', {}, 'Long-running transactions'), longRunning(p));
    }));
  }
  W.live(refresh, 2000);
};

/** A leak verdict's figures in one line: `RSS 512 MiB, +31.2 MiB/min over 300 s`. */
W.evidenceText = ev => (ev ? 'RSS ' + W.fmt.bytes(ev.tree_rss_bytes ?? ev.rss_bytes) + ', ' + W.fmt.rate(ev.rss_growth_mb_per_min) + ' MiB/min'
  + (ev.window_seconds ? ' over ' + W.fmt.num(ev.window_seconds) + ' s' : '') : '');

W.SNOOZES = [['15 min', 900], ['1 h', 3600], ['4 h', 14400], ['24 h', 86400]];

W.pages.alerts = function (main) {
  const active = W.el('div'), resolved = W.el('div');
  main.append(W.el('h1', {}, 'Alerts'), W.el('h2', {}, 'Active'), active, W.el('h2', {}, 'Resolved (last 24 h)'), resolved);
  let marks = new Map();

  async function mark(button, key, action, seconds, label) {
    await W.act(button, label, async () => {
      const answer = await W.post('/ui/acks', { key, action, seconds });
      marks = new Map(answer.acks.map(a => [a.key, a]));
      await refresh(true);
      await W.alertBadge();
      return answer;
    });
  }

  function card(a, open) {
    const key = W.alertKey(a), m = marks.get(key);
    const loudness = m ? m.loudness : 'loud';
    const where = [a.collector, a.pool, a.worker || a.process].filter(Boolean).join(' · ');
    const facts = [a.reason && 'reason: ' + a.reason, a.occurrences > 1 && a.occurrences + ' occurrences', W.evidenceText(a.evidence)].filter(Boolean).join(' · ');
    const node = W.el('article', { class: 'card alert sev-border-' + a.severity + (loudness !== 'loud' || !open ? ' quiet' : ''), 'data-alert': a.kind, 'data-loudness': loudness },
      W.severity(a.severity), W.el('b', {}, a.kind),
      W.el('span', { class: 'msg' }, a.message, W.el('br'), W.el('span', { class: 'muted' }, where + ' — since ' + W.fmt.when(a.started_at) + (a.resolved_at ? ', resolved ' + W.fmt.when(a.resolved_at) : '')),
        facts ? W.el('span', { class: 'facts-line', 'data-field': 'facts' }, facts) : null));
    if (!open) return node;
    const marksBox = W.el('div', { class: 'marks' });
    if (loudness === 'loud') {
      const ack = W.el('button', { type: 'button', 'data-mark': 'acknowledge' }, 'Acknowledge');
      ack.addEventListener('click', () => mark(ack, key, 'acknowledge', null, 'Acknowledge ' + a.kind));
      const select = W.el('select', { 'aria-label': 'Snooze for' }, ...W.SNOOZES.map(([l, s]) => W.el('option', { value: s }, l)));
      const snooze = W.el('button', { type: 'button', 'data-mark': 'snooze' }, 'Snooze');
      snooze.addEventListener('click', () => mark(snooze, key, 'snooze', Number(select.value), 'Snooze ' + a.kind));
      marksBox.append(ack, select, snooze);
    } else {
      const clear = W.el('button', { type: 'button', 'data-mark': 'clear' }, 'Unmute');
      clear.addEventListener('click', () => mark(clear, key, 'clear', null, 'Unmute ' + a.kind));
      marksBox.append(W.el('span', { class: 'muted' }, loudness === 'snoozed' ? 'snoozed until ' + W.fmt.when(m.until) : 'acknowledged'), clear);
    }
    node.append(marksBox);
    return node;
  }

  async function refresh(force) {
    const [alerts, acks] = await Promise.all([W.get('/v1/alerts?hours=24'), W.get('/ui/acks')]);
    marks = new Map(acks.acks.map(a => [a.key, a]));
    // A periodic refresh does not pull the focused control out from under the keyboard.
    if (force !== true && document.activeElement && document.activeElement.closest('.alert')) return;
    const open = alerts.alerts.filter(a => !a.resolved_at);
    const rank = a => (marks.has(W.alertKey(a)) && marks.get(W.alertKey(a)).loudness !== 'loud' ? 1 : 0);
    open.sort((a, b) => rank(a) - rank(b));
    active.replaceChildren(...(open.length ? open.map(a => card(a, true)) : [W.el('p', { class: 'muted' }, 'No active alerts.')]));
    const done = alerts.alerts.filter(a => a.resolved_at).reverse();
    resolved.replaceChildren(...(done.length ? done.map(a => card(a, false)) : [W.el('p', { class: 'muted' }, 'None.')]));
  }
  W.live(refresh, 2000);
};
