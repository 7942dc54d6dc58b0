/** Builds DOM nodes from data without innerHTML, so a model name or an error message is text, never markup. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name in node && typeof node[name] !== 'function' && !name.startsWith('data-'))
      node[name] = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces what `container` shows. */
export function show(container, ...children) {
  container.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
}

/** A table with a header row; `rows` are arrays of cells (a cell is text, a node, or {node attrs}). */
export function table(headers, rows, attrs = {}) {
  // A header sits over its figures: right-aligned where the first row's cell is a number.
  const numeric = [...(rows[0]?.children ?? [])].map((cell) => cell.classList.contains('num'));
  return el(
    'table',
    attrs,
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h, i) => el('th', { class: numeric[i] ? 'num' : undefined }, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
}

/** An explanation shown in place of a section's figures (a refused scope, an absent feature). */
export function note(text, kind = 'note') {
  return el('p', { class: kind, role: kind === 'error' ? 'alert' : undefined }, text);
}

export function number(value, digits = 0) {
  return value === null || value === undefined ? '–' : Number(value).toFixed(digits);
}
