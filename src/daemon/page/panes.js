// panes.js — the panes of one Mac in macOS: General, Login Items &
// Extensions (the system extensions by category; macOS 15's switch that
// disables one), Device Management (profiles and their payloads), Privacy &
// Security (Allow for blocked system software), Alerts, and the event log.
// Files go up from here as the API takes them: a profile (Device
// Management's Install Profile…), a kext or an app as an archive.
import * as api from './api.js';
import { h, clear, badge, group, row, toggle, sheet, message, tile, glyph, fmtTime, toast } from './ui.js';
import { KEXT_STATE, SYSEXT_STATE, POLICY, label, categoryName, osAtLeast, sysextTitle, isLive, chipName, alertAction, WHO } from './model.js';

const enc = encodeURIComponent;

function frame(root, title, ...body) {
	root.append(h('div', { class: 'toolbar' },
		h('button', { type: 'button', class: 'nav-arrow', 'aria-label': 'Back', onclick: () => history.back() }, '‹'),
		h('button', { type: 'button', class: 'nav-arrow', 'aria-label': 'Forward', onclick: () => history.forward() }, '›'),
		h('h1', { class: 'pane-title' }, title)),
	h('div', { class: 'pane-body' }, ...body));
}
const kv = (k, v) => row(h('span', { class: 'row-label' }, k), h('span', { class: 'row-value' }, v));

// A button that opens the file chooser; onfile(File) runs with the choice.
function fileButton(text, { accept, key, label, onfile }) {
	const input = h('input', { type: 'file', accept, hidden: true, tabindex: '-1' });
	const btn = h('button', { type: 'button', class: 'btn', dataset: { key }, 'aria-label': label || false, onclick: () => input.click() }, text);
	input.addEventListener('change', async () => {
		const f = input.files && input.files[0];
		input.value = '';
		if (!f) return;
		btn.disabled = true;
		btn.textContent = 'Installing…';
		try { await onfile(f); } finally { if (btn.isConnected) { btn.disabled = false; btn.textContent = text; } }
	});
	return [btn, input];
}

const MiB = 1 << 20;
// An archive (tar, tar.gz, zip) holding one bundle, to POST path; the
// document the daemon answers, or null after saying why not.
async function uploadArchive(v, file, path, what) {
	if (file.size > 64 * MiB) { await message(`“${file.name}” is too large.`, 'An archive of at most 64 MiB can be installed.'); return null; }
	try {
		return await v.act('POST', path, file, { 'Content-Type': 'application/octet-stream' });
	} catch (e) {
		await message(`${what} could not be installed.`, e.message);
		return null;
	}
}
const ARCHIVES = '.tar,.tgz,.tar.gz,.zip,application/x-tar,application/gzip,application/zip';
const stateBadge = (table, s) => { const [t, tone] = label(table, s); return badge(t, tone); };

export function renderPane(root, v, pane) {
	const f = { general, extensions, profiles, privacy, notifications, log }[pane] || privacy;
	f(root, v);
}

// ---- General (About) ----
function general(root, v) {
	const d = v.device;
	const e = d.enrollment || {};
	frame(root, 'General',
		h('div', { class: 'hero' }, h('span', { class: 'hero-icon' }, glyph('laptop')),
			h('div', {}, h('h2', {}, d.name), h('p', { class: 'muted' }, `macOS ${d.os} · ${chipName(d)} (${d.arch})`))),
		group('About', kv('Name', d.name), kv('Chip', chipName(d)), kv('macOS', d.os), kv('Serial Number', d.serial),
			kv('Hardware UUID', d.udid), kv('Starts since creation', String(d.boot_count))),
		group('Security', kv('System Integrity Protection', d.sip && d.sip.enabled ? 'Enabled' : 'Disabled'),
			d.chip === 'apple-silicon' ? kv('Security Policy', POLICY[d.security?.policy] || d.security?.policy) : null,
			kv('Restart needed', d.restart_pending ? 'Yes' : 'No')),
		group('Device Management', kv('Enrollment', e.method === 'none' ? 'Not enrolled' : `${e.method}${e.supervised ? ', supervised' : ''}${e.user_approved ? ', user approved' : ''}`),
			kv('Bootstrap token escrowed', e.bootstrap_token_escrowed ? 'Yes' : 'No')),
		group('Users', ...(d.users || []).map((u) => kv(u.name, u.admin ? 'Administrator' : 'Standard'))));
}

