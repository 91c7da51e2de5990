// fleet.js — All Macs: the fleet summary and a searchable table of the
// devices, one page at a time (GET /api/v1/devices?limit=&after=&q=, the
// Link header's next cursor), so 100,000 Macs are never loaded at once.
// Each row shows the Mac's extensions' states and who must act, from the
// summary each device list item carries: one request draws a page.  A
// change event for a Mac on the page reads the page again (debounced) and
// redraws the rows in place.
import * as api from './api.js';
import { h, clear, badge, glyph } from './ui.js';
import { KEXT_STATE, SYSEXT_STATE, ENVIRONMENT, WHO, label, summaryActions, chipName, isLive } from './model.js';

const PAGE = 50;
const SUMMARY_WHO = [
	[/recovery/i, 'recovery'], [/restart/i, 'restart'], [/administrator|allow/i, 'admin'], [/policy forbids/i, 'none'],
];

export class FleetView {
	constructor(root, route, nav) {
		this.root = root; this.nav = nav; this.q = route.q || '';
		this.cursors = ['']; this.page = 0; this.next = null;
		this.rows = new Map();      // name → { tr, device }
		this.summaryTimer = 0; this.reloadTimer = 0;
		this.build();
	}

	build() {
		this.summary = h('div', { class: 'summary', 'aria-label': 'Fleet summary' });
		this.tbody = h('tbody');
		this.caption = h('caption', { class: 'visually-hidden' }, 'Macs of the fleet');
		this.table = h('table', { class: 'fleet', 'aria-describedby': 'fleet-status' }, this.caption,
			h('thead', {}, h('tr', {},
				h('th', { scope: 'col' }, 'Mac'), h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col' }, 'macOS'),
				h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Kernel extensions'),
				h('th', { scope: 'col' }, 'System extensions'), h('th', { scope: 'col' }, 'Who must act'))),
			this.tbody);
		this.status = h('p', { class: 'pager-status', id: 'fleet-status', 'aria-live': 'polite' });
		this.prev = h('button', { class: 'btn', type: 'button', onclick: () => this.turn(-1) }, 'Previous');
		this.nextBtn = h('button', { class: 'btn', type: 'button', onclick: () => this.turn(1) }, 'Next');
		this.root.append(
			h('div', { class: 'toolbar' }, h('h1', { class: 'pane-title' }, 'All Macs')),
			h('div', { class: 'pane-body' },
				this.summary,
				h('section', { class: 'group' },
					h('div', { class: 'group-head' }, h('h2', { class: 'group-title' }, this.q ? `Macs matching “${this.q}”` : 'Macs')),
					h('div', { class: 'group-box table-box' }, this.table),
					h('div', { class: 'pager' }, this.status, h('span', { class: 'pager-buttons' }, this.prev, this.nextBtn)))));
	}

	async update(route) {
		if ((route.q || '') === this.q) return;
		this.q = route.q || '';
		this.cursors = ['']; this.page = 0;
		clear(this.root); this.rows.clear(); this.build();
		await this.load();
	}

	async load() {
		await Promise.all([this.loadSummary(), this.loadPage()]);
	}

	async loadSummary() {
		let s;
		try { s = await api.get(`${api.BASE}/fleet`); } catch (e) { clear(this.summary).append(h('p', { class: 'muted' }, e.message)); return; }
		const need = { admin: 0, restart: 0, recovery: 0, none: 0 };
		for (const [text, n] of Object.entries(s.user_actions || {})) {
			const hit = SUMMARY_WHO.find(([re]) => re.test(text));
			if (hit) need[hit[1]] += n;
		}
		const env = s.environment || {};
		const card = (value, text, tone) => h('div', { class: `stat stat-${tone}` }, h('strong', {}, String(value)), h('span', {}, text));
		clear(this.summary).append(
			card(s.devices ?? 0, s.devices === 1 ? 'Mac' : 'Macs', 'blue'),
			card(need.admin, 'need an administrator', need.admin ? 'orange' : 'gray'),
			card(Math.max(need.restart, s.restart_pending?.yes || 0), 'need a restart', need.restart || s.restart_pending?.yes ? 'blue' : 'gray'),
			card(need.recovery, 'need recoveryOS', need.recovery ? 'purple' : 'gray'),
			card((env.off || 0) + (env.recovery || 0), 'shut down or in recoveryOS', 'gray'));
		this.total = s.devices;
		this.showStatus();
	}

