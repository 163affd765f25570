// The Godel dashboard: plain JS, no build step, no third-party code. Logs in with an API key
// (POST /api/v1/auth/token), keeps the tokens in sessionStorage, refreshes them before they expire,
// and follows the event log over SSE; each batch of events re-reads the views it may have changed.
'use strict';
(() => {
  const STORE = 'godel.dashboard.tokens';
  const TEAM = 'godel.dashboard.team';
  const EARLY_MS = 30_000;
  const FEED_MAX = 300;

  const $ = (id) => document.getElementById(id);
  let tokens = readTokens();
  let selectedTeam = sessionStorage.getItem(TEAM);
  let source = null;
  let lastSeq = 0;
  let eventCount = 0;
  let refreshing = null;
  let refreshTimer = null;
  let reloadTimer = null;
  let reloading = false;
  let reloadAgain = false;
  let fallbackTimer = null;

  function readTokens() {
    try {
      const t = JSON.parse(sessionStorage.getItem(STORE) || 'null');
      return t && typeof t.accessToken === 'string' && typeof t.refreshToken === 'string' ? t : null;
    } catch {
      return null;
    }
  }

  function saveTokens(t) {
    tokens = t ? { accessToken: t.accessToken, expiresAt: t.expiresAt, refreshToken: t.refreshToken, key: t.key } : null;
    if (tokens) sessionStorage.setItem(STORE, JSON.stringify(tokens));
    else sessionStorage.removeItem(STORE);
    scheduleRefresh();
  }

  async function problem(res) {
    const p = await res.json().catch(() => ({}));
    return Object.assign(new Error(p.detail || `${res.status} ${res.statusText}`), { code: p.code, status: res.status });
  }

  // ---- auth -------------------------------------------------------------------------------------
  async function login(key) {
    const res = await fetch('/api/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
    if (!res.ok) throw await problem(res);
    saveTokens(await res.json());
  }

  /** Spends the refresh token for a new pair; one at a time (a reused refresh token kills the family). */
  function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const res = await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: tokens.refreshToken }) });
        if (!res.ok) {
          const err = await problem(res);
          logout(`Your session ended (${err.code || err.status}): log in again.`);
          throw err;
        }
        saveTokens(await res.json());
      })().finally(() => (refreshing = null));
    }
    return refreshing;
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    if (!tokens) return;
    const wait = Math.max(1000, tokens.expiresAt - EARLY_MS - Date.now());
    refreshTimer = setTimeout(() => refresh().catch(() => undefined), wait);
  }

  async function freshToken() {
    if (!tokens) throw new Error('not logged in');
    if (tokens.expiresAt - EARLY_MS <= Date.now()) await refresh();
    return tokens.accessToken;
  }

  async function api(method, path, body) {
    const call = async () =>
      fetch(path, {
        method,
        headers: { authorization: `Bearer ${await freshToken()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let res = await call();
    if (res.status === 401) {
      const err = await problem(res);
      if (err.code !== 'auth.expired') {
        logout(`Not authenticated (${err.code}): log in again.`);
        throw err;
      }
      await refresh();
      res = await call();
    }
    if (!res.ok) throw await problem(res);
    return res.json();
  }

  function logout(message) {
    saveTokens(null);
    stopStream();
    clearInterval(fallbackTimer);
    $('app-view').hidden = true;
    $('logout').hidden = true;
    $('who').textContent = '';
    $('login-view').hidden = false;
    $('login-error').textContent = message || '';
  }

  // ---- rendering (render.js) ---------------------------------------------------------------------
  const R = window.GodelDashboardRender;
  const renderTeams = (items) => R.renderTeams(items, () => selectedTeam, selectTeam);
  const { renderTasks, renderAgents, renderMergeQueue, describe } = R;

  function addEvents(events) {
    const feed = $('events');
    for (const e of events) {
      if (e.seq <= lastSeq) continue;
      lastSeq = e.seq;
      eventCount++;
      const li = document.createElement('li');
      li.dataset.seq = String(e.seq);
      li.dataset.type = e.type;
      const seq = document.createElement('span');
      seq.className = 'seq';
      seq.textContent = `#${e.seq} ${new Date(e.at).toLocaleTimeString()} `;
      const type = document.createElement('span');
      type.className = 'type';
      type.textContent = e.type;
      li.append(seq, type, document.createTextNode(` ${e.agent || e.team || ''} ${describe(e)}`));
      feed.prepend(li);
    }
    while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
    $('event-count').textContent = String(eventCount);
  }

  // ---- data -------------------------------------------------------------------------------------
  function selectTeam(team, reload) {
    selectedTeam = team;
    sessionStorage.setItem(TEAM, team);
    $('selected-team').textContent = team;
    for (const tr of $('teams').tBodies[0].rows) tr.className = tr.dataset.team === team ? 'selected' : '';
    if (reload) scheduleReload(0);
  }

  async function reloadAll() {
    const [teams, agents, queue] = await Promise.all([api('GET', '/api/v1/teams?limit=50'), api('GET', '/api/v1/agents'), api('GET', '/api/v1/merge-queue')]);
    renderTeams(teams.items);
    renderAgents(agents.items);
    renderMergeQueue(queue.items);
    if (selectedTeam) {
      try {
        renderTasks((await api('GET', `/api/v1/teams/${encodeURIComponent(selectedTeam)}/tasks`)).items);
      } catch (err) {
        if (err.status !== 404) throw err;
        renderTasks([]);
      }
    }
  }

  /** Coalesces reloads: at most one in flight, one more queued behind it. */
  function scheduleReload(delay = 250) {
    if (reloadTimer) return;
    reloadTimer = setTimeout(async () => {
      reloadTimer = null;
      if (reloading) {
        reloadAgain = true;
        return;
      }
      reloading = true;
      try {
        await reloadAll();
      } catch (err) {
        if (tokens) console.warn('godel dashboard: reload failed', err);
      } finally {
        reloading = false;
        if (reloadAgain) {
          reloadAgain = false;
          scheduleReload();
        }
      }
    }, delay);
  }

  // ---- live events (SSE) ------------------------------------------------------------------------
  function setLive(state) {
    $('live').dataset.state = state;
    $('live').textContent = state;
  }

  function stopStream() {
    if (source) source.close();
    source = null;
    setLive('offline');
  }

  /**
   * EventSource cannot send an Authorization header: the stream route alone takes ?access_token=.
   * The browser reconnects by itself (with Last-Event-ID); when it gives up (e.g. the token expired
   * and the server answered 401), a new stream starts after the last event seen, with a fresh token.
   */
  async function startStream() {
    stopStream();
    const token = await freshToken();
    const es = new EventSource(`/api/v1/events/stream?as=message&after=${lastSeq}&access_token=${encodeURIComponent(token)}`);
    source = es;
    es.onopen = () => setLive('live');
    es.onmessage = (m) => {
      addEvents([JSON.parse(m.data)]);
      scheduleReload();
    };
    es.onerror = () => {
      if (source !== es) return;
      setLive('reconnecting');
      if (es.readyState === EventSource.CLOSED) restartStream(es, 1000);
    };
  }

  /**
   * A new stream after `delay` (backing off while the server is away), unless logged out or replaced.
   * EventSource does not say why it gave up: an API call first refreshes an expired token, or logs
   * out when the key was revoked.
   */
  function restartStream(es, delay) {
    setTimeout(() => {
      if (source !== es || !tokens) return;
      api('GET', '/api/v1/auth/whoami')
        .then(() => startStream())
        .catch(() => {
          if (!tokens) return;
          source = es;
          setLive('reconnecting');
          restartStream(es, Math.min(delay * 2, 15_000));
        });
    }, delay);
  }

  async function loadWorkflows() {
    const select = document.querySelector('#intent-form select[name="workflow"]');
    const { items } = await api('GET', '/api/v1/workflows');
    select.replaceChildren(select.options[0], ...items.map((w) => Object.assign(document.createElement('option'), { value: w.name, textContent: `${w.name} (${w.tasks} tasks)` })));
  }

  async function enter() {
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('logout').hidden = false;
    $('who').textContent = tokens.key ? `${tokens.key.name} (${tokens.key.role})` : '';
    if (selectedTeam) $('selected-team').textContent = selectedTeam;
    const recent = await api('GET', '/api/v1/events?latest=true&limit=100');
    addEvents(recent.items);
    await Promise.all([reloadAll(), loadWorkflows(), startStream()]);
    clearInterval(fallbackTimer);
    // a slow safety net; updates normally follow the event stream
    fallbackTimer = setInterval(() => scheduleReload(0), 15_000);
  }

  // ---- forms ------------------------------------------------------------------------------------
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    try {
      await login($('api-key').value.trim());
      $('api-key').value = '';
      await enter();
    } catch (err) {
      $('login-error').textContent = err.code === 'auth.invalid' ? 'The server refused this API key.' : `Login failed: ${err.message}`;
    }
  });

  $('logout').addEventListener('click', () => logout('Logged out.'));

  $('intent-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const f = new FormData(form);
    const body = { intent: String(f.get('intent')), repo: String(f.get('repo')).trim() };
    for (const k of ['verify', 'workflow']) {
      const v = String(f.get(k) || '').trim();
      if (v) body[k] = v;
    }
    const result = $('intent-result');
    result.className = '';
    result.textContent = 'Starting…';
    try {
      const r = await api('POST', '/api/v1/intents', body);
      result.textContent = `Team ${r.team} started (${r.intentId}).`;
      selectTeam(r.team, true);
    } catch (err) {
      result.className = 'error';
      result.textContent = `Not started: ${err.message}`;
    }
  });

  if (tokens) enter().catch((err) => logout(`Could not load the dashboard: ${err.message}`));
  else logout();
})();
