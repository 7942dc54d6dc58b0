/** The models panel: every model the key may see, its versions, readiness with the reason, and traffic split. */
import { el, number, show, table } from './dom.js';
import { percent } from './series.js';

const shares = (list) => (list ?? []).map((t) => `${t.version}=${t.weight}`).join(',');

/**
 * The traffic split of a model with one (GET /api/models/{id} `traffic`): the split requests follow now
 * (`effective`), then what spec.traffic asks when that differs (a version not ready or deprecated gives its
 * share to the others), and what keeps a client on one version. Without a split, every request that names no
 * version goes to the default version.
 */
export function trafficText(model) {
  const traffic = model.traffic;
  if (!traffic) return model.default_version ? `${model.default_version}=100` : '–';
  const now = shares(traffic.effective) || `${model.default_version ?? '–'}=100`;
  const configured = shares(traffic.configured);
  const sticky = traffic.sticky ? ` sticky by ${traffic.sticky.header ?? traffic.sticky.by}` : '';
  return `${now}${configured === now ? '' : ` (spec ${configured})`}${sticky}`;
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
    el('td', { class: 'traffic' }, trafficText(model)),
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