	showStatus() {
		const r = this.range;
		if (!r) return;
		this.status.textContent = r.n ? `Macs ${r.first}–${r.last}${!this.q && this.total !== undefined ? ` of ${this.total}` : ''}` : '';
	}

	// One request: the page's devices, each with its summary.  again: a
	// re-read of the page in view (a change event); the rows are redrawn in
	// place and the focused Mac keeps the focus.
	async loadPage(again = false) {
		if (!again) this.status.textContent = 'Loading…';
		let page;
		try {
			page = await api.devices({ q: this.q, after: this.cursors[this.page], limit: PAGE });
		} catch (e) { this.status.textContent = e.message; return; }
		const focused = document.activeElement && this.tbody.contains(document.activeElement)
			? document.activeElement.closest('tr')?.dataset.name : null;
		this.next = page.next;
		const same = again && page.items.length === this.rows.size && page.items.every((d) => this.rows.has(d.name));
		if (same) {
			for (const d of page.items) { this.rows.get(d.name).device = d; this.renderRow(d.name); }
		} else {
			clear(this.tbody); this.rows.clear();
			if (!page.items.length) {
				this.tbody.append(h('tr', {}, h('td', { colspan: 7, class: 'empty' }, this.q ? `No Mac matches “${this.q}”.` : 'No Macs yet. Create one with macext device create, or POST /api/v1/devices.')));
			}
			for (const d of page.items) this.addRow(d);
		}
		if (focused && this.rows.has(focused)) this.rows.get(focused).tr.querySelector('a')?.focus();
		this.range = { first: this.page * PAGE + 1, last: this.page * PAGE + page.items.length, n: page.items.length };
		this.showStatus();
		this.prev.disabled = this.page === 0;
		this.nextBtn.disabled = !this.next;
	}

	async turn(dir) {
		if (dir > 0 && this.next) { this.cursors[this.page + 1] = this.next; this.page++; }
		else if (dir < 0 && this.page > 0) this.page--;
		else return;
		await this.loadPage();
		this.table.focus?.();
	}

	addRow(d) {
		const tr = h('tr', { class: 'fleet-row', dataset: { name: d.name } });
		tr.addEventListener('click', (e) => { if (!e.target.closest('a')) this.nav.go(this.nav.macHash(d.name)); });
		this.rows.set(d.name, { tr, device: d });
		this.renderRow(d.name);
		this.tbody.append(tr);
	}

	renderRow(name) {
		const r = this.rows.get(name);
		if (!r) return;
		const d = r.device, x = d.summary || {};
		const [envText, envTone] = ENVIRONMENT[d.environment] || [d.environment, 'gray'];
		// {state: count}, the states still in use, in name order
		const states = (counts, table) => {
			const live = Object.entries(counts || {}).filter(([s]) => isLive({ state: s })).sort((a, b) => a[0].localeCompare(b[0]));
			if (!live.length) return h('span', { class: 'muted' }, 'None');
			return h('span', { class: 'badges' }, live.map(([s, n]) => { const [t, tone] = label(table, s); return badge(n > 1 ? `${n} ${t}` : t, tone); }));
		};
		const acts = summaryActions(d);
		const who = acts.length ? h('span', { class: 'badges' }, acts.map((a) => badge(a.text, WHO[a.who][1])))
			: h('span', { class: 'muted' }, 'No one');
		clear(r.tr).append(
			h('th', { scope: 'row' }, h('a', { href: this.nav.macHash(d.name), class: 'mac-link' }, h('span', { class: 'mac-icon' }, glyph('laptop')), d.name)),
			h('td', { class: 'nowrap' }, chipName(d)),
			h('td', {}, d.os),
			h('td', {}, badge(envText, envTone)),
			h('td', {}, states(x.kext_states, KEXT_STATE)),
			h('td', {}, states(x.sysext_states, SYSEXT_STATE)),
			h('td', {}, who));
	}

	onChange(ev) {
		clearTimeout(this.summaryTimer);
		this.summaryTimer = setTimeout(() => this.loadSummary(), 250);
		// a Mac on the page changed, or one may have come or gone: the page again
		this.scheduleReload(ev && this.rows.has(ev.device) ? 150 : 500);
	}
	scheduleReload(ms = 500) {
		if (this.reloadTimer) return;     // one read for a burst of changes
		this.reloadTimer = setTimeout(() => { this.reloadTimer = 0; this.loadPage(true); }, ms);
	}
	close() { clearTimeout(this.summaryTimer); clearTimeout(this.reloadTimer); }
}
