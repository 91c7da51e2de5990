// kext_recovery.mjs — a person gets a blocked kext loading on a Mac with
// Apple silicon, with the page only: the "Enable System Extensions" dialog,
// Shut Down, the power button pressed and held (recoveryOS), Startup
// Security Utility → Reduced Security + "Allow user management of kernel
// extensions from identified developers" (administrator), Restart, Privacy
// & Security's Allow for developer "Oracle America, Inc." (administrator),
// Restart from the "Restart Required" dialog — and the kext is loaded.
// Each step is checked in the store through the CLI, not only on screen.
import { run } from './lib.mjs';

const VB = 'org.virtualbox.kext.VBoxDrv';

run('kext_recovery', async (t) => {
	t.device('m1', '--arch', 'arm64', '--os', '15.1');
	t.env.MACEXT_DEVICE = 'm1';
	const kext = t.forge('kext', 'VBoxDrv.kext', '--bundle-id', VB, '--team', 'VB5E2TV963', '--team-name', 'Oracle America, Inc.', '--arch', 'arm64e');
	t.mx('kext', 'install', kext);
	t.mxFails('kmutil', 'load', '-b', VB);
	const kextState = () => t.mxJson('kext', 'list').find((k) => k.bundle_id === VB);
	const dev = () => t.mxJson('device', 'show');
	t.check('setup_blocked_by_policy', kextState().state === 'blocked_by_security_policy', JSON.stringify(kextState()));

	await t.serve();
	const page = await t.open('#/mac/m1/privacy');

	// the alert macOS shows, as a dialog
	const alert = page.getByRole('dialog', { name: /Enable System Extensions/ });
	await t.ok('alert_shown_as_dialog', () => alert.waitFor());
	await t.shot(page, 'alert');
	await alert.getByRole('button', { name: 'OK' }).click();
	await alert.waitFor({ state: 'detached' });

	// Privacy & Security: the Recovery instructions, and Shut Down
	await t.ok('privacy_says_recovery', () => page.getByText('To enable system extensions, you need to modify your security settings in the Recovery environment.').waitFor());
	await page.getByRole('button', { name: 'Enable System Extensions…' }).click();
	const enable = page.getByRole('dialog', { name: 'Enable System Extensions' });
	await enable.getByRole('button', { name: 'Shut Down' }).click();
	const power = page.getByRole('button', { name: 'Power button' });
	await t.ok('power_on_screen', () => power.waitFor());
	t.check('shut_down_in_store', dev().environment === 'off', JSON.stringify(dev().environment));
	await t.ok('hold_hint_shown', () => page.getByText(/Press and hold until “Loading startup options” appears/).waitFor());
	await t.shot(page, 'off');

	// press and hold the power button
	await power.hover();
	await page.mouse.down();
	await page.waitForTimeout(1900);
	await t.ok('loading_startup_options', () => page.getByText('Loading startup options…').waitFor());
	await page.mouse.up();
	await t.ok('recovery_screen', () => page.getByRole('heading', { name: 'macOS Recovery' }).waitFor());
	const d1 = dev();
	t.check('recovery_via_power_button', d1.environment === 'recovery' && d1.recovery_entry === 'power-button', JSON.stringify([d1.environment, d1.recovery_entry]));

	// Startup Security Utility
	await page.getByRole('button', { name: /Startup Security Utility/ }).click();
	const ssu = page.getByRole('dialog', { name: 'Startup Security Utility' });
	await ssu.getByRole('radio', { name: /Reduced Security/ }).check();
	await ssu.getByRole('checkbox', { name: 'Allow user management of kernel extensions from identified developers' }).check();
	await t.shot(page, 'ssu');
	await ssu.getByRole('button', { name: 'OK' }).click();
	const auth = page.getByRole('dialog', { name: /Startup Security Utility: administrator/ });
	await t.ok('ssu_asks_admin', () => auth.waitFor());
	await auth.getByLabel('Password').fill('pw');
	await t.shot(page, 'ssu-auth');
	await auth.getByRole('button', { name: 'OK' }).click();
	await auth.waitFor({ state: 'detached' });
	await t.until('reduced_in_store', () => { const s = dev().security; return s.policy === 'reduced' && s.kext_user_management; });
	t.pass('security_reduced_with_kext_option');

	// restart into macOS
	await page.getByRole('button', { name: 'Restart', exact: true }).click();
	await t.until('macos_again', () => dev().environment === 'macos');
	t.pass('restarted_into_macos');

	// the blocked-software alert → Privacy & Security → Allow
	const blocked = page.getByRole('dialog', { name: /System Extension Blocked/ });
	if (await blocked.waitFor({ timeout: 5000 }).then(() => true, () => false)) {
		await blocked.getByRole('button', { name: /Open System Settings/ }).click();
		await blocked.waitFor({ state: 'detached' });
	}
	const msg = page.getByText('System software from developer “Oracle America, Inc.” was blocked from loading.');
	await t.ok('privacy_blocked_message', () => msg.waitFor());
	await t.shot(page, 'privacy');
	await page.getByRole('button', { name: 'Allow system software from developer Oracle America, Inc.' }).click();
	const allow = page.getByRole('dialog', { name: /Privacy & Security: administrator/ });
	await t.ok('allow_asks_admin', () => allow.waitFor());
	await t.ok('admin_name_prefilled', async () => { if (await allow.getByLabel('User Name').inputValue() !== 'admin') throw new Error('user name is not admin'); });
	await allow.getByLabel('Password').fill('pw');
	await t.shot(page, 'privacy-allow');
	await allow.getByRole('button', { name: 'Modify Settings' }).click();
	await allow.waitFor({ state: 'detached' });
	await t.until('approved_in_store', () => kextState().approval === 'user');
	t.check('awaiting_restart', kextState().state === 'awaiting_restart', kextState().state);

	// "Restart Required" → Restart
	const rr = page.getByRole('dialog', { name: /Restart Required/ });
	await t.ok('restart_required_dialog', () => rr.waitFor());
	await t.shot(page, 'restart-required');
	await rr.getByRole('button', { name: 'Restart' }).click();
	await t.until('kext_loaded_in_store', () => kextState().state === 'loaded');
	t.pass('kext_loaded');
	await t.ok('page_shows_loaded', () => page.getByRole('region').or(page.locator('.group')).getByText('Loaded', { exact: true }).first().waitFor());
	await t.shot(page, 'loaded');
});
