/**
 * The dashboard's loop: every few seconds (visible, pausable) it reads the router's REST API with the viewer's
 * key and redraws each panel. Figures are kept only in this page: the charts show what was seen since it
 * opened. Panels in order: models, traffic, usage and cost, batch jobs. Rollout progress (weights over time,
 * SLO figures against their limits) belongs after the models panel once the operator reports rollouts in
 * status; until then there is no panel, rather than one that shows nothing real.
 */
import { ApiError, authMessage, getJson, storedKey, storeKey } from './api.js';
import { note, show } from './dom.js';
import { JobsPanel } from './jobs.js';
import { renderModels } from './models.js';
import { counts, intervalFigures } from './series.js';
import { TrafficPanel, WINDOW } from './traffic.js';
import { renderCost, renderUsage } from './usage.js';

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

const state = {
  paused: false,
  timer: undefined,
  /** A poll is under way; `again`: another was asked for meanwhile. */
  running: false,
  again: false,
  polls: 0,
  windowSupported: true,
  /** key -> {t, counts}: the previous poll's cumulative counts of a model or `model/version`. */
  samples: new Map(),
};

const traffic = new TrafficPanel($('charts'), $('window'));
const jobs = new JobsPanel($('jobs'), $('job-form'));

/** Whatever a request answered, without one refusal sinking the others. */
const settle = (promise) =>
  promise.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );

/**
 * The figures since the previous poll for `key`, remembering this poll's counts for the next. `seenAt`: when
 * the key's parent was last polled; a version the API did not list then (it lists only versions with
 * requests) had no requests then, so its first requests count from zero rather than being lost.
 */
function live(key, figures, t, seenAt) {
  if (!figures) return undefined;
  const now = counts(figures);
  const zero = seenAt === undefined ? undefined : { t: seenAt, counts: counts({}) };
  const before = state.samples.get(key) ?? zero;
  state.samples.set(key, { t, counts: now });
  return before ? intervalFigures(before.counts, now, (t - before.t) / 1000) : undefined;
}

function sectionError(container, error) {
  show(
    container,
    note(
      error instanceof ApiError && error.isAuth ? authMessage(error) : `Failed: ${error.message}`,
      'error',
    ),
  );
}

async function modelsAndTraffic(models, t) {
  const [details, overview, breakdowns, windowed] = await Promise.all([
    Promise.all(models.map((m) => getJson(`/api/models/${enc(m.id)}`).catch(() => m))),
    settle(getJson('/api/metrics')),
    Promise.all(models.map((m) => settle(getJson(`/api/metrics/models/${enc(m.id)}`)))),
    state.windowSupported
      ? Promise.all(models.map((m) => settle(getJson(`/api/models/${enc(m.id)}/metrics?window=${WINDOW}`))))
      : [],
  ]);
  const totals = new Map((overview.value?.models ?? []).map((m) => [m.model_id, m]));
  const byModel = {};
  const byVersion = {};
  models.forEach((m, i) => {
    const seenAt = state.samples.get(m.id)?.t;
    byModel[m.id] = live(m.id, totals.get(m.id), t);
    for (const v of breakdowns[i]?.value?.versions ?? []) {
      byVersion[`${m.id}/${v.version}`] = live(`${m.id}/${v.version}`, v, t, seenAt);
    }
  });
  renderModels(
    $('models'),
    details,
    { model: (id) => byModel[id], version: (id, v) => byVersion[`${id}/${v}`] },
    (id) => totals.get(id),
  );
  if (overview.error) {
    sectionError($('window'), overview.error);
    return;
  }
  traffic.add(t / 1000, byModel, byVersion);
  // A router without the `window` query answers 400 naming it: stop asking for this page's life.
  if (windowed.some((w) => w.error instanceof ApiError && w.error.status === 400))
    state.windowSupported = false;
  const reports = {};
  models.forEach((m, i) => {
    if (windowed[i]?.value) reports[m.id] = windowed[i].value;
  });
  traffic.renderWindow(reports, state.windowSupported);
}

async function usageAndCost() {
  const [usage, cost] = await Promise.all([
    settle(getJson('/api/metrics/usage')),
    settle(getJson('/api/metrics/cost')),
  ]);
  if (usage.error) sectionError($('usage'), usage.error);
  else renderUsage($('usage'), usage.value);
  if (cost.error) sectionError($('cost'), cost.error);
  else renderCost($('cost'), cost.value);
}

function setAuthMessage(text) {
  const banner = $('auth-message');
  banner.textContent = text ?? '';
  banner.hidden = !text;
}

async function poll() {
  const t = Date.now();
  try {
    const { models } = await getJson('/api/models');
    setAuthMessage(undefined);
    await Promise.all([modelsAndTraffic(models, t), usageAndCost(), jobs.refresh()]);
    $('status').textContent = `Updated ${new Date(t).toLocaleTimeString()}`;
  } catch (error) {
    if (error instanceof ApiError && error.isAuth) setAuthMessage(authMessage(error));
    $('status').textContent = `Failed ${new Date(t).toLocaleTimeString()}: ${error.message}`;
  } finally {
    state.polls += 1;
  }
}

/** The next poll after the interval; none while paused, or while a poll runs (it schedules when it ends). */
function schedule() {
  clearTimeout(state.timer);
  if (state.paused || state.running) return;
  state.timer = setTimeout(() => void refreshNow(), Number($('interval').value) * 1000);
}

/**
 * Polls now, one poll at a time: on a slow router a click, a new key or an interval change while a poll
 * runs asks for one more after it rather than stacking requests on the router.
 */
async function refreshNow() {
  clearTimeout(state.timer);
  if (state.running) {
    state.again = true;
    return;
  }
  state.running = true;
  try {
    do {
      state.again = false;
      await poll();
    } while (state.again);
  } finally {
    state.running = false;
  }
  schedule();
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  storeKey($('key').value.trim());
  $('key').value = '';
  // Figures of another key are another caller's: start the live figures afresh.
  state.samples.clear();
  void refreshNow();
});
$('forget-key').addEventListener('click', () => {
  storeKey('');
  state.samples.clear();
  void refreshNow();
});
$('interval').addEventListener('change', schedule);
$('pause').addEventListener('click', () => {
  state.paused = !state.paused;
  $('pause').textContent = state.paused ? 'Resume' : 'Pause';
  if (state.paused) $('status').textContent = 'Paused';
  schedule();
});
$('now').addEventListener('click', () => void refreshNow());
jobs.onChange = () => void refreshNow();
$('key').placeholder = storedKey() ? 'a key is in use (this tab)' : 'none needed on an open router';

/** For the browser tests and the console: how many polls ran, and what each chart draws. */
window.paissiveDashboard = {
  polls: () => state.polls,
  drawn: () => traffic.drawn(),
};

void refreshNow();
