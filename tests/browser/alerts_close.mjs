// alerts_close.mjs — Alerts' Close takes an alert off the Mac's screen
// (POST …/alerts/ID/dismiss), with the keyboard alone: the dialogs the page
// shows when it opens change nothing in the daemon (looking at a Mac is not
// pressing its OK), Tab reaches Close, Enter closes that alert and only it,
// the focus moves to the next Close and then to the pane; the log says so,
// the kext still waits for approval, and All Macs still says an
// administrator must act.  A new alert opens as a dialog again.  Light and
// dark appearance.
import { run } from './lib.mjs';

const A = 'com.example.AlertA', B = 'com.example.AlertB';

run('alerts_close', async (t) => {
	t.device('ac', '--arch', 'x86_64', '--os', '14.6');
	t.env.MACEXT_DEVICE = 'ac';
	t.mx('kext', 'install', t.forge('kext', 'A.kext', '--bundle-id', A, '--team', 'ALERTA0001', '--team-name', 'Alpha Inc.'));
	t.mx('kext', 'install', t.forge('kext', 'B.kext', '--bundle-id', B, '--team', 'ALERTB0001', '--team-name', 'Beta Inc.'));
	t.mxFails('kmutil', 'load', '-b', A);
	t.mxFails('kmutil', 'load', '-b', B);
	const alerts = () => t.mxJson('alerts');
	const kstate = (id) => t.mxJson('kext', 'list').find((k) => k.bundle_id === id).state;
	t.check('setup_two_alerts', alerts().length === 2, JSON.stringify(alerts()));
	await t.serve();
	const page = await t.open('#/mac/ac/notifications');
	const focused = () => page.evaluate(() => { const e = document.activeElement; return e ? (e.getAttribute('aria-label') || e.textContent || e.id || e.tagName).trim() : ''; });

	// the dialogs of the page opening: seen here, still on the Mac's screen
	const blocked = page.getByRole('dialog', { name: /System Extension Blocked/ });
	const seen = [];
	for (let i = 0; i < 2; i++) {
		const open = page.locator('dialog[open]:not(.closing)');
		await open.waitFor();
		const who = (await open.textContent()).includes('Alpha Inc.') ? 'Alpha Inc.' : 'Beta Inc.';
		seen.push(who);
		await page.keyboard.press('Escape');
		await blocked.filter({ hasText: who }).waitFor({ state: 'detached' });
	}
	t.check('both_shown_as_dialogs', seen.sort().join() === 'Alpha Inc.,Beta Inc.', seen.join());
	t.check('viewing_closes_nothing', alerts().length === 2, JSON.stringify(alerts()));
	await t.ok('pane_lists_both', async () => {
		await page.getByRole('button', { name: `Close alert: System Extension Blocked (${A})` }).waitFor();
		await page.getByRole('button', { name: `Close alert: System Extension Blocked (${B})` }).waitFor();
	});
	await t.ok('sidebar_counts_two', () => page.getByLabel('2 alerts').waitFor());
	await t.shot(page, 'alerts-light');
	await page.emulateMedia({ colorScheme: 'dark' });
	const boxBg = () => page.locator('.group-box').first().evaluate((e) => getComputedStyle(e).backgroundColor);
	t.check('dark_box', (await boxBg()) === 'rgb(42, 42, 44)', await boxBg());
	await t.shot(page, 'alerts-dark');
	await page.emulateMedia({ colorScheme: 'light' });
	t.check('light_box', (await boxBg()) === 'rgb(255, 255, 255)', await boxBg());

	// the keyboard: Tab to the first Close, Enter
	const closeA = page.getByRole('button', { name: `Close alert: System Extension Blocked (${A})` });
	let n = 0;
	while (!(await closeA.evaluate((e) => e === document.activeElement)) && n++ < 40) await page.keyboard.press('Tab');
	t.check('tab_reaches_close', n < 40, `after ${n} tabs: ${await focused()}`);
	await page.keyboard.press('Enter');
	await t.until('closed_in_daemon', () => alerts().length === 1);
	t.check('the_right_one_closed', alerts()[0].subject === B, JSON.stringify(alerts()));
	await t.ok('row_gone', () => closeA.waitFor({ state: 'detached' }));
	await t.ok('focus_on_next_close', () => t.until('focus', async () => (await focused()) === `Close alert: System Extension Blocked (${B})`, 3000));
	t.check('log_says_closed', /alert \d+ "System Extension Blocked" closed \(kext-blocked com\.example\.AlertA\)/.test(t.mx('log')), t.mx('log').split('\n').slice(-3).join('\n'));
	t.check('kext_still_waits', kstate(A) === 'awaiting_user_approval', kstate(A));
	await page.keyboard.press('Enter');
	await t.until('both_closed', () => alerts().length === 0);
	await t.ok('nothing_on_screen', () => page.getByText('Nothing is on screen.').waitFor());
	await t.ok('focus_on_pane', () => t.until('pane focus', () => page.evaluate(() => document.activeElement && document.activeElement.id === 'pane'), 3000));
	t.check('no_sidebar_count', (await page.getByLabel(/\d+ alerts/).count()) === 0);

	// All Macs: the kexts still wait, so an administrator still must act
	await page.getByRole('link', { name: 'All Macs' }).click();
	const row = page.locator('tr', { has: page.getByRole('link', { name: 'ac', exact: true }) });
	await t.ok('fleet_row_waiting', () => row.getByText('2 Waiting for approval').waitFor());
	await t.ok('fleet_row_admin_must_act', () => row.getByText('Administrator approval').waitFor());

	// a new attempt: a new alert, a dialog again
	await page.getByRole('link', { name: 'ac', exact: true }).click();
	t.mxFails('kmutil', 'load', '-b', A);
	await t.ok('new_alert_dialog', () => blocked.waitFor());
	await blocked.getByRole('button', { name: 'OK' }).click();
	t.check('still_on_screen_after_ok', alerts().length === 1, JSON.stringify(alerts()));
});
