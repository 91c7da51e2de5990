// model.js — what the documents of the API mean to a person: state labels,
// their tone, and who must act on a Mac (an administrator in System Settings,
// a restart, recoveryOS) — the same reading as `fleet summary`'s user_actions.

export const KEXT_STATE = {
	installed: ['Installed, not loaded', 'gray'],
	blocked_by_security_policy: ['Blocked by security policy', 'red'],
	awaiting_user_approval: ['Waiting for approval', 'orange'],
	awaiting_restart: ['Allowed, restart to load', 'blue'],
	loaded: ['Loaded', 'green'],
	rejected_signature: ['Rejected: signature', 'red'],
	rejected_by_policy: ['Rejected by policy', 'red'],
	removed_awaiting_restart: ['Removed, restart to unload', 'gray'],
};

export const SYSEXT_STATE = {
	activated_enabled: ['Enabled', 'green'],
	activated_enabling: ['Enabling', 'blue'],
	activated_disabled: ['Disabled', 'gray'],
	activated_waiting_for_user: ['Waiting for approval', 'orange'],
	activated_waiting_to_upgrade: ['Waiting to upgrade', 'blue'],
	activated_waiting_to_upgrade_on_reboot: ['Upgrade at restart', 'blue'],
	terminating_for_disable: ['Disabling', 'gray'],
	terminating_for_disable_but_still_running: ['Disabled at restart', 'gray'],
	terminating_for_uninstall: ['Uninstalling', 'gray'],
	terminating_for_uninstall_but_still_running: ['Uninstalled at restart', 'gray'],
	terminating_for_uninstall_via_delegate: ['Uninstalling', 'gray'],
	terminating_for_upgrade_via_delegate: ['Upgrading', 'blue'],
	terminated_waiting_to_uninstall_on_reboot: ['Removed at restart', 'gray'],
	staged: ['Staged', 'gray'],
	uninstalling: ['Uninstalling', 'gray'],
	uninstalled: ['Uninstalled', 'gray'],
	invalid: ['Invalid', 'red'],
};

export const label = (table, s) => (table[s] || [String(s || 'unknown').replaceAll('_', ' '), 'gray']);

export const CATEGORY = {
	'com.apple.system_extension.endpoint_security': 'Endpoint Security Extensions',
	'com.apple.system_extension.network_extension': 'Network Extensions',
	'com.apple.system_extension.driver_extension': 'Driver Extensions',
	'com.apple.system_extension.fskit': 'File System Extensions',
};
export const categoryName = (c) => CATEGORY[c] || (c ? `Other (${c})` : 'Other Extensions');

export const ENVIRONMENT = { macos: ['Running macOS', 'green'], recovery: ['In recoveryOS', 'purple'], off: ['Shut down', 'gray'] };
export const POLICY = { full: 'Full Security', reduced: 'Reduced Security', permissive: 'Permissive Security' };

export function osAtLeast(os, major, minor = 0) {
	const [a = 0, b = 0] = String(os || '').split('.').map((x) => parseInt(x, 10) || 0);
	return a > major || (a === major && b >= minor);
}

// The action an alert asks of a person (kind + text), worded for the table.
export function alertAction(a) {
	const kind = a.kind || '', text = a.text || '';
	if (kind.includes('restart')) return { who: 'restart', text: 'Restart the Mac' };
	if (/Recovery|recoveryOS|power button/.test(text)) return { who: 'recovery', text: 'recoveryOS: lower security, restart' };
	if (/policy does not allow/.test(text)) return { who: 'none', text: 'None: the policy forbids approval' };
	if (kind.includes('blocked') || kind.includes('approv')) return { who: 'admin', text: 'Administrator approval' };
	if (kind.includes('auth') || kind.includes('uninstall')) return { who: 'admin', text: 'Administrator authentication' };
	return { who: 'other', text: a.title || kind };
}

export const WHO = {
	admin: ['Administrator', 'orange'],
	restart: ['Restart', 'blue'],
	recovery: ['recoveryOS', 'purple'],
	none: ['Blocked by policy', 'red'],
	other: ['Attention', 'gray'],
};

// Who must act on a Mac of the fleet table, from its device list item: the
// summary's user_actions (the words of `fleet summary`, src/engine/
// fleet_select.c) in the page's words, the restart it waits for, and what
// its extensions' states still ask for when the alert was closed (the kext
// still waits to be allowed: closing an alert changes nothing else).
const SUMMARY_ACTION = [
	[/^restart the Mac$/, 'restart', 'Restart the Mac'],
	[/recoveryOS/, 'recovery', 'recoveryOS: lower security, restart'],
	[/policy forbids/, 'none', 'None: the policy forbids approval'],
	[/^allow in System Settings/, 'admin', 'Administrator approval'],
	[/^administrator authentication/, 'admin', 'Administrator authentication'],
];
export function summaryActions(d) {
	const s = (d && d.summary) || {};
	const out = [], seen = new Set();
	const push = (who, text) => { const k = `${who}:${text}`; if (!seen.has(k)) { seen.add(k); out.push({ who, text }); } };
	for (const text of Object.keys(s.user_actions || {})) {
		const hit = SUMMARY_ACTION.find(([re]) => re.test(text));
		if (hit) push(hit[1], hit[2]);
		else push('other', (/^other: \S+ \((.*)\)$/.exec(text) || [])[1] || text);
	}
	const k = s.kext_states || {}, x = s.sysext_states || {};
	if (k.awaiting_user_approval || x.activated_waiting_for_user) push('admin', 'Administrator approval');
	if (k.blocked_by_security_policy) push('recovery', 'recoveryOS: lower security, restart');
	if (d && d.restart_pending) push('restart', 'Restart the Mac');
	return out;
}

// A sysext's own name for people: its app's name, else the bundle id's tail.
export function sysextTitle(x) {
	const app = String(x.container || '').split('/').pop().replace(/\.app$/, '');
	return app || x.name || x.bundle_id;
}

export function isLive(x) { return !String(x.state || '').startsWith('termina') && x.state !== 'uninstalled'; }

export function chipName(d) {
	if (d.chip === 'apple-silicon' || d.arch === 'arm64') return 'Apple silicon';
	return 'Intel';
}
