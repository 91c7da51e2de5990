// app.js — the page's entry: the session (the token asked once), the
// router (#/ the fleet, #/mac/NAME/PANE a Mac's pane), the sidebar, the Apple
// menu, and the live-update connection.
import * as api from './api.js';
import { h, clear, tile, sheet, field, toast, glyph } from './ui.js';
import { FleetView } from './fleet.js';
import { DeviceView, PANES } from './device.js';

const $ = (id) => document.getElementById(id);
const state = { view: null, route: null, live: null };

// ---- the token, once: POST /api/v1/session turns it into the cookie ----
let asking = null;
function askToken() {
	if (asking) return asking;
	const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
	asking = sheet({
		icon: tile('lock', 'blue'),
		title: 'Connect to macext',
		text: 'Enter the daemon’s access token. macext serve wrote it to serve.token in its state directory (readable only by its owner). The page exchanges it for a session cookie and does not keep it.',
		body: [h('div', { class: 'fields' }, field('Access Token', input))],
		buttons: [{ label: 'Connect', primary: true }],
		label: 'Connect to macext: access token',
		submit: async () => {
			const t = input.value.trim();
			if (!t) throw new Error('Enter the token from serve.token.');
			try { await api.login(t); } catch (e) {
				throw new Error(e.status === 401 || e.status === 403 ? 'That token is not the daemon’s. Copy it again from serve.token.' : e.message);
			}
			localStorage.setItem('macext.session', '1');
			return true;
		},
	}).then((ok) => { asking = null; if (ok) connectLive(); return !!ok; });
	return asking;
}
api.onTokenNeeded(askToken);

// ---- live updates: the fleet stream feeds whichever view is open ----
function setLive(s) {
	const el = $('live');
	el.textContent = s === 'live' ? 'Live' : s === 'closed' ? 'Offline' : 'Reconnecting…';
	el.className = `menubar-item status status-${s}`;
	document.body.dataset.live = s;
}
function connectLive() {
	if (state.live) state.live.close();
	state.live = api.events(`${api.BASE}/events`, (ev) => { if (state.view && state.view.onChange) state.view.onChange(ev); }, setLive);
}

