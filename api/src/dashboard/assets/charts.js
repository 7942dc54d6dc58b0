/**
 * Line charts with uPlot (served from the package, never a CDN). A chart is rebuilt when its set of series
 * changes (a model appears) and otherwise only given new data, which uPlot redraws cheaply.
 */
import uPlot from './vendor/uPlot.esm.js';

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export class LineChart {
  /** `element`: where to draw; `unit`: the y axis label; `scale`: turns a stored value into the drawn one. */
  /** `floor`: the least top of the y axis, so a flat line at 0 still has a readable scale. */
  constructor(element, { title, unit, scale = (v) => v, floor = 1 }) {
    this.floor = floor;
    this.element = element;
    this.title = title;
    this.unit = unit;
    this.scale = scale;
    this.names = [];
    this.plot = undefined;
  }

  /** Draws `series` (a SeriesSet): every name it holds, since the page opened. */
  update(series) {
    const names = series.names();
    const data = series.data(names).map((values, i) => (i === 0 ? values : values.map(this.#scaled)));
    if (!this.plot || names.join('\n') !== this.names.join('\n')) this.#build(names, data);
    else this.plot.setData(data);
  }

  #scaled = (v) => (v === null ? null : this.scale(v));

  #build(names, data) {
    this.plot?.destroy();
    this.names = names;
    const width = Math.max(320, this.element.clientWidth);
    this.plot = new uPlot(
      {
        title: this.title,
        width,
        height: 200,
        series: [
          {},
          ...names.map((name, i) => ({
            label: name,
            stroke: COLOURS[i % COLOURS.length],
            width: 2,
            points: { show: true, size: 4 },
          })),
        ],
        axes: [{}, { label: this.unit, size: 60 }],
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max * 1.1, this.floor)] } },
        legend: { live: false },
      },
      data,
      this.element,
    );
  }

  /** What is drawn, by series name (read by the browser tests and handy in the console). */
  drawn() {
    if (!this.plot) return {};
    return Object.fromEntries(this.names.map((name, i) => [name, this.plot.data[i + 1]]));
  }
}
