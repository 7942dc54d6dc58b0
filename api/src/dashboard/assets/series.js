/**
 * Pure figures of the page: the API reports cumulative counts (the last 24 hours, hourly buckets), so the
 * live figures are the differences between two polls. Points are kept in memory since the page opened.
 */

/** Cumulative counts of one model or version from a figures object of the metrics API. */
export function counts(figures) {
  const requests = figures.requests_count ?? 0;
  return {
    requests,
    errors: figures.outcomes?.error ?? 0,
    cacheHits: figures.outcomes?.cache_hit ?? 0,
    // The API gives the rates rounded to 4 places; the counts they came from are whole numbers.
    fallbacks: Math.round((figures.fallback_rate ?? 0) * requests),
    latencyMs: (figures.avg_response_time_ms ?? 0) * requests,
  };
}

/**
 * The figures of the interval between two samples of counts(), or undefined when the request count went
 * backwards (an hourly bucket left the 24-hour window, or the router's store was reset): no rate is better
 * than a negative one. The other differences are clamped at 0: the latency sum is rebuilt from a rounded
 * mean, so a few fast requests (cache hits) can make it dip by a fraction of a millisecond.
 */
export function intervalFigures(before, after, seconds) {
  if (!before || !after || seconds <= 0 || after.requests < before.requests) return undefined;
  const d = {};
  for (const key of Object.keys(after)) d[key] = Math.max(0, after[key] - before[key]);
  const share = (n) => (d.requests > 0 ? n / d.requests : null);
  return {
    requests: d.requests,
    rate: d.requests / seconds,
    errorRate: share(d.errors),
    cacheHitRate: share(d.cacheHits),
    fallbackRate: share(d.fallbacks),
    meanLatencyMs: share(d.latencyMs),
  };
}

/** Time series that share one time axis (uPlot's data layout); a series first seen later starts with gaps. */
export class SeriesSet {
  constructor(maxPoints = 720) {
    this.maxPoints = maxPoints;
    this.times = [];
    this.values = new Map();
  }

  /** Appends one point in time; `valuesByName` maps a series name to its value (null: a gap). */
  push(timeSeconds, valuesByName) {
    this.times.push(timeSeconds);
    for (const name of Object.keys(valuesByName)) {
      if (!this.values.has(name)) this.values.set(name, new Array(this.times.length - 1).fill(null));
    }
    for (const [name, values] of this.values) values.push(valuesByName[name] ?? null);
    if (this.times.length > this.maxPoints) {
      this.times.shift();
      for (const values of this.values.values()) values.shift();
    }
  }

  names() {
    return [...this.values.keys()].sort();
  }

  /** [times, ...one array per name], the layout uPlot draws. */
  data(names = this.names()) {
    return [this.times, ...names.map((n) => this.values.get(n) ?? [])];
  }
}

/** A ratio as a percentage for tables ("–" when there were no requests). */
export function percent(ratio, digits = 1) {
  return ratio === null || ratio === undefined ? '–' : `${(ratio * 100).toFixed(digits)}%`;
}
