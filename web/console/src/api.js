// The console's one way to the node: the public REST API, signed in with
// the session's access token (refreshed when it runs out) or an API key.
// The session lives in sessionStorage: it ends with the tab, and no other
// site can read it.

const key = 'hishamos.session';
let session = JSON.parse(sessionStorage.getItem(key) || 'null');
const listeners = new Set();

function keep(next) {
  session = next;
  if (next) sessionStorage.setItem(key, JSON.stringify(next));
  else sessionStorage.removeItem(key);
  listeners.forEach((f) => f(session));
}

export const signedIn = () => !!session;
export const onSessionChange = (f) => (listeners.add(f), () => listeners.delete(f));

/// An answer that is not 2xx, with the API's error body (error, message,
/// details.fix, details.problems).
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || '';
    this.details = (body && body.details) || {};
  }
}

function headers(extra) {
  const h = { ...extra };
  if (session && session.api_key) h['X-API-Key'] = session.api_key;
  else if (session) h.Authorization = `Bearer ${session.access_token}`;
  return h;
}

async function answer(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!res.ok) throw new ApiError(res.status, typeof body === 'object' ? body : null);
  return body;
}

export async function signIn(username, password, totp) {
  const body = { username, password };
  if (totp) body.totp = totp;
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const s = await answer(res);
  keep({ access_token: s.access_token, refresh_token: s.refresh_token });
  return s;
}

/// An API key instead of a password: for `hishamos dev` and scripts.
export async function signInWithKey(apiKey) {
  keep({ api_key: apiKey });
  try {
    return await api('GET', '/api/v1/auth/me');
  } catch (e) {
    keep(null);
    throw e;
  }
}

export async function signOut() {
  try {
    if (session && !session.api_key) await api('POST', '/api/v1/auth/logout');
  } finally {
    keep(null);
  }
}

// One refresh at a time: parallel requests that all met a 401 wait for it.
let refreshing = null;
function refresh() {
  if (!refreshing)
    refreshing = (async () => {
      try {
        const res = await fetch('/api/v1/auth/refresh', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: session.refresh_token }),
        });
        const s = await answer(res);
        keep({ access_token: s.access_token, refresh_token: s.refresh_token });
        return true;
      } catch {
        keep(null);
        return false;
      } finally {
        refreshing = null;
      }
    })();
  return refreshing;
}

/// A request to the API: JSON in and out unless `type` says the body is
/// text of that type (a workflow's YAML).
export async function api(method, path, body, type) {
  const send = () =>
    fetch(path, {
      method,
      headers: headers(body === undefined ? {} : { 'Content-Type': type || 'application/json' }),
      body: body === undefined ? undefined : type ? body : JSON.stringify(body),
    });
  let res = await send();
  if (res.status === 401 && session && session.refresh_token && (await refresh())) res = await send();
  else if (res.status === 401 && session) keep(null);
  return answer(res);
}

export const get = (path) => api('GET', path);

/// The Prometheus text of /metrics (the overview's step rate).
export async function metrics() {
  const res = await fetch('/metrics', { headers: headers() });
  if (!res.ok) throw new ApiError(res.status, null);
  return res.text();
}

/// Server-Sent Events of `path`, each as {event, data}, until the stream
/// ends or `signal` aborts. EventSource cannot send a credential, so this
/// reads the stream with fetch.
export async function streamEvents(path, signal, onEvent) {
  const res = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal });
  if (!res.ok) throw new ApiError(res.status, null);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      try {
        onEvent({ event, data: JSON.parse(data.join('\n')) });
      } catch {
        onEvent({ event, data: null });
      }
    }
  }
}

/// A query string from the non-empty values of `params`.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
