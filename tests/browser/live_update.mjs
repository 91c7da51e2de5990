// live_update.mjs — the page follows changes made elsewhere without a
// reload: a Mac created, a kext blocked and a Mac shut down with the CLI in
// another process appear on the open page (SSE).  The fleet table pages
// through the API (limit=50, the Link header's cursor), never asking for
// all devices at once.
import { run } from './lib.mjs';

run('live_update', async (t) => {
	t.caOnce();
	t.mx('fleet', 'create', '--count', '120', '--prefix', 'mac', '--mix', 'arm64:15.1:none=50%,x86_64:14.6:none=50%', '--admin', 'admin:pw');
	await t.serve();
	const page = await t.newPage();
	const lists = [];
	page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname === '/api/v1/devices') lists.push(u.searchParams.get('limit')); });
	await page.goto(`${t.url}/`);
	await t.enterToken(page);
	await t.ok('fleet_table', () => page.getByRole('table').waitFor());
	await t.ok('first_page', () => page.getByText(/^Macs 1–50 of 120$/).waitFor());
	t.check('pages_of_50', lists.length > 0 && lists.every((l) => Number(l) <= 100), JSON.stringify(lists));
	t.check('rows_on_page', await page.locator('tbody tr').count() === 50);
	await page.getByRole('button', { name: 'Next' }).click();
	await t.ok('second_page', () => page.getByText(/^Macs 51–100 of 120$/).waitFor());
	await page.getByRole('button', { name: 'Next' }).click();
	await t.ok('last_page', () => page.getByText(/^Macs 101–120 of 120$/).waitFor());
	t.check('next_disabled_at_end', await page.getByRole('button', { name: 'Next' }).isDisabled());

	// search: the sidebar field asks the API (q=)
	await page.getByRole('searchbox', { name: 'Search Macs' }).fill('zz-new');
	await t.ok('search_empty', () => page.getByText('No Mac matches “zz-new”.').waitFor());
	await page.evaluate(() => { window.__noReload = true; });

	// another process creates the Mac: the open search shows it
	t.mx('device', 'create', 'zz-new-mac', '--arch', 'arm64', '--os', '15.1', '--admin', 'admin:pw', '--trust-anchor', `${t.ca}/root.pem`);
	await t.ok('created_elsewhere_appears', () => page.getByRole('link', { name: 'zz-new-mac' }).waitFor());

	// a kext blocked by another process: its row says who must act
	t.env.MACEXT_DEVICE = 'zz-new-mac';
	t.mx('kext', 'install', t.forge('kext', 'Foo.kext', '--bundle-id', 'com.example.Foo', '--team', 'F00F00F001', '--arch', 'arm64e'));
	t.mxFails('kmutil', 'load', '-b', 'com.example.Foo');
	await t.ok('row_shows_blocked_kext', () => page.getByText('Blocked by security policy').waitFor());
	await t.ok('row_shows_who_must_act', () => page.getByText(/recoveryOS: lower security/).waitFor());
	await t.shot(page, 'fleet');

	// the device pane follows a shut down from the CLI
	await page.getByRole('link', { name: 'zz-new-mac' }).click();
	const dlg = page.getByRole('dialog', { name: /Enable System Extensions/ });
	await dlg.getByRole('button', { name: 'OK' }).click();
	await t.ok('device_open', () => page.getByRole('heading', { name: 'Privacy & Security' }).waitFor());
	t.mx('shutdown');
	await t.ok('shutdown_elsewhere_appears', () => page.getByRole('button', { name: 'Power button' }).waitFor());
	t.mx('restart');
	await t.ok('restart_elsewhere_appears', () => page.getByRole('heading', { name: 'Privacy & Security' }).waitFor());
	await page.getByRole('link', { name: /Event Log/ }).click();
	await t.ok('log_pane', () => page.getByRole('table', { name: /Event log/ }).waitFor());
	t.mx('shutdown');
	await t.ok('power_screen_again', () => page.getByRole('button', { name: 'Power button' }).waitFor());
	t.check('never_reloaded', await page.evaluate(() => window.__noReload === true));
	await t.ok('live_indicator', () => page.getByRole('status').filter({ hasText: 'Live' }).waitFor());
});