// ---- General › Login Items & Extensions ----
function extensions(root, v) {
	const d = v.device;
	const v15 = osAtLeast(d.os, 15);
	const live = v.sysexts.filter(isLive);
	const cats = new Map();
	for (const x of live) { const c = categoryName(x.category); if (!cats.has(c)) cats.set(c, []); cats.get(c).push(x); }
	const groups = [...cats.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([cat, xs]) =>
		group(cat, ...xs.map((x) => sysextRow(v, x, v15))));
	frame(root, 'Login Items & Extensions',
		h('p', { class: 'pane-intro' }, v15
			? 'Extensions add functionality to your Mac. Turn an extension off to disable it; an administrator’s name and password are needed.'
			: `On macOS ${d.os} system extensions are allowed in Privacy & Security; macOS 15 adds the switches here.`),
		groups.length ? groups : group('Extensions', row(h('span', { class: 'muted' }, 'No system extensions are installed on this Mac.'))),
		terminated(v),
		group('Applications', row(h('span', { class: 'row-main' }, h('span', {}, 'Install an app in /Applications'),
			h('small', {}, 'An archive (.zip, .tar or .tar.gz) holding one .app. Its system extensions are activated when the app asks for them.')),
		...fileButton('Install App…', { accept: ARCHIVES, key: 'install-app', onfile: async (f) => {
			const r = await uploadArchive(v, f, '/apps', `“${f.name}”`);
			if (r) toast(`Installed ${r.path} (${r.system_extensions} system extension${r.system_extensions === 1 ? '' : 's'} inside).`);
		} }))));
}

function terminated(v) {
	const gone = v.sysexts.filter((x) => !isLive(x));
	if (!gone.length) return null;
	return group('Waiting to be removed', ...gone.map((x) => row(
		h('span', { class: 'row-main' }, h('strong', {}, sysextTitle(x)), h('small', {}, `${x.bundle_id} (${x.team_id})`)),
		stateBadge(SYSEXT_STATE, x.state))));
}

// The profile key that keeps an extension on in System Settings, if one does.
function nonRemovable(v, x) {
	const sx = (v.policy && v.policy.system_extensions) || {};
	for (const key of ['NonRemovableFromUISystemExtensions', 'NonRemovableSystemExtensions']) {
		const ids = sx[key] && sx[key][x.team_id];
		if (Array.isArray(ids) && ids.includes(x.bundle_id)) return key;
	}
	return null;
}

function sysextRow(v, x, v15) {
	const title = sysextTitle(x);
	const locked = nonRemovable(v, x);
	const main = h('span', { class: 'row-main' }, h('strong', {}, title),
		h('small', {}, `${x.bundle_id} · ${x.team_id} · ${x.version || x.bundle_version || ''}`),
		locked ? h('small', { class: 'managed' }, glyph('lock', 'inline-glyph'), 'Kept on by your organisation’s profile') : null);
	const kids = [main, stateBadge(SYSEXT_STATE, x.state)];
	if (v15) {
		const on = x.state === 'activated_enabled' || x.state === 'activated_enabling';
		const canToggle = ['activated_enabled', 'activated_disabled', 'activated_waiting_for_user'].includes(x.state);
		const sw = toggle({ checked: on, label: `${title} (${x.bundle_id})`, disabled: !canToggle,
			onchange: (want) => setEnabled(v, x, want, locked) });
		sw.dataset.key = `sx:${x.bundle_id}`;
		kids.push(sw);
	}
	return row(...kids);
}

async function setEnabled(v, x, want, locked) {
	const title = sysextTitle(x);
	const approve = x.state === 'activated_waiting_for_user' && want;
	const path = `/sysexts/${enc(x.bundle_id)}/${approve ? 'approve' : 'enabled'}`;
	// a profile keeps it on: the daemon refuses without a password, so none is asked
	if (locked && !want) {
		try { await v.act('POST', path, { enabled: false }); } catch (e) {
			v.render();
			await message(`“${title}” cannot be disabled.`, e.message);
			return;
		}
		v.render();
		return;
	}
	await v.admin(`${want ? 'enable' : 'disable'} the extension “${title}”`, 'POST', path, approve ? {} : { enabled: want },
		{ app: 'Login Items & Extensions', refused: `“${title}” cannot be ${want ? 'enabled' : 'disabled'}.` });
	v.render();   // the switch shows the state the Mac is in, whatever happened
}

