// `helm test`: run by node in the router's own image (no curl there, nothing else to pull). Waits for the
// router's /readyz, then, when the router has API keys, lists /v1/models with the first key allowed to.
// Env: ROUTER_URL, TIMEOUT_SECONDS, KEYS_FILE (the router's keys Secret, mounted; absent: an open router).
import { readFileSync } from 'node:fs';

const base = process.env.ROUTER_URL;
const deadline = Date.now() + Number(process.env.TIMEOUT_SECONDS || 60) * 1000;
const fail = (message) => {
  console.error(`FAIL ${message}`);
  process.exit(1);
};

// caller:key[:scope,...] entries, as the router reads them (api/src/http/callers.ts): scope pieces after a
// comma continue the entry before them on that line.
function entriesOf(text) {
  const entries = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const lineStart = entries.length;
    for (const piece of line.split(',').map((p) => p.trim())) {
      const [caller, key, ...rest] = piece.split(':');
      const starts = /^[a-z0-9][a-z0-9._-]*$/.test(caller) && key !== undefined && key.length >= 16;
      if (starts) entries.push({ key, items: rest.length > 0 ? [rest.join(':')] : [] });
      else if (entries.length > lineStart) entries.at(-1).items.push(piece);
    }
  }
  return entries;
}

// A key declared without scopes holds the default set, which reads models; models:admin implies models:read.
function readerKey(text) {
  for (const { key, items } of entriesOf(text)) {
    const scopes = items.filter((s) => s !== '' && !s.startsWith('models='));
    if (scopes.length === 0 || scopes.includes('models:read') || scopes.includes('models:admin')) return key;
  }
  return undefined;
}

async function get(path, headers = {}) {
  const res = await fetch(new URL(path, base), { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

let last = 'no answer';
for (;;) {
  try {
    const ready = await get('/readyz');
    if (ready.status === 200) break;
    last = `${ready.status} ${ready.body.slice(0, 200)}`;
  } catch (err) {
    last = String(err?.cause?.code ?? err?.message ?? err);
  }
  if (Date.now() > deadline) fail(`${base}/readyz never answered 200 (last: ${last})`);
  await new Promise((ok) => setTimeout(ok, 1000));
}
console.log(`ok ${base}/readyz`);

if (process.env.KEYS_FILE) {
  const key = readerKey(readFileSync(process.env.KEYS_FILE, 'utf8'));
  if (!key) fail('no key in the router keys Secret holds models:read (or the default scopes)');
  const models = await get('/v1/models', { authorization: `Bearer ${key}` });
  if (models.status !== 200) fail(`/v1/models answered ${models.status}: ${models.body.slice(0, 300)}`);
  const list = JSON.parse(models.body);
  if (list.object !== 'list' || !Array.isArray(list.data))
    fail(`/v1/models is not a model list: ${models.body.slice(0, 300)}`);
  console.log(`ok ${base}/v1/models (${list.data.length} models)`);
}
