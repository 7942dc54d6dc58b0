/**
 * The dashboard's only way to the router: its own REST API, same origin, with the viewer's key. The key is
 * kept in sessionStorage (this tab only, gone when the tab closes), never in localStorage or a cookie.
 */
const KEY = 'paissive.dashboard.key';

/** A refusal or failure of the API, with the router's error code and message (its one error shape). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** A key problem (missing, unknown, or lacking a scope) rather than a failure of the router. */
  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

export function storedKey() {
  return sessionStorage.getItem(KEY) ?? '';
}

export function storeKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** GET a JSON document of the API; throws ApiError for any answer but 2xx. */
export async function getJson(path) {
  const key = storedKey();
  const res = await fetch(path, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
    cache: 'no-store',
  });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = body?.error;
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${res.status}`);
  }
  return body;
}

/** The message a viewer sees for an auth refusal: what happened and what to do. */
export function authMessage(error) {
  if (error.status === 401) return `Key refused (401 ${error.code}): ${error.message}. Enter a valid key.`;
  return `Not allowed (403 ${error.code}): ${error.message}.`;
}