// ---- General › Device Management: profiles and their payloads ----
// Install Profile… (a .mobileconfig, after an administrator authenticates)
// and Remove… of a profile installed by hand; one MDM installed is refused
// by the daemon at once, with the reason, and no password is asked.
function profiles(root, v) {
	const list = v.profiles || [];
	frame(root, 'Device Management',
		h('p', { class: 'pane-intro' }, v.device.enrollment?.method && v.device.enrollment.method !== 'none'
			? 'This Mac is managed: profiles installed by its MDM server configure it.' : 'Profiles installed on this Mac.'),
		list.length ? group('Profiles', ...list.map((p) => {
			const types = Array.isArray(p.payload_types) ? p.payload_types : [];
			const name = p.display_name || p.identifier;
			const open = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Details of ${name}`,
				dataset: { key: `pr:${p.identifier}` }, onclick: () => profileSheet(p) }, 'Details…');
			const rm = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Remove ${name}`,
				dataset: { key: `prrm:${p.identifier}` }, onclick: () => removeProfile(v, p) }, 'Remove…');
			return row(h('span', { class: 'row-main' }, h('span', { class: 'row-icon' }, tile('badge', 'gray')),
				h('span', {}, h('strong', {}, name),
					h('small', {}, `${p.organization ? `${p.organization} · ` : ''}${types.length} ${types.length === 1 ? 'payload' : 'payloads'} · ${p.source === 'mdm' ? 'installed by MDM' : 'installed by hand'}`))),
			p.signer ? badge('Verified', 'green') : badge('Unsigned', 'gray'), open, rm);
		})) : group('Profiles', row(h('span', { class: 'muted' }, 'No profiles are installed.'))),
		group(null, row(h('span', { class: 'row-main' }, h('span', {}, 'Install a configuration profile'),
			h('small', {}, 'A .mobileconfig (XML, binary or signed). An administrator’s name and password are needed; some payloads only an MDM server may install.')),
		...fileButton('Install Profile…', { accept: '.mobileconfig,.plist,application/x-apple-aspen-config', key: 'install-profile', onfile: (f) => installProfile(v, f) }))));
}

async function installProfile(v, file) {
	if (file.size > 4 * MiB) { await message(`“${file.name}” is too large.`, 'A profile of at most 4 MiB can be installed.'); return; }
	const r = await v.admin(`install the profile “${file.name}”`, 'POST', '/profiles', file,
		{ app: 'Device Management', button: 'Install', upload: 'application/x-apple-aspen-config', refused: `“${file.name}” was not installed.` });
	if (r) toast(`Installed the profile “${r.display_name || r.identifier}”.`);
}

async function removeProfile(v, p) {
	const name = p.display_name || p.identifier;
	const path = `/profiles/${enc(p.identifier)}`;
	if (p.source === 'mdm') {
		// only its MDM server removes it: the daemon says so without a password
		try { await v.act('DELETE', path, {}); } catch (e) {
			v.render();
			await message(`“${name}” cannot be removed.`, e.message);
			return;
		}
		v.render();
		toast(`Removed the profile “${name}”.`);
		return;
	}
	const ok = await sheet({ icon: tile('badge', 'gray'), title: `Are you sure you want to remove the profile “${name}”?`,
		text: 'The settings it installed stop applying to this Mac.',
		buttons: [{ label: 'Cancel', cancel: true }, { label: 'Remove', primary: true, destructive: true }] });
	if (!ok) return;
	const r = await v.admin(`remove the profile “${name}”`, 'DELETE', path, {},
		{ app: 'Device Management', button: 'Remove', refused: `“${name}” was not removed.` });
	if (r) toast(`Removed the profile “${name}”.`);
}

function profileSheet(p) {
	const types = Array.isArray(p.payload_types) ? p.payload_types : [];
	const dl = h('dl', { class: 'props' });
	const add = (k, val) => { if (val !== undefined && val !== null && val !== '') dl.append(h('dt', {}, k), h('dd', {}, String(val))); };
	add('Identifier', p.identifier); add('UUID', p.uuid); add('Organization', p.organization); add('Source', p.source);
	add('Signed by', typeof p.signer === 'object' && p.signer ? p.signer.subject || JSON.stringify(p.signer) : p.signer);
	add('Installed', typeof p.installed_at === 'number' ? fmtTime(p.installed_at) : p.installed_at);
	return sheet({ icon: tile('badge', 'gray'), title: p.display_name || p.identifier, wide: true,
		body: [dl, h('h3', { class: 'sheet-sub' }, 'Payloads'),
			h('ul', { class: 'payloads' }, types.map((t) => h('li', {}, h('code', {}, typeof t === 'string' ? t : t.type || JSON.stringify(t)))))],
		buttons: [{ label: 'Done', primary: true }] });
}

