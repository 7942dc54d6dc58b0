/**
 * The traffic panel: charts of the figures seen since the page opened (request rate, error rate, latency, by
 * model and by version) and the per-version figures over a recent window (p50/p95 latency) when the router
 * offers them (GET /api/models/{id}/metrics?window=5m answering with `versions`).
 */
import { LineChart } from './charts.js';
import { el, note, number, show, table } from './dom.js';
import { percent, SeriesSet } from './series.js';

export const WINDOW = '5m';

const CHARTS = [
  { id: 'model-rate', title: 'Requests per second by model', unit: 'req/s', of: 'model', figure: 'rate' },
  {
    id: 'model-errors',
    title: 'Error rate by model',
    unit: '%',
    of: 'model',
    figure: 'errorRate',
    scale: (v) => v * 100,
  },
  {
    id: 'version-rate',
    title: 'Requests per second by version',
    unit: 'req/s',
    of: 'version',
    figure: 'rate',
  },
  {
    id: 'version-latency',
    title: 'Mean latency by version (each poll interval)',
    unit: 'ms',
    of: 'version',
    figure: 'meanLatencyMs',
    floor: 10,
  },
];

/** Reads a windowed figure whichever spelling the API uses (snake_case in REST bodies, camelCase in code). */
function pick(figures, snake, camel) {
  return figures?.[snake] ?? figures?.[camel];
}

export class TrafficPanel {
  constructor(chartsContainer, windowContainer) {
    this.windowContainer = windowContainer;
    this.charts = new Map();
    this.series = new Map();
    for (const spec of CHARTS) {
      const holder = el('div', { class: 'chart', id: `chart-${spec.id}` });
      chartsContainer.append(holder);
      this.charts.set(spec.id, new LineChart(holder, spec));
      this.series.set(spec.id, new SeriesSet());
    }
  }

  /** Adds one poll's interval figures (`byModel`, `byVersion`: name -> figures, absent when unknown). */
  add(timeSeconds, byModel, byVersion) {
    for (const spec of CHARTS) {
      const source = spec.of === 'model' ? byModel : byVersion;
      const values = {};
      for (const [name, figures] of Object.entries(source)) values[name] = figures?.[spec.figure] ?? null;
      this.series.get(spec.id).push(timeSeconds, values);
      this.charts.get(spec.id).update(this.series.get(spec.id));
    }
  }

  /** `windowed`: model id -> the windowed report; `supported`: false when the router has no `window`. */
  renderWindow(windowed, supported) {
    if (!supported) {
      show(
        this.windowContainer,
        note(`This router does not offer windowed figures (GET /api/models/{id}/metrics?window=${WINDOW}).`),
      );
      return;
    }
    const rows = [];
    for (const [model, report] of Object.entries(windowed)) {
      for (const [version, f] of Object.entries(report?.versions ?? {})) {
        rows.push(
          el(
            'tr',
            { 'data-model': model, 'data-version': version },
            el('td', {}, model),
            el('td', {}, version),
            el('td', { class: 'num' }, number(f.requests)),
            el('td', { class: 'num' }, percent(pick(f, 'error_rate', 'errorRate'))),
            el('td', { class: 'num' }, percent(pick(f, 'fallback_rate', 'fallbackRate'))),
            el('td', { class: 'num' }, number(pick(f, 'p50_latency_ms', 'p50LatencyMs'))),
            el('td', { class: 'num' }, number(pick(f, 'p95_latency_ms', 'p95LatencyMs'))),
            el('td', { class: 'num' }, number(pick(f, 'p99_latency_ms', 'p99LatencyMs'))),
          ),
        );
      }
    }
    show(
      this.windowContainer,
      rows.length
        ? table(['Model', 'Version', 'Requests', 'Errors', 'Fallbacks', 'p50 ms', 'p95 ms', 'p99 ms'], rows, {
            id: 'window-table',
          })
        : note(`No requests in the last ${WINDOW}.`),
    );
  }

  /** What each chart draws, by series name. */
  drawn() {
    return Object.fromEntries([...this.charts].map(([id, chart]) => [id, chart.drawn()]));
  }
}
