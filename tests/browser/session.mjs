// session.mjs — the token is entered once: a wrong one is refused in the
// sheet, the right one becomes the HttpOnly macext_session cookie (the page
// keeps no copy of the token), a reload asks nothing and can still change
// state (Apple menu → Shut Down…), and Log Out… ends the session in the
// daemon (the old cookie is refused) and asks for the token again.
import { run } from './lib.mjs';

run('session', async (t) => {
	t.device('s1', '--arch', 'arm64', '--os', '15.1');
	t.env.MACEXT_DEVICE = 's1';
	const env = () => t.mxJson('device', 'show').environment;
	await t.serve();
	const page = await t.newPage();
	await page.goto(`${t.url}/#/mac/s1/general`);

	const tok = page.getByRole('dialog', { name: /access token/i });
	await tok.waitFor();
	await tok.getByLabel('Access Token').fill('0'.repeat(64));
	await tok.getByRole('button', { name: 'Connect' }).click();
	await t.ok('wrong_token_refused_in_sheet', () => tok.getByText('That token is not the daemon’s. Copy it again from serve.token.').waitFor());
	const cookies = async () => (await t.context.cookies(t.url)).filter((c) => c.name === 'macext_session');
	t.check('no_cookie_for_wrong_token', (await cookies()).length === 0, JSON.stringify(await cookies()));

	await tok.getByLabel('Access Token').fill(t.token);
	await tok.getByRole('button', { name: 'Connect' }).click();
	await t.ok('right_token_accepted', () => tok.waitFor({ state: 'detached' }));
	const [c] = await cookies();
	t.check('session_cookie_httponly_strict', c && c.httpOnly && c.sameSite === 'Strict' && c.path === '/', JSON.stringify(c));
	const kept = await page.evaluate((tk) => [document.cookie, JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })].filter((s) => s.includes(tk) || s.includes('macext_session')), t.token);
	t.check('page_keeps_no_token', kept.length === 0, kept.join(' | '));

	// a reload: no sheet, and a change goes through on the cookie alone
	await page.reload();
	await t.ok('reload_shows_the_mac', () => page.getByRole('heading', { name: 'General' }).waitFor());
	t.check('reload_asks_no_token', !(await tok.isVisible()));
	await page.getByRole('button', { name: 'Apple menu' }).click();
	await page.getByRole('menuitem', { name: 'Shut Down…' }).click();
	const confirm = page.getByRole('dialog', { name: /shut down your computer/ });
	await confirm.getByRole('button', { name: 'Shut Down' }).click();
	await t.until('shut_down_on_cookie', () => env() === 'off');
	t.pass('change_after_reload');
	await t.ok('power_screen', () => page.getByRole('button', { name: 'Power button' }).waitFor());

	// Log Out…: the daemon forgets the session; the sheet comes back
	const old = c.value;
	await page.getByRole('button', { name: 'Apple menu' }).click();
	await page.getByRole('menuitem', { name: 'Log Out…' }).click();
	await t.ok('logout_asks_token_again', () => tok.waitFor());
	t.check('cookie_cleared', (await cookies()).length === 0, JSON.stringify(await cookies()));
	const status = await page.evaluate(async () => (await fetch('/api/v1/devices/s1/power-on', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
	t.check('logged_out_request_refused', status === 401, `POST after Log Out: ${status}`);
	t.check('still_off_after_refusal', env() === 'off', env());
	const replay = await fetch(`${t.url}/api/v1/devices/s1/power-on`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: `macext_session=${old}` }, body: '{}' });
	t.check('old_cookie_refused_by_daemon', replay.status === 401, `old cookie: ${replay.status}`);
	t.check('still_off', env() === 'off', env());
	await tok.getByLabel('Access Token').fill(t.token);
	await tok.getByRole('button', { name: 'Connect' }).click();
	await t.ok('connect_again', () => tok.waitFor({ state: 'detached' }));
	await page.getByRole('button', { name: 'Power button' }).click();
	await t.until('powered_on_after_new_session', () => env() === 'macos');
	t.pass('new_session_works');
});
