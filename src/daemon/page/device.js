// device.js — one Mac: its documents (device, kexts, sysexts, alerts,
// security, profiles), the pane in view, the alerts shown as dialogs, the
// Apple menu's Restart… and Shut Down…, and the device's event stream.
// When the Mac is off or in recoveryOS the pane area shows that screen
// (power.js) instead of System Settings.
import * as api from './api.js';
import { h, clear, sheet, adminAuth, tile, toast, message } from './ui.js';
import { renderPane } from './panes.js';
import { renderOff, renderRecovery } from './power.js';
import { ENVIRONMENT } from './model.js';

export const isAuthError = (e) => e.status === 401 || e.inSheet || /authentication failed|wrong password|no user|not an administrator/i.test(e.message || '');

// an alert's identity: the store may give a new alert the id of a withdrawn one
const alertKey = (a) => `${a.id}|${a.kind}|${a.subject}|${a.title}`;

export const PANES = [
	{ id: 'general', label: 'General', icon: 'gear', color: 'gray' },
	{ id: 'extensions', label: 'Login Items & Extensions', icon: 'puzzle', color: 'gray', indent: true },
	{ id: 'profiles', label: 'Device Management', icon: 'badge', color: 'gray', indent: true },
	{ id: 'privacy', label: 'Privacy & Security', icon: 'hand', color: 'blue' },
	{ id: 'notifications', label: 'Alerts', icon: 'bell', color: 'red' },
	{ id: 'log', label: 'Event Log', icon: 'list', color: 'gray' },
];

export class DeviceView {
	constructor(root, route, nav) {
		this.root = root; this.nav = nav;
		this.name = route.name; this.pane = route.pane;
		this.device = null; this.kexts = []; this.sysexts = []; this.alerts = []; this.security = null; this.profiles = [];
		this.timer = 0; this.shown = new Set(); this.queue = []; this.showing = false;
		this.dismissKey = `macext.dismissed.${this.name}`;
		try { this.dismissed = new Set(JSON.parse(sessionStorage.getItem(this.dismissKey) || '[]')); } catch { this.dismissed = new Set(); }
		this.stream = api.events(`${api.dev(this.name)}/events`, (ev) => this.onChange(ev));
	}

	get base() { return api.dev(this.name); }
	close() { this.stream.close(); clearTimeout(this.timer); clearTimeout(this.alertTimer); this.nav.menubar(''); }

	async update(route) {
		this.pane = route.pane;
		this.render();
		document.getElementById('pane').focus({ preventScroll: true });
	}

	async fetchAll() {
		const g = (p) => api.get(`${this.base}${p}`);
		const [device, kexts, sysexts, alerts, security, profiles, policy] = await Promise.all([
			g(''), g('/kexts').catch(() => []), g('/sysexts').catch(() => []), g('/alerts').catch(() => this.alerts),
			g('/security').catch(() => null), g('/profiles').catch(() => []), g('/profiles/policy').catch(() => null)]);
		Object.assign(this, { device, kexts: kexts || [], sysexts: sysexts || [], alerts: alerts || [], security, profiles: profiles || [], policy });
		const sig = JSON.stringify([device, kexts, sysexts, alerts, security, profiles, policy]);
		const changed = sig !== this.sig;
		this.sig = sig;
		return changed;
	}

	async load() {
		try {
			await this.fetchAll();
		} catch (e) {
			clear(this.root).append(h('div', { class: 'toolbar' }, h('h1', { class: 'pane-title' }, this.name)),
				h('div', { class: 'pane-body' }, h('div', { class: 'empty-state' }, tile('warn', 'orange'),
					h('h2', {}, e.status === 404 ? 'No such Mac' : 'Cannot open this Mac'),
					h('p', {}, e.message), h('a', { class: 'btn', href: '#/' }, 'Show All Macs'))));
			this.device = null;
			return;
		}
		this.render();
		this.nav.renderSidebar();
		this.showAlerts();
	}

