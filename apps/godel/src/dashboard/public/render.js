// The Godel dashboard's tables and event lines: DOM rows from API items (textContent only, never HTML).
// Loaded before app.js, which calls these through window.GodelDashboardRender.
'use strict';
window.GodelDashboardRender = (() => {
  const $ = (id) => document.getElementById(id);

  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text === undefined || text === null ? '' : String(text);
    if (cls) td.className = cls;
    return td;
  }
  function statusCell(status) {
    const td = cell(status, 'status');
    td.dataset.status = status || '';
    return td;
  }
  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }
  const money = (usd) => (typeof usd === 'number' ? `$${usd.toFixed(4)}` : '-');
  const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '');
  const counts = (c) => Object.entries(c || {}).map(([k, v]) => `${k} ${v}`).join(' · ');

  /** `selected()` is the team shown in detail; `select(team, reload)` changes it (a click, or the first team). */
  function renderTeams(items, selected, select) {
    if (!selected() && items.length > 0) select(items[0].team, false);
    fill(
      $('teams').tBodies[0],
      items.map((t) => {
        const tr = document.createElement('tr');
        tr.dataset.team = t.team;
        tr.dataset.status = t.status;
        if (t.team === selected()) tr.className = 'selected';
        tr.append(cell(t.team), statusCell(t.status), cell(t.intent.length > 120 ? `${t.intent.slice(0, 120)}…` : t.intent), cell(counts(t.tasks)), cell(t.merged, 'num'), cell(money(t.usage && t.usage.costUsd), 'num'), cell(time(t.createdAt)));
        if (t.reason) tr.title = t.reason;
        tr.addEventListener('click', () => select(t.team, true));
        return tr;
      }),
    );
  }

  function renderTasks(items) {
    fill(
      $('tasks').tBodies[0],
      items.map((t) => {
        const tr = document.createElement('tr');
        tr.dataset.task = t.id;
        tr.dataset.status = t.status;
        tr.append(cell(t.id), statusCell(t.status), cell(t.title), cell(t.worker), cell(t.round, 'num'), cell((t.dependsOn || []).join(', ')), cell(t.merged ? t.merged.slice(0, 10) : t.reason || ''));
        return tr;
      }),
    );
  }

  function renderAgents(items) {
    fill(
      $('agents').tBodies[0],
      items.map(({ address, state }) => {
        const tr = document.createElement('tr');
        tr.dataset.agent = address;
        tr.dataset.status = state.status;
        const u = state.usage || {};
        tr.append(cell(`${state.team}:${state.name}`), cell(state.role), statusCell(state.status), cell(u.total ?? 0, 'num'), cell(money(u.costUsd), 'num'));
        if (state.reason) tr.title = state.reason;
        return tr;
      }),
    );
  }

  function renderMergeQueue(items) {
    fill(
      $('merge-queue').tBodies[0],
      items.map((j) => {
        const tr = document.createElement('tr');
        tr.append(cell(j.team), cell(j.task), statusCell(j.state), cell(j.target), cell(j.attemptsMade, 'num'), cell(time(j.queuedAt)));
        return tr;
      }),
    );
  }

  function describe(e) {
    const d = e.data || {};
    const bits = [];
    if (d.task) bits.push(`task ${d.task}`);
    if (d.worker) bits.push(`worker ${d.worker}`);
    if (d.toolName) bits.push(d.toolName);
    if (d.reason) bits.push(String(d.reason));
    if (d.comments) bits.push(String(d.comments));
    if (d.ok !== undefined) bits.push(d.ok ? 'green' : 'red');
    return bits.join(' · ').slice(0, 200);
  }

  return { renderTeams, renderTasks, renderAgents, renderMergeQueue, describe };
})();
