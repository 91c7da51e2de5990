// ui.js — DOM building blocks: h(), icons, sheets (modal <dialog>s that drop
// from the top of the window, as macOS sheets do), the administrator sheet,
// switches, badges and toasts.  Text always goes in as text nodes, never as
// HTML: device names, developer names and messages come from the fleet.

export function h(tag, attrs = {}, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === false || v === null || v === undefined) continue;
		if (k === 'class') el.className = v;
		else if (k === 'text') el.textContent = v;
		else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'dataset') Object.assign(el.dataset, v);
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	add(el, kids);
	return el;
}
function add(el, kids) {
	for (const k of kids) {
		if (k === null || k === undefined || k === false) continue;
		if (Array.isArray(k)) add(el, k);
		else el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
}
export const clear = (el) => { while (el.firstChild) el.firstChild.remove(); return el; };

// ---- icons: small SVGs drawn here, white on a coloured rounded square ----
const SVGNS = 'http://www.w3.org/2000/svg';
const GLYPHS = {
	gear: 'M12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7zm8 4.6v-2.2l-2.3-.6a6 6 0 0 0-.6-1.5l1.2-2-1.6-1.6-2 1.2a6 6 0 0 0-1.5-.6L12.6 3h-2.2l-.6 2.3a6 6 0 0 0-1.5.6l-2-1.2-1.6 1.6 1.2 2a6 6 0 0 0-.6 1.5L3 10.9v2.2l2.3.6c.1.5.3 1 .6 1.5l-1.2 2 1.6 1.6 2-1.2c.5.3 1 .5 1.5.6l.6 2.3h2.2l.6-2.3c.5-.1 1-.3 1.5-.6l2 1.2 1.6-1.6-1.2-2c.3-.5.5-1 .6-1.5z',
	hand: 'M8 21c-2-1.5-3.5-4-3.5-6.5V11a1.2 1.2 0 0 1 2.4 0v2.2V5.7a1.2 1.2 0 0 1 2.4 0V11V4.3a1.2 1.2 0 0 1 2.4 0V11V5a1.2 1.2 0 0 1 2.4 0v6.5V7.6a1.2 1.2 0 0 1 2.4 0v6.9c0 3-2 6.5-5.5 6.5z',
	puzzle: 'M9 4.5a2 2 0 0 1 4 0V6h4v4h1.5a2 2 0 0 1 0 4H17v5H6v-4h1.5a2 2 0 0 0 0-4H6V6h3z',
	badge: 'M12 3l2.3 1.7 2.8-.2.9 2.7 2.3 1.6-.9 2.7.9 2.7-2.3 1.6-.9 2.7-2.8-.2L12 21l-2.3-1.7-2.8.2-.9-2.7-2.3-1.6.9-2.7-.9-2.7 2.3-1.6.9-2.7 2.8.2zm-3 9.2 2.2 2.2L15.5 10',
	bell: 'M12 3.5a5 5 0 0 0-5 5v3.8L5 15.5v1h14v-1l-2-3.2V8.5a5 5 0 0 0-5-5zm-2 14.5a2 2 0 0 0 4 0z',
	list: 'M5 6.5h2v2H5zm4 .3h10v1.4H9zM5 11h2v2H5zm4 .3h10v1.4H9zm-4 4.2h2v2H5zm4 .3h10v1.4H9z',
	laptop: 'M5 5.5h14v9.5H5zm1.3 1.3v6.9h11.4V6.8zM2.5 16.3h19l-1 2.2h-17z',
	power: 'M11.2 3h1.6v9h-1.6zM7.4 5.6l1 1.2a6.3 6.3 0 1 0 7.2 0l1-1.2a7.9 7.9 0 1 1-9.2 0z',
	lock: 'M8 10V7.5a4 4 0 0 1 8 0V10h1.5v10h-11V10zm1.6 0h4.8V7.5a2.4 2.4 0 0 0-4.8 0z',
	shield: 'M12 3l7 2.7v5.2c0 4.6-3 8.2-7 10.1-4-1.9-7-5.5-7-10.1V5.7z',
	warn: 'M12 3.5 21.5 20h-19zm-.9 5.5v6h1.8V9zm0 7.3V18h1.8v-1.7z',
	info: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm-1 4h2v2h-2zm0 3.5h2V17h-2z',
};
export function glyph(name, cls = 'glyph') {
	const svg = document.createElementNS(SVGNS, 'svg');
	svg.setAttribute('viewBox', '0 0 24 24');
	svg.setAttribute('aria-hidden', 'true');
	svg.setAttribute('class', cls);
	const p = document.createElementNS(SVGNS, 'path');
	p.setAttribute('d', GLYPHS[name] || GLYPHS.info);
	if (name === 'badge') { p.setAttribute('class', 'stroke'); }
	svg.append(p);
	return svg;
}
export const tile = (name, color) => h('span', { class: `tile tile-${color}` }, glyph(name));

// ---- sheets ----
// sheet({icon, title, text, body, buttons, submit}) → Promise<value|null>.
// buttons: [{label, value, primary, destructive, cancel}]; Enter presses the
// primary button, Escape the cancel one.  submit(value, form) may throw: the
// message shows in the sheet, which stays open (wrong password, refusal).
export function sheet({ icon = null, title, text = '', body = [], buttons, submit = null, label = null, wide = false, focus = null }) {
	const opener = document.activeElement;
	return new Promise((resolve) => {
		const err = h('p', { class: 'sheet-error', role: 'alert', hidden: true });
		const ids = `sheet-${Math.random().toString(36).slice(2)}`;
		const form = h('form', { class: 'sheet-form', novalidate: true });
		const btns = buttons.map((b) => h('button', {
			type: b.primary ? 'submit' : 'button',
			class: `btn${b.primary ? ' btn-primary' : ''}${b.destructive ? ' btn-destructive' : ''}`,
			dataset: { value: b.value ?? b.label },
		}, b.label));
		const dlg = h('dialog', { class: `sheet${wide ? ' sheet-wide' : ''}`, 'aria-labelledby': label ? false : `${ids}-t`,
			'aria-describedby': text ? `${ids}-d` : false, 'aria-label': label || false },
		form);
		form.append(...[   // Node.append would write null as the text "null"
			icon ? h('div', { class: 'sheet-icon' }, icon) : null,
			h('h2', { class: 'sheet-title', id: `${ids}-t` }, title),
			text ? h('p', { class: 'sheet-text', id: `${ids}-d` }, text) : null,
			...(Array.isArray(body) ? body : [body]),
			err,
			h('div', { class: 'sheet-buttons' }, btns)].filter((x) => x !== null && x !== undefined && x !== false));
		let busy = false;
		const done = (v) => {
			dlg.classList.add('closing');
			setTimeout(() => { dlg.close(); dlg.remove(); if (opener && opener.isConnected) opener.focus(); }, 120);
			resolve(v);
		};
		const cancelBtn = buttons.find((b) => b.cancel);
		// Escape: Cancel; a sheet that only informs (one button, nothing to submit) closes too
		const dismissable = cancelBtn || (!submit && buttons.length === 1);
		dlg.addEventListener('cancel', (e) => { e.preventDefault(); if (!busy && dismissable) done(cancelBtn ? null : (buttons[0].value ?? buttons[0].label)); });
		const run = async (b) => {
			if (busy) return;
			const v = b.value ?? b.label;
			if (b.cancel) { done(null); return; }
			if (!submit) { done(v); return; }
			busy = true; err.hidden = true;
			dlg.setAttribute('aria-busy', 'true');
			for (const x of btns) x.disabled = true;
			try {
				const r = await submit(v, form);
				done(r === undefined ? v : r);
			} catch (e) {
				err.textContent = e.detail || e.message || String(e);
				err.hidden = false;
				dlg.classList.remove('shake'); void dlg.offsetWidth; dlg.classList.add('shake');
				const pw = form.querySelector('input[type=password]');
				if (pw) { pw.value = ''; pw.focus(); }
			} finally {
				busy = false; dlg.removeAttribute('aria-busy');
				for (const x of btns) x.disabled = false;
			}
		};
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			const primary = buttons.find((b) => b.primary);
			if (primary) run(primary);
		});
		btns.forEach((el, i) => { if (!buttons[i].primary) el.addEventListener('click', () => run(buttons[i])); });
		document.body.append(dlg);
		dlg.showModal();
		const first = form.querySelector('input:not([type=hidden]):not([disabled]), select, textarea');
		(focus || first || btns.find((_, i) => buttons[i].primary) || btns[0]).focus();
	});
}

