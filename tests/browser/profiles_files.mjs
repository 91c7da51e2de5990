// profiles_files.mjs — files from the page, with the keyboard where a
// person would use it: Device Management's Install Profile… (the file
// chooser, then an administrator; a wrong password keeps the sheet, a
// payload only MDM may install is refused with the daemon's reason), Remove…
// of the profile installed by hand (confirmation, administrator), and of the
// profile MDM installed: refused at once with the CLI's message, no password
// asked.  Privacy & Security's Install Kernel Extension… uploads an archive,
// Load asks kernelmanagerd and the Mac's alert opens; a broken archive is
// refused with the reason.  Login Items & Extensions' Install App… puts an
// app in /Applications.  Each step checked in the store through the CLI.
// Light and dark appearance.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { run } from './lib.mjs';

const K = 'com.example.Upload';

const profile = (id, name, payload) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadIdentifier</key><string>${id}</string>
<key>PayloadUUID</key><string>${crypto.randomUUID().toUpperCase()}</string>
<key>PayloadVersion</key><integer>1</integer>
<key>PayloadDisplayName</key><string>${name}</string>
<key>PayloadOrganization</key><string>Example Corp IT</string>
<key>PayloadContent</key><array><dict>
${payload}
<key>PayloadIdentifier</key><string>${id}.p</string>
<key>PayloadUUID</key><string>${crypto.randomUUID().toUpperCase()}</string>
<key>PayloadVersion</key><integer>1</integer>
</dict></array></dict></plist>
`;
const DOCK = '<key>PayloadType</key><string>com.apple.dock</string><key>autohide</key><true/>';
const KEXTS = '<key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string><key>AllowUserOverrides</key><true/><key>AllowedTeamIdentifiers</key><array><string>OTHER00001</string></array>';

run('profiles_files', async (t) => {
	t.device('pf', '--arch', 'x86_64', '--os', '14.6');
	t.env.MACEXT_DEVICE = 'pf';
	t.mx('mdm', 'enroll', '--method', 'automated', '--in-abm');
	t.mx('mdm', 'install-profile', t.file('managed.mobileconfig', profile('com.example.managed', 'Managed Policy', KEXTS)));
	const dock = t.file('up/Dock Settings.mobileconfig', profile('com.example.dock', 'Dock Settings', DOCK));
	const mdmOnly = t.file('up/kexts.mobileconfig', profile('com.example.handkexts', 'Hand Kexts', KEXTS));
	const tgz = (dir, out) => { const o = path.join(t.tmp, out); execFileSync('tar', ['czf', o, '-C', path.dirname(dir), path.basename(dir)]); return o; };
	const kextTgz = tgz(t.forge('kext', 'Upload.kext', '--bundle-id', K, '--team', 'UPLOAD0001', '--team-name', 'Upload Inc.'), 'Upload.kext.tar.gz');
	const sx = t.forge('sysext', 'sx/com.example.upload.ext.systemextension', '--bundle-id', 'com.example.upload.ext', '--team', 'UPLOAD0001', '--category', 'endpoint-security');
	const appTgz = tgz(t.forge('app', 'Uploader.app', '--bundle-id', 'com.example.upload', '--team', 'UPLOAD0001', '--embed', sx), 'Uploader.app.tar.gz');
	const notArchive = t.file('up/notes.tar.gz', 'not an archive\n');
	const profiles = () => t.mxJson('profiles', 'list').map((p) => `${p.identifier}:${p.source}`).sort();
	const kext = () => t.mxJson('kext', 'list').find((k) => k.bundle_id === K);

	await t.serve();
	const page = await t.open('#/mac/pf/profiles');
	const focused = () => page.evaluate(() => { const e = document.activeElement; return e ? (e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || e.tagName).trim() : ''; });
	const tabTo = async (loc) => { let n = 0; while (!(await loc.evaluate((e) => e === document.activeElement)) && n++ < 60) await page.keyboard.press('Tab'); return n < 60; };
	await t.ok('managed_listed', () => page.getByText(/Example Corp IT · 1 payload · installed by MDM/).waitFor());

	// MDM's profile: refused at once, the CLI's words, no password
	const cliSays = t.mxFails('profiles', 'remove', 'com.example.managed').trim().replace(/^macext: /, '');
	await page.getByRole('button', { name: 'Remove Managed Policy' }).click();
	const refused = page.getByRole('dialog', { name: /“Managed Policy” cannot be removed/ });
	await t.ok('mdm_profile_refused', () => refused.waitFor());
	await t.ok('refusal_is_the_cli_message', () => refused.getByText(cliSays, { exact: true }).waitFor());
	t.check('no_password_asked', (await page.getByRole('dialog', { name: /administrator/ }).count()) === 0);
	await page.keyboard.press('Enter');
	await refused.waitFor({ state: 'detached' });
	t.check('mdm_profile_stays', profiles().join() === 'com.example.managed:mdm', profiles().join());

	// Install Profile…: keyboard to the button, the file chooser, the administrator
	const install = page.getByRole('button', { name: 'Install Profile…' });
	t.check('tab_reaches_install_profile', await tabTo(install), await focused());
	// Enter on the focused button opens the chooser.  A redraw landing
	// between the focus check and the key (the page re-renders on the
	// daemon's events, restoring focus by key) can swallow one press, as a
	// person would press again: up to three tries, back on the button each time
	let chosen = null;
	for (let tries = 0; tries < 3 && !chosen; tries++) {
		if (tries > 0) await tabTo(install);
		const wait = page.waitForEvent('filechooser', { timeout: 5000 }).catch(() => null);
		await page.keyboard.press('Enter');
		chosen = await wait;
	}
	t.check('enter_opens_the_chooser', chosen !== null, await focused());
	let chooser;
	await chosen.setFiles(dock);
	const auth = page.getByRole('dialog', { name: /administrator/ });
	await t.ok('install_asks_admin', () => auth.getByText('Device Management is trying to install the profile “Dock Settings.mobileconfig”.', { exact: false }).waitFor());
	t.check('password_focused', (await focused()) === 'Password', await focused());
	await page.keyboard.type('nope');
	await page.keyboard.press('Enter');
	await t.ok('wrong_password_stays', () => auth.getByRole('alert').getByText(/wrong password|authentication/i).waitFor());
	t.check('nothing_installed_yet', profiles().length === 1, profiles().join());
	await page.keyboard.type('pw');
	await page.keyboard.press('Enter');
	await auth.waitFor({ state: 'detached' });
	await t.until('installed_by_hand', () => profiles().includes('com.example.dock:manual'));
	t.pass('profile_installed');
	await t.ok('listed_by_hand', () => page.getByText(/Example Corp IT · 1 payload · installed by hand/).waitFor());
	await t.shot(page, 'profiles-light');
	await page.emulateMedia({ colorScheme: 'dark' });
	const btnBg = () => install.evaluate((e) => getComputedStyle(e).backgroundColor);
	t.check('dark_button', (await btnBg()) === 'rgb(58, 58, 60)', await btnBg());
	await t.shot(page, 'profiles-dark');
	await page.emulateMedia({ colorScheme: 'light' });

	// a payload only MDM installs: refused, with the reason
	chooser = page.waitForEvent('filechooser');
	await install.click();
	await (await chooser).setFiles(mdmOnly);
	await auth.getByLabel('Password').fill('pw');
	await auth.getByRole('button', { name: 'Install' }).click();
	const notInstalled = page.getByRole('dialog', { name: /“kexts.mobileconfig” was not installed/ });
	await t.ok('mdm_only_payload_refused', () => notInstalled.waitFor());
	await t.ok('reason_shown', () => notInstalled.getByText(/MDM/).first().waitFor());
	await notInstalled.getByRole('button', { name: 'OK' }).click();
	t.check('mdm_only_not_installed', !profiles().some((p) => p.startsWith('com.example.handkexts')), profiles().join());

	// Remove… of the hand-installed one: confirm, administrator
	await page.getByRole('button', { name: 'Remove Dock Settings' }).click();
	const confirm = page.getByRole('dialog', { name: /Are you sure you want to remove the profile “Dock Settings”/ });
	await confirm.waitFor();
	await page.keyboard.press('Escape');
	await confirm.waitFor({ state: 'detached' });
	t.check('cancel_removes_nothing', profiles().includes('com.example.dock:manual'), profiles().join());
	await page.getByRole('button', { name: 'Remove Dock Settings' }).click();
	await confirm.getByRole('button', { name: 'Remove' }).click();
	await auth.waitFor();
	await auth.getByLabel('Password').fill('pw');
	await auth.getByRole('button', { name: 'Remove' }).click();
	await t.until('removed', () => !profiles().includes('com.example.dock:manual'));
	t.pass('profile_removed');
	await t.ok('row_gone', () => page.getByRole('button', { name: 'Remove Dock Settings' }).waitFor({ state: 'detached' }));

	// a kext as an archive, then Load
	await page.getByRole('link', { name: /Privacy & Security/ }).click();
	const ik = page.getByRole('button', { name: 'Install Kernel Extension…' });
	await ik.waitFor();
	chooser = page.waitForEvent('filechooser');
	await ik.click();
	await (await chooser).setFiles(notArchive);
	const bad = page.getByRole('dialog', { name: /“notes.tar.gz” could not be installed/ });
	await t.ok('bad_archive_refused', () => bad.waitFor());
	await bad.getByRole('button', { name: 'OK' }).click();
	chooser = page.waitForEvent('filechooser');
	await ik.click();
	await (await chooser).setFiles(kextTgz);
	await t.until('kext_installed', () => kext() && kext().state === 'installed');
	t.pass('kext_uploaded');
	const load = page.getByRole('button', { name: `Load ${K}` });
	await t.ok('load_offered', () => load.waitFor());
	t.check('tab_reaches_load', await tabTo(load), await focused());
	await page.keyboard.press('Enter');
	await t.until('kext_awaits_approval', () => kext().state === 'awaiting_user_approval');
	t.pass('load_asked');
	const alert = page.getByRole('dialog', { name: /System Extension Blocked/ });
	await t.ok('alert_opens', () => alert.waitFor());
	await page.keyboard.press('Escape');
	await t.ok('allow_offered', () => page.getByRole('button', { name: 'Allow system software from developer Upload Inc.' }).waitFor());

	// an app as an archive
	await page.getByRole('link', { name: /Login Items & Extensions/ }).click();
	const ia = page.getByRole('button', { name: 'Install App…' });
	chooser = page.waitForEvent('filechooser');
	await ia.click();
	await (await chooser).setFiles(appTgz);
	await t.ok('app_toast', () => page.getByText('Installed /Applications/Uploader.app (1 system extension inside).').waitFor());
	t.check('app_in_store', /app com\.example\.upload installed at \/Applications\/Uploader\.app/.test(t.mx('log')), t.mx('log').split('\n').slice(-2).join('\n'));
	t.check('store_check', (() => { try { t.mx('store', 'check'); return true; } catch { return false; } })());
});