// ---- Privacy & Security ----
function privacy(root, v) {
	const d = v.device;
	const v15 = osAtLeast(d.os, 15);
	const rows = [];
	for (const k of v.kexts) {
		if (k.state === 'awaiting_user_approval' || k.state === 'rejected_by_policy') {
			const who = k.developer_name || k.team_id;
			const forbidden = k.state === 'rejected_by_policy';
			const btn = h('button', { type: 'button', class: 'btn', disabled: forbidden, dataset: { key: `allow:${k.bundle_id}` },
				'aria-label': `Allow system software from developer ${who}`,
				onclick: () => v.admin('modify your Security & Privacy settings', 'POST', `/kexts/${enc(k.bundle_id)}/approve`, {}, { app: 'Privacy & Security' }) }, 'Allow');
			rows.push(row(h('span', { class: 'row-main' }, h('span', { class: 'blocked-text' }, `System software from developer “${who}” was blocked from loading.`),
				forbidden ? h('small', {}, 'Your organisation’s policy does not allow approving this extension.') : h('small', {}, k.bundle_id)), btn));
		} else if (k.state === 'blocked_by_security_policy') {
			rows.push(row(h('span', { class: 'row-main' }, h('span', { class: 'blocked-text' }, 'To enable system extensions, you need to modify your security settings in the Recovery environment.'),
				h('small', {}, `${k.developer_name || k.team_id}: ${k.bundle_id}`)),
			h('button', { type: 'button', class: 'btn', dataset: { key: `enable:${k.bundle_id}` }, onclick: () => enableSheet(v) }, 'Enable System Extensions…')));
		}
	}
	if (!v15) {
		for (const x of v.sysexts.filter((s) => s.state === 'activated_waiting_for_user')) {
			const app = sysextTitle(x);
			rows.push(row(h('span', { class: 'row-main' }, h('span', { class: 'blocked-text' }, `System software from application “${app}” was blocked from loading.`), h('small', {}, x.bundle_id)),
				h('button', { type: 'button', class: 'btn', dataset: { key: `allowsx:${x.bundle_id}` }, 'aria-label': `Allow system software from application ${app}`,
					onclick: () => v.admin('modify your Security & Privacy settings', 'POST', `/sysexts/${enc(x.bundle_id)}/approve`, {}, { app: 'Privacy & Security' }) }, 'Allow')));
		}
	}
	const s = v.security || {};
	const sec = d.chip === 'apple-silicon' ? group('Startup Security',
		kv('Security Policy', POLICY[s.policy || d.security?.policy] || '—'),
		kv('Allow user management of kernel extensions from identified developers', (s.kext_user_management ?? d.security?.kext_user_management) ? 'On' : 'Off'),
		kv('Allow remote management of kernel extensions and automatic software updates', (s.kext_remote_management ?? d.security?.kext_remote_management) ? 'On' : 'Off'),
		kv('System Integrity Protection', d.sip?.enabled ? 'Enabled' : 'Disabled'),
		row(h('small', { class: 'muted' }, 'Change these in Startup Security Utility: shut down, press and hold the power button, choose Options, then Utilities › Startup Security Utility.'))) : null;
	frame(root, 'Privacy & Security',
		group('Security', ...(rows.length ? rows : [row(h('span', { class: 'muted' }, 'No system software is waiting to be allowed.'))])),
		group('Kernel Extensions', ...(v.kexts.length ? v.kexts.map((k) => row(
			h('span', { class: 'row-main' }, h('strong', {}, k.bundle_id), h('small', {}, `${k.developer_name || k.team_id} · ${k.version} · ${k.signature}${k.approval && k.approval !== 'none' ? ` · approved (${k.approval})` : ''}`)),
			stateBadge(KEXT_STATE, k.state),
			k.state === 'installed' ? h('button', { type: 'button', class: 'btn btn-small', dataset: { key: `load:${k.bundle_id}` },
				'aria-label': `Load ${k.bundle_id}`, onclick: () => loadKext(v, k) }, 'Load') : null)) : [row(h('span', { class: 'muted' }, 'No kernel extensions are installed.'))]),
		row(h('span', { class: 'row-main' }, h('span', {}, 'Install a kernel extension in /Library/Extensions'),
			h('small', {}, 'An archive (.tar, .tar.gz or .zip) holding one .kext. It loads once it is allowed, as macOS decides.')),
		...fileButton('Install Kernel Extension…', { accept: ARCHIVES, key: 'install-kext', onfile: async (f) => {
			const r = await uploadArchive(v, f, '/kexts', `“${f.name}”`);
			if (r) toast(`Installed ${r.bundle_id || 'the kernel extension'} in /Library/Extensions.`);
		} }))),
		sec);
}

