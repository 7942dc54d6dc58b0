/** The models panel: every model the key may see, its versions, readiness with the reason, and traffic split. */
import { el, number, show, table } from './dom.js';
import { percent } from './series.js';

/**
 * The traffic split as `v2=90,v3=10`, from the model details when the router reports one (status.traffic,
 * or a list of {version, weight}); empty when the model sends all its traffic to the default version.
 */
export function trafficText(model) {
  const traffic = model.traffic;
  if (typeof traffic === 'string') return traffic;
  if (Array.isArray(traffic)) return traffic.map((t) => `${t.version}=${t.weight}`).join(',');
  return '';
}

function readiness(item) {
  if (item.ready) return el('span', { class: 'ok' }, 'Ready');
  return el(
    'span',
    { class: 'bad', title: item.message ?? '' },
    `Not ready${item.reason ? `: ${item.reason}` : ''}`,
  );
}

function liveCells(live) {
  return [
    number(live?.rate, 2),
    percent(live?.errorRate),
    percent(live?.fallbackRate),
    percent(live?.cacheHitRate),
  ].map((text) => el('td', { class: 'num' }, text));
}

function versionRow(model, version, live) {
  const labels = [version.default ? 'default' : '', version.deprecated ? 'deprecated' : ''].filter(Boolean);
  return el(
    'tr',
    { class: 'version', 'data-model': model.id, 'data-version': version.version },
    el('td', { class: 'indent' }, version.version, labels.length ? ` (${labels.join(', ')})` : ''),
    el(
      'td',
      {},
      readiness(version),
      version.ready || !version.message ? '' : el('div', { class: 'why' }, version.message),
    ),
    el('td', { class: 'num' }, `${version.ready_replicas}/${version.replicas}`),
    el('td', {}, ''),
    el('td', { class: 'num' }, ''),
    ...liveCells(live),
  );
}

function modelRow(model, totals, live) {
  return el(
    'tr',
    { class: 'model', 'data-model': model.id },
    el('td', {}, el('strong', {}, model.id), el('div', { class: 'why' }, model.provider)),
    el(
      'td',
      {},
      readiness(model),
      model.ready || !model.message ? '' : el('div', { class: 'why' }, model.message),
    ),
    el(
      'td',
      { class: 'num' },
      `${model.versions_ready ?? model.versions?.filter((v) => v.ready).length}/${model.versions_total ?? model.versions?.length}`,
    ),
    el(
      'td',
      { class: 'traffic' },
      trafficText(model) || (model.default_version ? `${model.default_version}=100` : '–'),
    ),
    el('td', { class: 'num' }, number(totals?.requests_count)),
    ...liveCells(live),
  );
}

/**
 * `models`: the details of each model (with versions); `live.model(id)` and `live.version(id, v)`: the
 * figures of the last poll interval; `totals(id)`: the 24-hour figures of GET /api/metrics.
 */
export function renderModels(container, models, live, totals) {
  const rows = models.flatMap((m) => [
    modelRow(m, totals(m.id), live.model(m.id)),
    ...(m.versions ?? []).map((v) => versionRow(m, v, live.version(m.id, v.version))),
  ]);
  show(
    container,
    table(
      [
        'Model / version',
        'Readiness',
        'Ready',
        'Traffic',
        'Requests 24h',
        'Req/s',
        'Errors',
        'Fallbacks',
        'Cache hits',
      ],
      rows,
      { id: 'models-table' },
    ),
  );
}
