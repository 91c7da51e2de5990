// api.js — the page's only way to the daemon: /api/v1 (docs/api.md).
// Every request is same-origin; mutating ones ride on the session cookie that
// POST /api/v1/session set after the token was entered once.  A 401 asks for
// the token again (through the handler app.js installs) and retries once.

export const BASE = '/api/v1';

export class Problem extends Error {
	constructor(status, doc) {
		const d = doc && typeof doc === 'object' ? doc : {};
		super(d.detail || d.title || `HTTP ${status}`);
		this.status = status;
		this.title = d.title || '';
		this.detail = d.detail || '';
		this.domain = d.domain || '';
		this.code = d.code;
		this.type = d.type || '';
	}
}

let askToken = null;          // async () => true when a session was made
export function onTokenNeeded(fn) { askToken = fn; }

export const enc = encodeURIComponent;
export const dev = (name) => `${BASE}/devices/${enc(name)}`;

async function once(method, path, body, headers) {
	const init = { method, headers: { Accept: 'application/json', ...headers },
		credentials: 'same-origin', cache: 'no-store' };
	if (body !== undefined) {
		if (typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer) {
			init.body = body;
		} else {
			init.body = JSON.stringify(body);
			init.headers['Content-Type'] = 'application/json';
		}
	}
	return fetch(path, init);
}

async function parse(res) {
	if (res.status === 204) return null;
	const type = res.headers.get('Content-Type') || '';
	const text = await res.text();
	if (!text) return null;
	if (type.includes('json')) {
		try { return JSON.parse(text); } catch { throw new Problem(res.status, { title: 'Bad response', detail: 'the daemon sent JSON the page cannot read' }); }
	}
	return text;
}

// request(method, path, body?) → { data, res }; a problem document throws Problem.
export async function request(method, path, body, headers = {}) {
	let res = await once(method, path, body, headers);
	if (res.status === 401 && askToken && await askToken()) res = await once(method, path, body, headers);
	const data = await parse(res);
	if (!res.ok) throw new Problem(res.status, data);
	return { data, res };
}

export const get = async (path) => (await request('GET', path)).data;
export const post = async (path, body) => (await request('POST', path, body ?? {})).data;
export const del = async (path, body) => (await request('DELETE', path, body)).data;

// The session: POST {"token"} → 204 and the HttpOnly cookie.
export async function login(token) {
	const res = await once('POST', `${BASE}/session`, { token });
	if (res.ok) return true;
	const doc = await parse(res).catch(() => null);
	throw new Problem(res.status, doc);
}
export async function logout() { await once('DELETE', `${BASE}/session`); }

// RFC 8288 Link header: the rel="next" target, or null.
export function nextLink(res) {
	const link = res.headers.get('Link') || '';
	for (const part of link.split(',')) {
		const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
		if (m && /rel="?next"?/.test(m[2])) return m[1];
	}
	return null;
}

// A page of devices: { items, next } where next is the `after` cursor.
export async function devices({ q = '', after = '', limit = 50 } = {}) {
	const p = new URLSearchParams({ limit: String(limit) });
	if (after) p.set('after', after);
	if (q) p.set('q', q);
	const { data, res } = await request('GET', `${BASE}/devices?${p}`);
	const next = nextLink(res);
	let cursor = null;
	if (next) cursor = new URL(next, location.href).searchParams.get('after');
	return { items: Array.isArray(data) ? data : [], next: cursor };
}

// Server-Sent Events: calls onChange(event data) for every `change` event and
// onState('live'|'reconnecting') as the connection goes.  EventSource
// reconnects by itself; close() stops it.
export function events(path, onChange, onState = () => {}) {
	const es = new EventSource(path, { withCredentials: true });
	es.addEventListener('open', () => onState('live'));
	es.addEventListener('error', () => onState(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
	const handle = (ev) => {
		let d = null;
		try { d = JSON.parse(ev.data); } catch { return; }
		onChange(d);
	};
	es.addEventListener('change', handle);
	return { close: () => es.close() };
}
