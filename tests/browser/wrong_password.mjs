// wrong_password.mjs — Privacy & Security's Allow on an Intel Mac (no
// recoveryOS step there): a wrong password and a standard user are refused
// in the sheet, which stays open and changes nothing but the log; Cancel
// changes nothing; the administrator's password allows the kext, and it
// loads at the restart.
import { run } from './lib.mjs';

const ID = 'com.example.driver.Widget';

run('wrong_password', async (t) => {
	t.device('intel', '--arch', 'x86_64', '--os', '15.1');
	t.env.MACEXT_DEVICE = 'intel';
	t.mx('kext', 'install', t.forge('kext', 'Widget.kext', '--bundle-id', ID, '--team', 'W1DG3T4567', '--team-name', 'Widget Works Ltd.'));
	t.mxFails('kmutil', 'load', '-b', ID);
	const kext = () => t.mxJson('kext', 'list').find((k) => k.bundle_id === ID);
	const logSize = () => t.mxJson('log').length;
	t.check('setup_awaiting_approval', kext().state === 'awaiting_user_approval', kext().state);

	await t.serve();
	const page = await t.open('#/mac/intel/general');
	const alert = page.getByRole('dialog', { name: /System Extension Blocked/ });
	await t.ok('blocked_alert', () => alert.waitFor());
	await t.ok('alert_names_developer', () => alert.getByText(/signed by "Widget Works Ltd."/).waitFor());
	await alert.getByRole('button', { name: 'Open System Settings' }).click();
	await t.ok('opens_privacy', () => page.getByRole('heading', { name: 'Privacy & Security' }).waitFor());

	const allowBtn = page.getByRole('button', { name: 'Allow system software from developer Widget Works Ltd.' });
	await allowBtn.click();
	const sheet = page.getByRole('dialog', { name: /administrator/ });
	const before = logSize();
	await sheet.getByLabel('Password').fill('wrong');
	await sheet.getByRole('button', { name: 'Modify Settings' }).click();
	const err = sheet.getByRole('alert');
	await t.ok('wrong_password_refused_in_sheet', () => err.getByText(/wrong password/).waitFor());
	await t.shot(page, 'wrong-password');
	t.check('sheet_stays_open', await sheet.isVisible());
	t.check('password_cleared', (await sheet.getByLabel('Password').inputValue()) === '');
	t.check('no_approval_after_wrong_password', kext().approval === 'none' && kext().state === 'awaiting_user_approval', JSON.stringify(kext()));
	await t.until('refusal_logged', () => logSize() > before && /refused|authentication/i.test(JSON.stringify(t.mxJson('log').slice(-1))));
	t.pass('refusal_in_log');

	await sheet.getByLabel('User Name').fill('bob');
	await sheet.getByLabel('Password').fill('pw');
	await sheet.getByRole('button', { name: 'Modify Settings' }).click();
	await t.ok('standard_user_refused', () => err.getByText(/admin/i).waitFor());
	t.check('no_approval_after_standard_user', kext().approval === 'none', kext().approval);

	await sheet.getByRole('button', { name: 'Cancel' }).click();
	await sheet.waitFor({ state: 'detached' });
	t.check('cancel_changes_nothing', kext().approval === 'none' && kext().state === 'awaiting_user_approval', JSON.stringify(kext()));
	await t.ok('allow_still_offered', () => allowBtn.waitFor());

	await allowBtn.click();
	await sheet.getByLabel('User Name').fill('admin');
	await sheet.getByLabel('Password').fill('pw');
	await sheet.getByRole('button', { name: 'Modify Settings' }).click();
	await sheet.waitFor({ state: 'detached' });
	await t.until('approved', () => kext().approval === 'user');
	t.pass('admin_allows');
	const rr = page.getByRole('dialog', { name: /Restart Required/ });
	await rr.getByRole('button', { name: 'Restart' }).click();
	await t.until('loaded', () => kext().state === 'loaded');
	t.pass('loaded_after_restart');
	await t.ok('page_shows_loaded', () => page.getByText('Loaded', { exact: true }).waitFor());
});