// kmutil load -b ID: what it reached is kept; a kext that needs approval or
// a restart answers KMErrorDomain (the Mac's alert says what to do).
async function loadKext(v, k) {
	try {
		await v.act('POST', `/kexts/${enc(k.bundle_id)}/load`, {});
		toast(`${k.bundle_id} is loaded.`);
	} catch (e) {
		if (e.domain === 'KMErrorDomain') toast(e.message);
		else await message(`${k.bundle_id} could not be loaded.`, e.message);
	}
}

function enableSheet(v) {
	return sheet({ icon: tile('shield', 'orange'), title: 'Enable System Extensions',
		text: 'To enable system extensions, you need to modify your security settings in the Recovery environment. Shut down your Mac, then press and hold the power button until “Loading startup options” appears. Choose Options, then Utilities › Startup Security Utility, choose Reduced Security and select “Allow user management of kernel extensions from identified developers”, and restart your Mac.',
		buttons: [{ label: 'Cancel', cancel: true }, { label: 'Shut Down', primary: true }] })
		.then((ok) => (ok ? v.powerRequest('shutdown', 'shut down') : null));
}

// ---- Alerts: what `macext alerts` has on screen ----
function notifications(root, v) {
	frame(root, 'Alerts',
		h('p', { class: 'pane-intro' }, 'The dialogs and notices on this Mac’s screen now. Each new one opens here as a dialog; Close takes one off the Mac’s screen, as its user pressing OK would.'),
		group('On screen', ...(v.alerts.length ? v.alerts.map((a) => {
			const x = alertAction(a); const [who, tone] = WHO[x.who];
			return row(h('span', { class: 'row-main' }, h('strong', {}, a.title), h('small', { class: 'clamp' }, a.text)),
				badge(`${who}`, tone),
				h('button', { type: 'button', class: 'btn btn-small', dataset: { key: `al:${a.id}` }, onclick: () => v.replay(a) }, 'Show…'),
				h('button', { type: 'button', class: 'btn btn-small', dataset: { key: `alclose:${a.id}` }, 'aria-label': `Close alert: ${a.title}${a.subject ? ` (${a.subject})` : ''}`,
					onclick: async () => {
						v.dismiss(a);
						await v.closeAlert(a);
						// the focus goes to the next alert's Close, else to the pane
						const next = root.querySelector('[data-key^="alclose:"]');
						(next || document.getElementById('pane')).focus();
					} }, 'Close'));
		}) : [row(h('span', { class: 'muted' }, 'Nothing is on screen.'))])),
		h('p', { class: 'pane-note muted' }, 'What an alert is about stays when it is closed: a kernel extension still waits to be allowed, and asks again at its next load.'));
}

// ---- the event log, paged (GET …/log?limit=&after=) ----
const LOG_PAGE = 200, LOG_PAGES = 25;
function log(root, v) {
	const tbody = h('tbody');
	const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Show More');
	const st = { after: 0, busy: false };
	// pages come oldest first (after=ID); each is put on top, so the newest
	// event is the first row.  At most LOG_PAGES pages load at a time.
	const load = async () => {
		if (st.busy) return;
		st.busy = true;
		try {
			for (let n = 0; n < LOG_PAGES; n++) {
				const p = new URLSearchParams({ limit: String(LOG_PAGE) });
				if (st.after) p.set('after', String(st.after));
				const items = await api.get(`${v.base}/log?${p}`) || [];
				for (const e of items) {
					tbody.prepend(h('tr', {}, h('td', { class: 'nowrap' }, fmtTime(e.time)), h('td', {}, e.actor), h('td', {}, e.what), h('td', { class: 'muted' }, e.why || '')));
					st.after = Math.max(st.after, e.id);
				}
				more.hidden = items.length < LOG_PAGE || n < LOG_PAGES - 1;
				if (items.length < LOG_PAGE) break;
			}
		} catch (e) { toast(e.message, 'error'); } finally { st.busy = false; }
	};
	more.addEventListener('click', load);
	v.logView = { more: load, live: () => tbody.isConnected };
	frame(root, 'Event Log',
		h('p', { class: 'pane-intro' }, 'Everything that happened to this Mac, newest first; new events appear as they happen.'),
		h('section', { class: 'group' }, h('div', { class: 'group-box table-box' },
			h('table', { class: 'log' }, h('caption', { class: 'visually-hidden' }, `Event log of ${v.name}`),
				h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'By'), h('th', { scope: 'col' }, 'Event'), h('th', { scope: 'col' }, 'Why'))),
				tbody)), h('div', { class: 'pager' }, more)));
	load();
}
