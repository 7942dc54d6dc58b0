/**
 * The Grafana dashboards the chart ships (the JSON files are the source: edit them, or edit in Grafana and
 * export), in Grafana's current classic model, every query on the `$datasource` variable of type
 * prometheus (no datasource UID written down), panels on the grid without overlaps.
 */
import { expect } from 'chai';
import { dashboardFiles, readDashboard } from './queries.js';

/** Grafana's classic dashboard model as Grafana 12 and 13 import it and the Grafana sidecar provisions it. */
const SCHEMA_VERSION = 42;

describe('charts/paissive/files/dashboards', () => {
  it('holds the router, runtimes and operator dashboards', () => {
    expect(dashboardFiles().sort()).to.deep.equal(['operator.json', 'router.json', 'runtimes.json']);
  });

  for (const file of ['router.json', 'runtimes.json', 'operator.json']) {
    it(`${file}: schemaVersion ${SCHEMA_VERSION}, a prometheus datasource variable, no datasource UID`, () => {
      const d = readDashboard(file);
      expect(d.schemaVersion).to.equal(SCHEMA_VERSION);
      expect(d.uid).to.match(/^paissive-[a-z]+$/);
      const [datasource] = d.templating.list;
      expect(datasource).to.include({ type: 'datasource', name: 'datasource', query: 'prometheus' });
      const uids = new Set<string>();
      JSON.stringify(d, (key, value) => {
        if (key === 'datasource' && value?.type === 'prometheus') uids.add(value.uid);
        return value;
      });
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable, not a template literal
      expect([...uids]).to.deep.equal(['${datasource}']);
      for (const v of d.templating.list.slice(1))
        expect(v).to.include({ type: 'query', includeAll: true, allValue: '.*' });
    });

    it(`${file}: unique panel ids, panels on the 24-column grid without overlaps, a description on each`, () => {
      const panels = readDashboard(file).panels as any[];
      expect(new Set(panels.map((p) => p.id)).size).to.equal(panels.length);
      const cells = new Set<string>();
      for (const p of panels) {
        const { x, y, w, h } = p.gridPos;
        expect(x + w, p.title).to.be.at.most(24);
        for (let i = x; i < x + w; i++)
          for (let j = y; j < y + h; j++) {
            expect(cells.has(`${i},${j}`), `${p.title} overlaps`).to.equal(false);
            cells.add(`${i},${j}`);
          }
        if (p.type !== 'row') {
          expect(p.description, p.title).to.be.a('string').and.not.equal('');
          expect(p.targets, p.title).to.have.length.above(0);
        }
      }
    });
  }
});