// ---- routing ----
function parseRoute() {
	const raw = location.hash.replace(/^#\/?/, '');
	const [path, query = ''] = raw.split('?');
	const parts = path.split('/').map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
	const q = new URLSearchParams(query);
	if (parts[0] === 'mac' && parts[1]) return { kind: 'mac', name: parts[1], pane: PANES.some((p) => p.id === parts[2]) ? parts[2] : 'privacy' };
	return { kind: 'fleet', q: q.get('q') || '' };
}
export const go = (hash) => { if (location.hash !== hash) location.hash = hash; else route(); };
export const macHash = (name, pane = 'privacy') => `#/mac/${encodeURIComponent(name)}/${pane}`;

async function route() {
	const r = parseRoute();
	const same = state.route && state.view && r.kind === state.route.kind && (r.kind === 'fleet' || r.name === state.route.name);
	state.route = r;
	if (same && state.view.update) { await state.view.update(r); renderSidebar(); return; }
	if (state.view && state.view.close) state.view.close();
	const pane = clear($('pane'));
	state.view = r.kind === 'mac' ? new DeviceView(pane, r, { go, macHash, renderSidebar, menubar })
		: new FleetView(pane, r, { go, macHash, renderSidebar });
	$('search').value = r.kind === 'fleet' ? r.q : $('search').value;
	renderSidebar();
	await state.view.load();
	renderSidebar();
}

function navItem({ href, icon, color, label: text, current, disabled = false, count = null, indent = false }) {
	return h('li', {}, h('a', {
		href: disabled ? false : href, class: `nav${current ? ' current' : ''}${indent ? ' indent' : ''}`,
		'aria-current': current ? 'page' : false, 'aria-disabled': disabled ? 'true' : false,
		role: disabled ? 'link' : false, tabindex: disabled ? '-1' : false,
	}, tile(icon, color), h('span', { class: 'nav-label' }, text),
	count ? h('span', { class: 'nav-count', 'aria-label': `${count} alerts` }, String(count)) : null));
}

function renderSidebar() {
	const r = state.route || { kind: 'fleet' };
	const sb = clear($('sidebar'));
	const fleet = h('ul', { class: 'nav-list' }, navItem({ href: '#/', icon: 'laptop', color: 'blue', label: 'All Macs', current: r.kind === 'fleet' }));
	sb.append(fleet);
	if (r.kind !== 'mac') return;
	const v = state.view;
	const d = v && v.device;
	sb.append(h('a', { class: 'device-card', href: macHash(r.name, 'general') },
		h('span', { class: 'device-avatar' }, glyph('laptop')),
		h('span', { class: 'device-card-text' },
			h('strong', {}, r.name),
			h('small', {}, d ? `macOS ${d.os} · ${d.chip === 'apple-silicon' ? 'Apple silicon' : 'Intel'}` : 'Loading…'))));
	const off = d && d.environment !== 'macos';
	const alerts = v && v.alerts ? v.alerts.length : 0;
	const list = h('ul', { class: 'nav-list', 'aria-label': `Settings of ${r.name}` });
	for (const p of PANES) {
		list.append(navItem({ href: macHash(r.name, p.id), icon: p.icon, color: p.color, label: p.label,
			current: r.pane === p.id && !off, disabled: off, indent: p.indent, count: p.id === 'notifications' ? alerts : null }));
	}
	sb.append(list);
	if (off) sb.append(h('p', { class: 'sidebar-note' }, d.environment === 'off' ? 'This Mac is shut down.' : 'This Mac is in recoveryOS.'));
}

// ---- the Apple menu: Restart…, Shut Down… of the open Mac ----
const menu = $('apple-menu'), appleBtn = $('apple');
function menuItems() { return [...menu.querySelectorAll('[role=menuitem]')]; }
function openMenu(focusLast = false) {
	const v = state.view;
	const d = v && v.device;
	for (const it of menuItems()) {
		const act = it.dataset.act;
		const on = act === 'settings' || act === 'logout' || (d && (act === 'about' || (d.environment !== 'off' && (act === 'restart' || act === 'shutdown'))));
		it.setAttribute('aria-disabled', on ? 'false' : 'true');
	}
	menu.hidden = false;
	appleBtn.setAttribute('aria-expanded', 'true');
	const items = menuItems().filter((i) => i.getAttribute('aria-disabled') !== 'true');
	(focusLast ? items[items.length - 1] : items[0])?.focus();
}
function closeMenu(refocus = true) {
	if (menu.hidden) return;
	menu.hidden = true;
	appleBtn.setAttribute('aria-expanded', 'false');
	if (refocus) appleBtn.focus();
}
appleBtn.addEventListener('click', () => (menu.hidden ? openMenu() : closeMenu()));
appleBtn.addEventListener('keydown', (e) => {
	if (e.key === 'ArrowDown' || e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openMenu(); }
	if (e.key === 'ArrowUp') { e.preventDefault(); openMenu(true); }
});
menu.addEventListener('keydown', (e) => {
	const items = menuItems().filter((i) => i.getAttribute('aria-disabled') !== 'true');
	const i = items.indexOf(document.activeElement);
	if (e.key === 'ArrowDown') { e.preventDefault(); items[(i + 1) % items.length].focus(); }
	else if (e.key === 'ArrowUp') { e.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
	else if (e.key === 'Home') { e.preventDefault(); items[0].focus(); }
	else if (e.key === 'End') { e.preventDefault(); items[items.length - 1].focus(); }
	else if (e.key === 'Escape') { e.preventDefault(); closeMenu(); }
	else if (e.key === 'Tab') closeMenu(false);
});
menu.addEventListener('click', (e) => {
	const it = e.target.closest('[role=menuitem]');
	if (!it || it.getAttribute('aria-disabled') === 'true') return;
	closeMenu(false);
	const act = it.dataset.act;
	const v = state.view;
	if (act === 'logout') { logOut().catch(fail); return; }
	if (act === 'settings') { go(v && v.device ? macHash(v.device.name, 'privacy') : '#/'); return; }
	if (v && v.menuAction) v.menuAction(act);
});
document.addEventListener('pointerdown', (e) => { if (!menu.hidden && !e.target.closest('.menu-root')) closeMenu(false); });

// Log Out…: DELETE /api/v1/session (the cookie goes), then the token sheet again
async function logOut() {
	if (state.live) { state.live.close(); state.live = null; }
	setLive('closed');
	localStorage.removeItem('macext.session');
	await api.logout();
	if (await askToken()) await route();
}

function menubar(text) { $('menubar-device').textContent = text || ''; }

// ---- search: the sidebar's field searches the fleet (q=) ----
let searchTimer = 0;
$('search').addEventListener('input', () => {
	clearTimeout(searchTimer);
	searchTimer = setTimeout(() => {
		const q = $('search').value.trim();
		go(q ? `#/?q=${encodeURIComponent(q)}` : '#/');
	}, 200);
});
$('search-form').addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(searchTimer); const q = $('search').value.trim(); go(q ? `#/?q=${encodeURIComponent(q)}` : '#/'); });

window.addEventListener('hashchange', () => { route().catch(fail); });
function fail(e) { console.error(e); toast(e.message || String(e), 'error'); }
window.addEventListener('unhandledrejection', (e) => fail(e.reason));

async function start() {
	setLive('reconnecting');
	if (!localStorage.getItem('macext.session')) await askToken();
	else connectLive();
	await route();
}
start().catch(fail);
