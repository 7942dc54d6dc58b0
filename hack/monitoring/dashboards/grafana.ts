/**
 * A small builder for Grafana dashboards in the classic JSON model (schemaVersion 42, what Grafana 12 and 13
 * import and the Grafana sidecar provisions): panels laid out in rows on the 24-column grid, every query on
 * the `$datasource` variable (type prometheus), so no datasource UID is written anywhere.
 * @module
 */

export const SCHEMA_VERSION = 42;
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a template literal
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export interface Query {
  readonly expr: string;
  /** Grafana legend template, e.g. `{{model}} {{version}}`. */
  readonly legend: string;
}

export interface PanelSpec {
  readonly title: string;
  /** What the panel answers; shown as the panel's (i) tooltip. */
  readonly description: string;
  /** Grafana unit id: reqps, s, percentunit, bytes, short, ops, ... */
  readonly unit: string;
  readonly queries: readonly Query[];
  /** timeseries (default), stat (the latest value) or table (instant values, one row per series). */
  readonly kind?: 'timeseries' | 'stat' | 'table';
  /** Grid columns, out of 24 (default 8: three panels a row). */
  readonly width?: number;
  readonly stack?: boolean;
}

export interface RowSpec {
  readonly row: string;
  readonly panels: readonly PanelSpec[];
}

export interface VariableSpec {
  readonly name: string;
  readonly label: string;
  /** `label_values(metric{...}, label)`. */
  readonly query: string;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly variables: readonly VariableSpec[];
  readonly rows: readonly RowSpec[];
}

const HEIGHT = 8;

function queryVariable(v: VariableSpec) {
  return {
    type: 'query',
    name: v.name,
    label: v.label,
    datasource: DATASOURCE,
    definition: v.query,
    query: { qryType: 1, query: v.query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
    regex: '',
    options: [],
  };
}

function fieldConfig(p: PanelSpec) {
  const custom =
    (p.kind ?? 'timeseries') === 'timeseries'
      ? {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: p.stack ? 60 : 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: p.stack ? 'normal' : 'none', group: 'A' },
        }
      : {};
  return {
    defaults: {
      unit: p.unit,
      color: { mode: p.kind === 'stat' ? 'thresholds' : 'palette-classic' },
      thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }] },
      custom,
    },
    overrides: [],
  };
}

function options(p: PanelSpec) {
  switch (p.kind ?? 'timeseries') {
    case 'stat':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'value',
        graphMode: 'area',
        textMode: 'auto',
        justifyMode: 'auto',
        orientation: 'auto',
      };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
    default:
      return {
        legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['mean', 'max'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
  }
}

function panel(p: PanelSpec, id: number, x: number, y: number) {
  const table = p.kind === 'table';
  return {
    id,
    type: p.kind ?? 'timeseries',
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { h: HEIGHT, w: p.width ?? 8, x, y },
    fieldConfig: fieldConfig(p),
    options: options(p),
    targets: p.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      editorMode: 'code',
      expr: q.expr,
      legendFormat: q.legend,
      range: !table,
      instant: table,
      ...(table ? { format: 'table' } : {}),
    })),
    ...(table ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }] } : {}),
  };
}

/** The dashboard as Grafana stores it; `id: null` so an import creates it, `uid` so it stays one dashboard. */
export function dashboard(spec: DashboardSpec) {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.row,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    for (const p of row.panels) {
      const w = p.width ?? 8;
      if (x + w > 24) {
        x = 0;
        y += HEIGHT;
      }
      panels.push(panel(p, id++, x, y));
      x += w;
    }
    y += HEIGHT;
  }
  return {
    id: null,
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['paissive'],
    timezone: '',
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'Data source',
          query: 'prometheus',
          current: {},
          hide: 0,
          refresh: 1,
          regex: '',
          options: [],
        },
        ...spec.variables.map(queryVariable),
      ],
    },
    panels,
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
  };
}

export type Dashboard = ReturnType<typeof dashboard>;

/** Every query of a dashboard with the title of its panel (for the tests that run them). */
export function queriesOf(d: { panels: unknown[] }): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  for (const p of d.panels as { title: string; targets?: { expr: string }[] }[])
    for (const t of p.targets ?? []) out.push({ panel: p.title, expr: t.expr });
  return out;
}

/** `histogram_quantile(q, sum by (le, <by>) (rate(<metric>_bucket{<sel>}[$__rate_interval])))`. */
export function quantile(q: number, metric: string, selector: string, by = ''): string {
  const labels = by ? `le, ${by}` : 'le';
  return `histogram_quantile(${q}, sum by (${labels}) (rate(${metric}_bucket{${selector}}[$__rate_interval])))`;
}

/** p50, p95 and p99 of one histogram, one query each. */
export function quantiles(metric: string, selector: string, by = '', prefix = ''): Query[] {
  const tag = by
    ? `${by
        .split(',')
        .map((l) => `{{${l.trim()}}}`)
        .join(' ')} `
    : prefix;
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: quantile(q, metric, selector, by),
    legend: `${tag}p${Math.round(q * 100)}`,
  }));
}
