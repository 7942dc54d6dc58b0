/** Usage and cost panels: tokens and spend by model and by caller, as far as the viewer's key may see. */
import { el, note, number, show, table } from './dom.js';

function viewNote(view) {
  if (view?.scope === 'own')
    return note(`Your key's own figures (caller ${view.caller ?? '?'}); usage:all sees every caller.`);
  return note(view?.caller ? `Figures of caller ${view.caller}.` : 'Every caller’s figures.');
}

function money(list) {
  return (list ?? []).map((m) => `${m.amount.toFixed(4)} ${m.currency}`).join(' + ') || '0';
}

/** A table of one row per model or caller: its name, then `cells(row)` as right-aligned figures. */
function figuresTable(id, headers, attr, rows, cells) {
  return table(
    headers,
    rows.map(([name, row]) =>
      el('tr', { [attr]: name }, el('td', {}, name), ...cells(row).map((v) => el('td', { class: 'num' }, v))),
    ),
    { id },
  );
}

const tokens = (r) => [r.requests, r.input_tokens, r.output_tokens].map((v) => number(v));

export function renderUsage(container, usage) {
  const headers = ['Requests', 'Input tokens', 'Output tokens'];
  show(
    container,
    viewNote(usage.view),
    el(
      'div',
      { class: 'pair' },
      figuresTable(
        'usage-models',
        ['Model', ...headers],
        'data-model',
        usage.models.map((m) => [m.model_id, m]),
        tokens,
      ),
      figuresTable(
        'usage-callers',
        ['Caller', ...headers],
        'data-caller',
        usage.callers.map((c) => [c.caller, c]),
        tokens,
      ),
    ),
  );
}

export function renderCost(container, cost) {
  const p = cost.projection;
  show(
    container,
    viewNote(cost.view),
    note(`Month ${p.month}: ${money(p.month_to_date)} so far, projected ${money(p.projected_total)}.`),
    el(
      'div',
      { class: 'pair' },
      figuresTable(
        'cost-models',
        ['Model', 'Cost', 'Tokens'],
        'data-model',
        cost.models.map((m) => [m.model_id, m]),
        (m) => [`${m.cost.toFixed(4)} ${m.currency}`, number(m.total_tokens)],
      ),
      figuresTable(
        'cost-callers',
        ['Caller', 'Cost', 'Tokens'],
        'data-caller',
        cost.callers.map((c) => [c.caller, c]),
        (c) => [money(c.costs), number(c.total_tokens)],
      ),
    ),
  );
}