export const message = (title, text, icon = tile('warn', 'orange')) =>
	sheet({ icon, title, text, buttons: [{ label: 'OK', primary: true }] });

export function field(labelText, input) {
	const id = `f-${Math.random().toString(36).slice(2)}`;
	input.id = id;
	return h('div', { class: 'field' }, h('label', { for: id }, labelText), input);
}

// The administrator sheet: "APP is trying to WHAT. Enter an administrator's
// name and password to allow this."  act(user, password) does the work and
// may throw (a refusal: the sheet shakes and stays).  Resolves to act's value,
// or null when cancelled.
export function adminAuth({ app = 'System Settings', what, users = [], act, button = 'Modify Settings' }) {
	const admin = users.find((u) => u.admin) || users[0] || { name: '' };
	const user = h('input', { type: 'text', name: 'user', autocomplete: 'username', value: admin.name, required: true, spellcheck: 'false' });
	const pass = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
	const p = sheet({
		icon: tile('lock', 'gray'),
		title: app,
		text: `${app} is trying to ${what}. Enter an administrator’s name and password to allow this.`,
		body: [h('div', { class: 'fields' }, field('User Name', user), field('Password', pass))],
		buttons: [{ label: 'Cancel', cancel: true }, { label: button, primary: true }],
		label: `${app}: administrator authentication`,
		focus: admin.name ? pass : user,
		submit: async () => {
			if (!user.value) throw new Error('Enter an administrator’s name.');
			return { value: await act(user.value, pass.value) };
		},
	});
	return p.then((r) => (r ? r.value ?? true : null));
}

// A macOS switch: a checkbox with role=switch.
export function toggle({ checked, label, disabled = false, onchange }) {
	const input = h('input', { type: 'checkbox', role: 'switch', class: 'switch', 'aria-label': label,
		checked: !!checked, disabled });
	input.addEventListener('change', (e) => onchange(input.checked, input, e));
	return input;
}

export function badge(text, tone = 'gray') { return h('span', { class: `badge badge-${tone}` }, text); }

export function toast(text, tone = 'info') {
	const t = h('div', { class: `toast toast-${tone}` }, text);
	document.getElementById('toasts').append(t);
	setTimeout(() => { t.classList.add('gone'); setTimeout(() => t.remove(), 400); }, 3500);
}

// A grouped box of rows, as System Settings draws its forms.
export const group = (title, ...rows) => h('section', { class: 'group' },
	title ? h('h3', { class: 'group-title' }, title) : null,
	h('div', { class: 'group-box' }, ...rows));
export const row = (...kids) => h('div', { class: 'row' }, ...kids);

export function fmtTime(t) {
	if (typeof t !== 'number') return String(t ?? '');
	const d = new Date(t * 1000);
	return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
