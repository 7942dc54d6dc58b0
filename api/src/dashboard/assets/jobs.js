/**
 * Batch jobs: the router has no endpoint that lists jobs, only GET /api/inference/jobs/{id}, so this panel
 * follows the job ids the viewer enters (kept for the tab's session) and shows their progress. A job of
 * another caller reads as unknown unless the key holds jobs:all, exactly as the API answers it.
 */
import { ApiError, getJson } from './api.js';
import { el, note, show, table } from './dom.js';

const KEY = 'paissive.dashboard.jobs';

export class JobsPanel {
  constructor(container, form) {
    this.container = container;
    this.ids = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = form.elements.namedItem('job-id');
      const id = input.value.trim();
      if (id && !this.ids.includes(id)) this.#save([...this.ids, id]);
      input.value = '';
      this.onChange?.();
    });
  }

  #save(ids) {
    this.ids = ids;
    sessionStorage.setItem(KEY, JSON.stringify(ids));
  }

  async refresh() {
    if (!this.ids.length) {
      show(
        this.container,
        note('Enter the id of a batch job (POST /api/inference/batch answers with it) to follow it.'),
      );
      return;
    }
    const jobs = await Promise.all(
      this.ids.map((id) =>
        getJson(`/api/inference/jobs/${encodeURIComponent(id)}?limit=1`).catch((error) => ({ id, error })),
      ),
    );
    show(
      this.container,
      table(
        ['Job', 'Status', 'Progress', 'Succeeded', 'Failed', 'Caller', 'Created', ''],
        jobs.map((job) => this.#row(job)),
        { id: 'jobs-table' },
      ),
    );
  }

  #row(job) {
    const id = job.job_id ?? job.id;
    const forget = el('button', { type: 'button', class: 'small' }, 'Forget');
    forget.addEventListener('click', () => {
      this.#save(this.ids.filter((i) => i !== id));
      this.onChange?.();
    });
    if (job.error) {
      const why =
        job.error instanceof ApiError && job.error.status === 404 ? 'unknown or expired' : job.error.message;
      return el(
        'tr',
        { 'data-job': id },
        el('td', {}, id),
        el('td', { colSpan: 6, class: 'bad' }, why),
        el('td', {}, forget),
      );
    }
    const p = job.progress;
    return el(
      'tr',
      { 'data-job': id, 'data-status': job.status },
      el('td', { class: 'mono' }, id),
      el('td', {}, job.status),
      el('td', {}, el('progress', { max: 100, value: p.percent }), ` ${p.completed}/${p.total}`),
      el('td', { class: 'num' }, String(p.succeeded)),
      el('td', { class: 'num' }, String(p.failed)),
      el('td', {}, job.caller),
      el('td', {}, new Date(job.created_at).toLocaleTimeString()),
      el('td', {}, forget),
    );
  }
}
