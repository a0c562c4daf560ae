// Process page: status, actions, charts of RSS / fds / threads from history, last leak verdict, recent events.
'use strict';
W.LEAK_EVENTS = new Set(['leak-restart', 'leak-alert', 'cleanup-signal']);

W.pages.process = function (main, path) {
  let name;
  try {
    name = decodeURIComponent(path.slice('/process/'.length));
  } catch (e) {
    return W.pages.missing(main, path, 'malformed process name in the address: ' + path.slice('/process/'.length));
  }
  if (!name) return W.pages.missing(main, path, 'no process name in the address: use /process/NAME');
  let hours = 0.25;
  let stop = null;
  const facts = W.el('dl', { class: 'facts' });
  const header = W.el('div', { class: 'card', 'data-process': name }, facts,
    W.el('p', { class: 'actions' }, ...W.actionButtons(name)));
  header.addEventListener('click', W.onAction);
  const charts = W.el('div', { class: 'charts' });
  const evidence = W.el('div', { class: 'card', id: 'evidence' });
  const events = W.el('tbody');
  main.append(
    W.el('p', {}, W.el('a', { href: '/' }, '← Overview')),
    W.el('h1', {}, name), header,
    W.el('h2', {}, 'History'), W.rangeButtons(hours, h => { hours = h; refresh().catch(e => W.say(e.message, true)); }),
    W.chartLegend(), charts,
    W.el('h2', {}, 'Last leak verdict'), evidence,
    W.el('h2', {}, 'Recent events'),
    W.el('div', { class: 'table-wrap' }, W.el('table', {},
      W.el('thead', {}, W.el('tr', {}, ...['Time', 'Event', 'Detail'].map(h => W.el('th', { scope: 'col' }, h)))), events)));

  const fact = (term, value) => [W.el('dt', {}, term), W.el('dd', {}, value)];
  function showStatus(p) {
    const down = p.pid === null || p.pid === undefined;  // no process: no grade, no growth (as `warden status`)
    facts.replaceChildren(
      ...fact('State', W.el('span', { class: 'state state-' + p.state }, p.state)),
      ...fact('Severity', down ? '—' : W.el('span', {}, W.severity(p.leak.severity), ' ', W.el('small', { class: 'note' }, W.gradeNote(p.leak)))),
      ...(p.restart_loop ? fact('Restart loop', W.el('span', {}, W.el('span', { class: 'loop' }, 'LOOP'), ' ' + W.loopText(p.restart_loop))) : []),
      ...fact('PID', p.pid ?? '—'), ...fact('Uptime', W.fmt.duration(p.uptime_seconds)),
      ...fact('RSS (tree)', W.fmt.bytes(p.rss_bytes) + ' (' + W.fmt.bytes(p.tree_rss_bytes) + ')'),
      ...fact('Growth', down ? '—' : W.fmt.rate(p.leak.rss_growth_mb_per_min) + ' MiB/min, ' + W.fmt.rate(p.leak.fd_growth_per_min)
        + ' fds/min, ' + W.fmt.rate(p.leak.thread_growth_per_min) + ' threads/min'),
      ...fact('FDs / threads / CPU', W.fmt.num(p.fds) + ' / ' + W.fmt.num(p.threads) + ' / ' + W.fmt.num(p.cpu_percent, 1) + ' %'),
      ...fact('Restarts', p.restarts + (p.last_restart_cause || p.last_restart_reason ? ' — last: ' + (p.last_restart_cause || W.reasonText(p.last_restart_reason)) : '')),
      ...fact('Cleanup signal', p.cleanup_signal || 'not set'),
      ...(p.description ? fact('Note', W.reasonText(p.description)) : []));
    W.updateButtons(header, p);
  }

  function showEvidence(list) {
    const last = list.filter(e => W.LEAK_EVENTS.has(e.event) && e.evidence).pop();
    if (!last) { evidence.replaceChildren(W.el('p', { class: 'muted' }, 'No leak verdict recorded in the last 7 days.')); return; }
    const ev = last.evidence;
    const rows = [
      ['Verdict', last.event + (last.reason ? ' (' + W.reasonText(last.reason) + ')' : '') + (last.new_severity ? ', ' + last.new_severity : '')],
      ['When', W.fmt.when(last.time)], ['RSS growth', W.fmt.rate(ev.rss_growth_mb_per_min) + ' MiB/min'],
      ['RSS (tree)', W.fmt.bytes(ev.rss_bytes) + ' (' + W.fmt.bytes(ev.tree_rss_bytes) + ')'],
      ['FDs', W.fmt.num(ev.fds) + ' (' + W.fmt.rate(ev.fd_growth_per_min) + '/min)'],
      ['Threads', W.fmt.num(ev.threads) + ' (' + W.fmt.rate(ev.thread_growth_per_min) + '/min)'],
      ['Window', W.fmt.num(ev.window_seconds) + ' s, ' + W.fmt.num(ev.samples) + ' samples'],
    ];
    if (last.message) rows.push(['Message', last.message]);
    evidence.replaceChildren(W.el('dl', { class: 'facts', 'data-verdict': last.event }, ...rows.flatMap(([k, v]) => fact(k, v))));
  }

  /** `RUNNING → EXITED: the main process exited — exit status 1` (the reason in words, then exit status and message). */
  function describe(e) {
    const facts = [e.exit_status, e.message].filter(Boolean);
    if (e.event === 'state-change') {
      const reason = W.reasonText(e.restart_reason || e.reason);
      return [(e.old_state || '') + ' → ' + (e.new_state || '') + (reason ? ': ' + reason : ''), ...facts].join(' — ');
    }
    if (e.event === 'severity-change') {
      // grade-confirmed keeps the grade (old = new): say so rather than `critical → critical`.
      const change = e.reason === 'grade-confirmed' ? (e.new_severity || '') + ' confirmed (final grade)'
        : (e.old_severity || '') + ' → ' + (e.new_severity || '') + (e.provisional ? ' (provisional)' : '');
      return [change, e.evidence && e.evidence.forecast].filter(Boolean).join(' — ');
    }
    return [W.reasonText(e.reason), ...facts].filter(Boolean).join(' — ');
  }

  async function refresh() {
    const now = Date.now() / 1000, range = [now - hours * 3600, now];
    const q = 'process=' + encodeURIComponent(name);
    let status;
    try {
      status = await W.get('/v1/processes?name=' + encodeURIComponent(name));
    } catch (e) {
      if (!(e instanceof W.ApiError) || e.status !== 404) throw e;
      if (stop) stop();
      return W.pages.missing(main, path, e.message);  // "no such process: NAME", and no buttons
    }
    const [history, evs] = await Promise.all([
      W.get('/v1/processes/' + encodeURIComponent(name) + '/history?hours=' + hours),
      W.get('/v1/events?' + q + '&hours=168'),
    ]);
    if (status.processes[0]) showStatus(status.processes[0]);
    const points = history.points.map(p => ({ t: W.seconds(p.time), p }));
    const bands = W.bands(points.map(({ t, p }) => ({ t, severity: p.severity })), now);
    const markers = evs.events.filter(e => (e.event === 'state-change' && e.restart_reason) || e.event === 'leak-restart')
      .map(e => ({ t: W.seconds(e.time), leak: e.event === 'leak-restart', label: (e.event === 'leak-restart' ? 'leak restart: ' : 'restart: ') + (e.reason || e.restart_reason) + ' at ' + W.fmt.when(e.time) }));
    const width = charts.clientWidth >= 1000 ? charts.clientWidth / 2 - 40 : charts.clientWidth - 26;
    const mb = v => (v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1)) + ' MiB';
    const toMB = b => (b === null || b === undefined ? undefined : b / 1048576);
    const specs = [
      { id: 'rss', title: 'RSS', format: mb, wide: true, points: points.map(({ t, p }) => ({ t, v: toMB(p.rss_bytes), lo: toMB(p.rss_bytes_min), hi: toMB(p.rss_bytes_max) })) },
      { id: 'fds', title: 'Open file descriptors', integer: true, format: v => Math.round(v).toString(), points: points.map(({ t, p }) => ({ t, v: p.fds })) },
      { id: 'threads', title: 'Threads', integer: true, format: v => Math.round(v).toString(), points: points.map(({ t, p }) => ({ t, v: p.threads })) },
    ];
    charts.replaceChildren(...specs.map(s => W.el('section', { class: 'card chart-box' + (s.wide ? ' wide' : '') },
      W.el('h3', {}, s.title + (history.resolution_seconds ? ' (' + history.resolution_seconds + ' s buckets)' : '')),
      W.chart({ ...s, range, bands, markers, width: s.wide ? charts.clientWidth - 26 : width }))));
    showEvidence(evs.events);
    const recent = evs.events.slice(-25).reverse();
    events.replaceChildren(...recent.map(e => W.el('tr', { 'data-event': e.event },
      W.el('td', {}, W.fmt.when(e.time)), W.el('td', {}, e.event), W.el('td', {}, describe(e)))));
  }
  stop = W.live(refresh, 2000);
};