	onChange(ev) {
		if (ev && ev.device && ev.device !== this.name) return;
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.refresh(), 120);
	}

	async refresh() {
		const env = this.device && this.device.environment;
		let changed;
		try { changed = await this.fetchAll(); } catch (e) { if (e.status === 404) { toast(`${this.name} was deleted.`); this.nav.go('#/'); } return; }
		if (!changed) return;
		// the log pane only appends what is new (its scroll position stays)
		if (this.pane === 'log' && this.logView && this.logView.live() && env === this.device.environment) this.logView.more();
		else this.render();
		this.nav.renderSidebar();
		this.showAlerts();
	}

	// Re-render keeping the focused control (by its data-key) where it was.
	render() {
		const d = this.device;
		if (!d) return;
		// not under a finger on the power button: after its release
		if (this.holding) { this.renderLater = true; return; }
		this.renderLater = false;
		const key = document.activeElement && this.root.contains(document.activeElement) ? document.activeElement.dataset.key : null;
		const [envText] = ENVIRONMENT[d.environment] || [d.environment];
		this.nav.menubar(`${d.name} — ${envText}`);
		document.getElementById('app-name').textContent = d.environment === 'recovery' ? 'macOS Recovery' : 'System Settings';
		// what a toast said about the last start is stale after a new one
		if (this.lastEnv && this.lastEnv !== d.environment) clear(document.getElementById('toasts'));
		this.lastEnv = d.environment;
		document.body.dataset.env = d.environment;
		clear(this.root);
		if (d.environment === 'off') renderOff(this.root, this);
		else if (d.environment === 'recovery') renderRecovery(this.root, this);
		else renderPane(this.root, this, this.pane);
		if (key) { const el = this.root.querySelector(`[data-key="${CSS.escape(key)}"]`); if (el) el.focus(); }
	}

	// ---- actions ----
	async act(method, path, body, headers) {
		const r = await api.request(method, `${this.base}${path}`, body, headers);
		await this.refresh();
		return r.data;
	}
	// An administrator action: the sheet, then the request with the credentials.
	// A refusal that is not about the name or password (a policy, the state)
	// closes the sheet and shows the reason in its own; resolves null then.
	// opts.upload: body is a file (a profile) and the credentials go in the
	// X-Macext-Admin header, with Content-Type opts.upload.
	admin(what, method, path, body = {}, opts = {}) {
		let refusal = null;
		return adminAuth({ app: opts.app || 'System Settings', what, users: this.device.users || [], button: opts.button,
			act: async (user, password) => {
				try {
					if (!opts.upload) return await this.act(method, path, { ...body, user, password });
					// a header carries Latin-1 only
					if (/[^\x20-\x7e\xa0-\xff]/.test(user + password)) {
						throw Object.assign(new Error('This name or password has characters a request header cannot carry; use macext profiles install --as.'), { inSheet: true });
					}
					return await this.act(method, path, body, { 'Content-Type': opts.upload, 'X-Macext-Admin': `${user}:${password}` });
				} catch (e) {
					if (isAuthError(e)) throw e;
					refusal = e;
					return null;
				}
			} }).then(async (r) => {
			if (!refusal) return r;
			this.render();
			await message(opts.refused || 'The change was refused.', refusal.message);
			return null;
		});
	}

	async restart() {
		const d = this.device;
		if (d.environment === 'macos') {
			const ok = await sheet({ icon: tile('power', 'gray'), title: 'Are you sure you want to restart your computer now?',
				text: `${d.name} restarts: kernel extensions allowed since the last start are built into the auxiliary kernel collection and load.`,
				buttons: [{ label: 'Cancel', cancel: true }, { label: 'Restart', primary: true }] });
			if (!ok) return;
		}
		await this.powerRequest('restart', 'restart');
	}

	async shutdown() {
		const ok = await sheet({ icon: tile('power', 'gray'), title: 'Are you sure you want to shut down your computer now?',
			text: 'To start the Mac again press its power button; press and hold it for the startup options (recoveryOS).',
			buttons: [{ label: 'Cancel', cancel: true }, { label: 'Shut Down', primary: true }] });
		if (ok) await this.powerRequest('shutdown', 'shut down');
	}

	// A power request; when the daemon asks for an administrator (another
	// user's session, a policy), the sheet asks and the request goes again.
	async powerRequest(what, words) {
		try {
			await this.act('POST', `/${what}`, {});
		} catch (e) {
			if (e.status === 403 && !/origin/i.test(e.message)) {
				await this.admin(words, 'POST', `/${what}`, {});
			} else {
				await message(`The Mac could not ${words}.`, e.message);
			}
		}
	}

	menuAction(act) {
		if (!this.device) return;
		if (act === 'restart') this.restart().catch((e) => toast(e.message, 'error'));
		else if (act === 'shutdown') this.shutdown().catch((e) => toast(e.message, 'error'));
		else if (act === 'about') this.nav.go(this.nav.macHash(this.name, 'general'));
	}

	// ---- alerts: each one new on screen is shown once as a dialog ----
	showAlerts() {
		if (!this.device || this.device.environment !== 'macos') return;
		// an alert no longer on screen is forgotten: one alike later (the
		// store may give it the same id) is a new one, shown again
		const live = new Set(this.alerts.map(alertKey));
		for (const set of [this.shown, this.dismissed]) for (const k of [...set]) if (!live.has(k)) set.delete(k);
		this.saveDismissed();
		for (const a of this.alerts) {
			const k = alertKey(a);
			if (this.shown.has(k) || this.dismissed.has(k)) continue;
			this.shown.add(k);
			this.queue.push(a);
		}
		this.nextAlert();
	}
	async nextAlert() {
		if (this.showing || !this.queue.length) return;
		// another sheet (the administrator's, closing) first: try again soon
		if (document.querySelector('dialog[open]')) { clearTimeout(this.alertTimer); this.alertTimer = setTimeout(() => this.nextAlert(), 250); return; }
		const a = this.queue.shift();
		if (!this.alerts.some((x) => x.id === a.id)) { this.nextAlert(); return; }
		this.showing = true;
		try { await this.showAlert(a); } finally { this.showing = false; }
		setTimeout(() => this.nextAlert(), 150);
	}
	async showAlert(a) {
		const acts = Array.isArray(a.actions) && a.actions.length ? a.actions : ['OK'];
		const primary = acts.find((x) => /^(Open|Restart)/.test(x)) || acts[acts.length - 1];
		const icon = a.kind && a.kind.startsWith('restart') ? tile('power', 'gray') : tile('shield', 'orange');
		const v = await sheet({
			icon, title: a.title || 'Alert', text: a.text || '', label: `Alert: ${a.title}`,
			buttons: acts.map((x) => ({ label: x, value: x, primary: x === primary, cancel: /^(OK|Cancel|Not Now)$/.test(x) && x !== primary })),
		});
		const choice = v || 'dismiss';
		// seen on this page; it stays on the Mac's screen until Close in
		// Alerts takes it off (closeAlert): looking at a Mac changes nothing
		this.dismiss(a);
		if (/^Open/.test(choice)) {
			const pane = a.kind === 'sysext-blocked' && /Login Items/.test(a.text || '') ? 'extensions' : 'privacy';
			this.nav.go(this.nav.macHash(this.name, pane));
		} else if (choice === 'Restart') {
			await this.powerRequest('restart', 'restart');
		}
	}
	// Close in Alerts: the Mac's user closes the alert (POST …/alerts/ID/
	// dismiss, naming the alert shown: an id a newer alert took is left
	// alone, 409); one already gone (404) is fine.
	async closeAlert(a) {
		try {
			await this.act('POST', `/alerts/${encodeURIComponent(a.id)}/dismiss`, { kind: a.kind, subject: a.subject });
			return true;
		} catch (e) {
			if (e.status !== 404 && e.status !== 409) toast(`The alert could not be closed: ${e.message}`, 'error');
			return false;
		}
	}
	dismiss(a) { this.dismissed.add(alertKey(a)); this.saveDismissed(); }
	saveDismissed() { try { sessionStorage.setItem(this.dismissKey, JSON.stringify([...this.dismissed])); } catch { /* private mode */ } }
	replay(a) { const k = alertKey(a); this.dismissed.delete(k); this.shown.add(k); this.queue.unshift(a); this.nextAlert(); }
}
