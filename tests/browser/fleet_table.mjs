// fleet_table.mjs — All Macs draws a page of 50 from one request: GET
// /api/v1/devices, whose items carry each Mac's summary; no request per Mac
// (the table used to ask each Mac's kexts, system extensions and alerts).
// The rows say the kexts' states and who must act (recoveryOS on Apple
// silicon, an administrator on Intel); Next is one more request; a change
// made by another process redraws the row in place with one page request,
// and a Mac focused with the keyboard keeps the focus.  Light and dark.
import { run } from './lib.mjs';

run('fleet_table', async (t) => {
	t.caOnce();
	t.mx('fleet', 'create', '--count', '80', '--prefix', 'f', '--mix', 'x86_64:14.6:none=50%,arm64:15.1:none=50%',
		'--admin', 'admin:pw', '--trust-anchor', `${t.ca}/root.pem`);
	const kext = t.forge('kext', 'Fleet.kext', '--bundle-id', 'com.example.fleet', '--team', 'FLEET00001', '--arch', 'fat-arm64e');
	t.file('block.steps', `kext install ${kext}\nkmutil load -b com.example.fleet expect-exit 27,28\n`);
	t.mx('fleet', 'apply', `${t.tmp}/block.steps`, '--devices', 'name=f-00000*');
	await t.serve();
	const page = await t.newPage();
	const reqs = [];
	page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname.startsWith('/api/v1/') && u.pathname !== '/api/v1/events') reqs.push(u.pathname + u.search); });
	await page.goto(`${t.url}/`);
	await t.enterToken(page);
	await t.ok('first_page', () => page.getByText(/^Macs 1–50 of 80$/).waitFor());
	const perMac = (list) => list.filter((p) => /^\/api\/v1\/devices\/[^/?]+/.test(p));
	const pages = (list) => list.filter((p) => p.startsWith('/api/v1/devices?'));
	t.check('one_request_for_the_page', pages(reqs).length === 1, reqs.join('\n'));
	t.check('no_request_per_mac', perMac(reqs).length === 0, perMac(reqs).join('\n'));
	const row = (name) => page.locator('tr', { has: page.getByRole('link', { name, exact: true }) });
	const intel = JSON.parse(t.mx('device', 'list', '--json')).filter((d) => d.name < 'f-000010');
	const anIntel = intel.find((d) => d.arch === 'x86_64').name, anArm = intel.find((d) => d.arch === 'arm64').name;
	await t.ok('intel_row_states', () => row(anIntel).getByText('Waiting for approval').waitFor());
	await t.ok('intel_row_admin', () => row(anIntel).getByText('Administrator approval').waitFor());
	await t.ok('arm_row_states', () => row(anArm).getByText('Blocked by security policy').waitFor());
	await t.ok('arm_row_recovery', () => row(anArm).getByText('recoveryOS: lower security, restart').waitFor());
	await t.ok('untouched_row', () => row('f-000040').getByText('No one').waitFor());
	await t.shot(page, 'fleet-light');
	await page.emulateMedia({ colorScheme: 'dark' });
	const bg = () => page.locator('thead th').first().evaluate((e) => getComputedStyle(e).backgroundColor);
	t.check('dark_table', (await bg()) === 'rgb(42, 42, 44)', await bg());
	await t.shot(page, 'fleet-dark');
	await page.emulateMedia({ colorScheme: 'light' });

	// the keyboard on a row; another process changes that Mac
	const link = page.getByRole('link', { name: anIntel, exact: true });
	let n = 0;
	while (!(await link.evaluate((e) => e === document.activeElement)) && n++ < 80) await page.keyboard.press('Tab');
	t.check('tab_reaches_row', n < 80, `${n} tabs`);
	reqs.length = 0;
	t.mx('approve', 'kext', 'com.example.fleet', '--device', anIntel, '--as', 'admin:pw');
	await t.ok('row_follows_change', () => row(anIntel).getByText('Allowed, restart to load').waitFor());
	await t.ok('row_restart_must_act', () => row(anIntel).getByText('Restart the Mac').waitFor());
	t.check('change_is_one_page_request', pages(reqs).length >= 1 && perMac(reqs).length === 0, reqs.join('\n'));
	t.check('focus_kept', await page.getByRole('link', { name: anIntel, exact: true }).evaluate((e) => e === document.activeElement));

	reqs.length = 0;
	await page.getByRole('button', { name: 'Next' }).click();
	await t.ok('second_page', () => page.getByText(/^Macs 51–80 of 80$/).waitFor());
	t.check('next_is_one_request', pages(reqs).length === 1 && perMac(reqs).length === 0, reqs.join('\n'));
	t.check('rows_on_second_page', await page.locator('tbody tr').count() === 30);
});
