// power.js — a Mac that is not running macOS: shut down (the power button:
// press to start, press and hold for the startup options, i.e. recoveryOS),
// and recoveryOS with Startup Security Utility (Full / Reduced / Permissive
// Security and the two kext options, changed after an administrator
// authenticates).
import { h, sheet, tile, glyph, message, toast } from './ui.js';
import { POLICY } from './model.js';

export const HOLD_MS = 1500;   // how long "press and hold" is

// The power button: a short press starts macOS, holding it HOLD_MS starts
// recoveryOS ("Loading startup options…").  Pointer or keyboard (Space or
// Enter held); the ring shows how long it has been held.
function powerButton(v) {
	const ring = h('span', { class: 'hold-ring', 'aria-hidden': 'true' });
	const hint = h('p', { class: 'power-hint', id: 'power-hint' });
	const apple = v.device.chip === 'apple-silicon';
	hint.textContent = apple
		? 'Press to start up. Press and hold until “Loading startup options” appears to start recoveryOS.'
		: 'Press to start up. Press and keep holding (as Command-R at startup) to start recoveryOS.';
	const btn = h('button', { type: 'button', class: 'power-button', 'aria-describedby': 'power-hint', dataset: { key: 'power' } },
		ring, glyph('power'), h('span', { class: 'visually-hidden' }, 'Power button'));
	// held past HOLD_MS the hint says "Loading startup options…"; the
	// release then starts recoveryOS (a shorter press starts macOS)
	let t0 = 0, timer = 0, held = false;
	const down = () => {
		if (t0 || btn.disabled) return;
		t0 = performance.now(); held = false; v.holding = true;
		btn.classList.add('holding');
		timer = setTimeout(() => {
			held = true;
			btn.classList.remove('holding'); btn.classList.add('loading');
			hint.textContent = apple ? 'Loading startup options…' : 'Starting recoveryOS…';
		}, HOLD_MS);
	};
	const up = async () => {
		if (!t0) return;
		clearTimeout(timer);
		t0 = 0; btn.classList.remove('holding'); v.holding = false;
		btn.disabled = true;
		if (!held) hint.textContent = 'Starting up…';
		try {
			if (held) await v.act('POST', '/recovery', { via: 'power-button' });
			else await v.act('POST', '/power-on', {});
		} catch (e) {
			btn.disabled = false; btn.classList.remove('loading');
			await message(held ? 'recoveryOS did not start.' : 'The Mac did not start.', e.message);
		}
		if (v.renderLater) v.render();
	};
	btn.addEventListener('pointerdown', (e) => { if (e.button === 0) { btn.setPointerCapture?.(e.pointerId); down(); } });
	btn.addEventListener('pointerup', up);
	btn.addEventListener('pointercancel', () => { clearTimeout(timer); t0 = 0; v.holding = false; btn.classList.remove('holding', 'loading'); if (v.renderLater) v.render(); });
	btn.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); down(); } else if (e.key === ' ' || e.key === 'Enter') e.preventDefault(); });
	btn.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); up(); } });
	btn.addEventListener('click', (e) => e.preventDefault());
	return [btn, hint];
}

export function renderOff(root, v) {
	const d = v.device;
	root.append(h('div', { class: 'screen screen-off', role: 'region', 'aria-label': `${d.name} is shut down` },
		h('div', { class: 'screen-inner' },
			h('span', { class: 'screen-mac' }, glyph('laptop')),
			h('h1', {}, `${d.name} is shut down`),
			h('p', { class: 'muted' }, d.restart_pending ? 'Changes made before it shut down take effect at the next start.' : `macOS ${d.os} · ${d.chip === 'apple-silicon' ? 'Apple silicon' : 'Intel'}`),
			...powerButton(v))));
	setTimeout(() => root.querySelector('.power-button')?.focus(), 0);
}

