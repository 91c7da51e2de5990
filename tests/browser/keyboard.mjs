// keyboard.mjs — a person without a mouse: the token sheet (typed, Enter),
// Tab to Allow in Privacy & Security, Enter opens the administrator's sheet
// with the focus in Password, a wrong password + Enter keeps the sheet and
// the focus there, Escape cancels (focus back on Allow), the right password +
// Enter allows; the Apple menu opens with the keyboard and Escape in its
// Restart… sheet restarts nothing.  Focus is visible on each control.
import { run } from './lib.mjs';

const ID = 'com.example.Keys';

run('keyboard', async (t) => {
	t.device('kb', '--arch', 'x86_64', '--os', '15.1');
	t.env.MACEXT_DEVICE = 'kb';
	t.mx('kext', 'install', t.forge('kext', 'Keys.kext', '--bundle-id', ID, '--team', 'KEYS123456', '--team-name', 'Keys Inc.'));
	t.mxFails('kmutil', 'load', '-b', ID);
	const kext = () => t.mxJson('kext', 'list').find((k) => k.bundle_id === ID);
	const bootCount = () => t.mxJson('device', 'show').boot_count;
	await t.serve();
	const page = await t.newPage();
	const focused = () => page.evaluate(() => { const e = document.activeElement; return e ? (e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || e.tagName).trim() : ''; });
	const ring = () => page.evaluate(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; });

	await page.goto(`${t.url}/#/mac/kb/privacy`);
	const tok = page.getByRole('dialog', { name: /access token/i });
	await tok.waitFor();
	t.check('token_field_focused', (await focused()) === 'Access Token', await focused());
	await page.keyboard.type(t.token);
	await page.keyboard.press('Enter');
	await t.ok('token_accepted', () => tok.waitFor({ state: 'detached' }));

	const alert = page.getByRole('dialog', { name: /System Extension Blocked/ });
	await alert.waitFor();
	t.check('alert_default_button_focused', (await focused()) === 'Open System Settings', await focused());
	await page.keyboard.press('Escape');
	await t.ok('escape_closes_alert', () => alert.waitFor({ state: 'detached' }));

	const allow = page.getByRole('button', { name: 'Allow system software from developer Keys Inc.' });
	await allow.waitFor();
	let n = 0;
	while (!(await allow.evaluate((e) => e === document.activeElement)) && n++ < 40) await page.keyboard.press('Tab');
	t.check('tab_reaches_allow', n < 40, `after ${n} tabs: ${await focused()}`);
	t.check('focus_ring_on_allow', await ring());
	await page.keyboard.press('Enter');
	const sheet = page.getByRole('dialog', { name: /administrator/ });
	await sheet.waitFor();
	t.check('password_focused', (await focused()) === 'Password', await focused());
	t.check('focus_ring_in_sheet', await ring());
	await page.keyboard.type('nope');
	await page.keyboard.press('Enter');
	await t.ok('enter_submits_and_is_refused', () => sheet.getByRole('alert').getByText(/wrong password/).waitFor());
	t.check('focus_stays_in_password', (await focused()) === 'Password', await focused());
	await t.shot(page, 'refused');
	await page.keyboard.press('Escape');
	await t.ok('escape_cancels', () => sheet.waitFor({ state: 'detached' }));
	t.check('focus_back_on_allow', await allow.evaluate((e) => e === document.activeElement), await focused());
	t.check('nothing_approved', kext().approval === 'none', kext().approval);
	await page.keyboard.press('Enter');
	await sheet.waitFor();
	await page.keyboard.type('pw');
	await page.keyboard.press('Enter');
	await t.until('approved_by_keyboard', () => kext().approval === 'user');
	t.pass('allowed_by_keyboard');
	const rr = page.getByRole('dialog', { name: /Restart Required/ });
	await rr.waitFor();
	await page.keyboard.press('Escape');       // Not Now
	await rr.waitFor({ state: 'detached' });

	// the Apple menu
	const boots = bootCount();
	await page.getByRole('button', { name: 'Apple menu' }).focus();
	await page.keyboard.press('Enter');
	await t.ok('menu_opens', () => page.getByRole('menu').waitFor());
	t.check('first_item_focused', (await focused()) === 'About This Mac', await focused());
	let m = 0;
	while ((await focused()) !== 'Restart…' && m++ < 6) await page.keyboard.press('ArrowDown');
	t.check('arrows_reach_restart', (await focused()) === 'Restart…', await focused());
	await page.keyboard.press('Enter');
	const confirm = page.getByRole('dialog', { name: /restart your computer/ });
	await t.ok('restart_sheet', () => confirm.waitFor());
	await t.shot(page, 'restart-sheet');
	await page.keyboard.press('Escape');
	await confirm.waitFor({ state: 'detached' });
	t.check('escape_restarts_nothing', bootCount() === boots, `${bootCount()} != ${boots}`);
	t.check('kext_still_waiting_for_restart', kext().state === 'awaiting_restart', kext().state);
});