export function renderRecovery(root, v) {
	const d = v.device;
	const onePower = d.recovery_entry === 'power-button';
	const apple = d.chip === 'apple-silicon';
	const ssu = h('button', { type: 'button', class: 'recovery-option', dataset: { key: 'ssu' }, onclick: () => startupSecurity(v) },
		tile('shield', 'gray'), h('span', {}, h('strong', {}, 'Startup Security Utility'), h('small', {}, apple ? 'Set the security policy of this Mac’s startup disk.' : 'Intel Macs have no security policy for kernel extensions.')));
	root.append(h('div', { class: 'screen screen-recovery', role: 'region', 'aria-label': 'macOS Recovery' },
		h('div', { class: 'recovery-window', role: 'group', 'aria-labelledby': 'recovery-title' },
			h('h1', { id: 'recovery-title' }, 'macOS Recovery'),
			h('p', { class: 'muted' }, onePower ? 'Started by pressing and holding the power button: the security policy can be lowered here.'
				: 'Started from macOS: only a start with the power button held may lower the security policy.'),
			h('div', { class: 'recovery-options', role: 'list' }, h('div', { role: 'listitem' }, ssu)),
			h('div', { class: 'recovery-foot' },
				h('button', { type: 'button', class: 'btn', onclick: () => v.shutdown() }, 'Shut Down…'),
				h('button', { type: 'button', class: 'btn btn-primary', dataset: { key: 'restart' }, onclick: () => v.powerRequest('restart', 'restart') }, 'Restart')))));
	setTimeout(() => { if (!document.querySelector('dialog[open]')) (root.querySelector('[data-key=ssu]'))?.focus(); }, 0);
}

// Startup Security Utility: the policy sheet, then the administrator.
export async function startupSecurity(v) {
	const d = v.device;
	if (d.chip !== 'apple-silicon') {
		await message('Startup Security Utility', 'This Intel Mac has no LocalPolicy: kernel extensions from identified developers need only to be allowed in Privacy & Security.', tile('info', 'blue'));
		return;
	}
	const cur = (v.security && v.security.policy) || d.security.policy;
	const radio = (value, title, text) => h('label', { class: 'choice' },
		h('input', { type: 'radio', name: 'policy', value, checked: cur === value }),
		h('span', {}, h('strong', {}, title), h('small', {}, text)));
	const check = (name, text, on) => h('label', { class: 'choice sub' }, h('input', { type: 'checkbox', name, checked: !!on }), h('span', {}, text));
	const userK = check('allow_kexts', 'Allow user management of kernel extensions from identified developers', d.security.kext_user_management);
	const mdmK = check('allow_mdm_kexts', 'Allow remote management of kernel extensions and automatic software updates', d.security.kext_remote_management);
	const fieldset = h('fieldset', { class: 'choices' }, h('legend', {}, 'Security Policy for “Macintosh HD”'),
		radio('full', POLICY.full, 'Ensures that only your current OS, or signed operating system software currently trusted by Apple, can run.'),
		radio('reduced', POLICY.reduced, 'Allows any version of signed operating system software ever trusted by Apple to run.'),
		h('div', { class: 'sub-choices' }, userK, mdmK),
		radio('permissive', POLICY.permissive, 'Allows software that is not signed by Apple, and System Integrity Protection relaxed, to run.'));
	const sync = () => {
		const p = fieldset.querySelector('input[name=policy]:checked')?.value;
		for (const c of [userK, mdmK]) { const i = c.querySelector('input'); i.disabled = p === 'full'; if (p === 'full') i.checked = false; }
	};
	fieldset.addEventListener('change', sync); sync();
	const choice = await sheet({ icon: tile('shield', 'gray'), title: 'Startup Security Utility', wide: true,
		text: 'Select a security policy for this Mac’s startup disk.', body: [fieldset],
		buttons: [{ label: 'Cancel', cancel: true }, { label: 'OK', primary: true }],
		submit: async () => {
			const policy = fieldset.querySelector('input[name=policy]:checked')?.value;
			if (!policy) throw new Error('Choose a security policy.');
			return { policy, allow_kexts: userK.querySelector('input').checked, allow_mdm_kexts: mdmK.querySelector('input').checked };
		} });
	if (!choice) return;
	const r = await v.admin('change the security policy of “Macintosh HD”', 'POST', '/security', choice,
		{ app: 'Startup Security Utility', button: 'OK', refused: 'The security policy was not changed.' });
	if (r) toast(`Security policy: ${POLICY[choice.policy]}. Restart to use it.`);
}
