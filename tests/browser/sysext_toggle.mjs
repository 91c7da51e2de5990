// sysext_toggle.mjs — General › Login Items & Extensions on macOS 15: the
// switch approves an extension waiting for the user, disables it
// (activated_disabled) and enables it again, each after an administrator
// authenticates; under a profile whose NonRemovableFromUISystemExtensions
// covers CrowdStrike's extension the switch is refused with the reason and
// the extension stays enabled.
import { run } from './lib.mjs';

const CS = 'com.crowdstrike.falcon.Agent', SANTA = 'com.northpolesec.santa.daemon';
const policy = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadIdentifier</key><string>com.example.falcon.policy</string>
<key>PayloadUUID</key><string>8E7C6B1A-2D3F-4B5C-9A8E-1F2D3C4B5A69</string>
<key>PayloadVersion</key><integer>1</integer>
<key>PayloadDisplayName</key><string>Falcon System Extension</string>
<key>PayloadOrganization</key><string>Example Corp IT</string>
<key>PayloadContent</key><array><dict>
<key>PayloadType</key><string>com.apple.system-extension-policy</string>
<key>PayloadIdentifier</key><string>com.example.falcon.policy.sx</string>
<key>PayloadUUID</key><string>1A2B3C4D-5E6F-4A8B-9C0D-E1F2A3B4C5D6</string>
<key>PayloadVersion</key><integer>1</integer>
<key>AllowUserOverrides</key><true/>
<key>AllowedSystemExtensions</key><dict><key>X9E956P446</key><array><string>${CS}</string></array></dict>
<key>NonRemovableFromUISystemExtensions</key><dict><key>X9E956P446</key><array><string>${CS}</string></array></dict>
</dict></array></dict></plist>
`;

run('sysext_toggle', async (t) => {
	t.device('mac15', '--arch', 'arm64', '--os', '15.1');
	t.env.MACEXT_DEVICE = 'mac15';
	t.mx('mdm', 'enroll', '--method', 'automated', '--in-abm');
	t.mx('mdm', 'install-profile', t.file('falcon.mobileconfig', policy));
	const cs = t.forge('sysext', `cs/${CS}.systemextension`, '--bundle-id', CS, '--team', 'X9E956P446', '--category', 'network', '--team-name', 'CrowdStrike Inc.');
	t.mx('app', 'install', t.forge('app', 'Falcon.app', '--bundle-id', 'com.crowdstrike.falcon.App', '--team', 'X9E956P446', '--embed', cs));
	const sa = t.forge('sysext', `santa/${SANTA}.systemextension`, '--bundle-id', SANTA, '--team', 'ZMCG7MLDV9', '--category', 'endpoint-security', '--team-name', 'North Pole Security, Inc.');
	t.mx('app', 'install', t.forge('app', 'Santa.app', '--bundle-id', 'com.northpolesec.santa', '--team', 'ZMCG7MLDV9', '--embed', sa));
	t.mx('sysext', 'activate', 'com.crowdstrike.falcon.App', CS);
	t.mx('sysext', 'activate', 'com.northpolesec.santa', SANTA);
	const state = (id) => { const r = t.mxJson('sysext', 'list').filter((x) => x.bundle_id === id); return r.length ? r[r.length - 1].state : 'none'; };
	t.check('setup_falcon_enabled_by_policy', state(CS) === 'activated_enabled', state(CS));
	t.check('setup_santa_waits_for_user', state(SANTA) === 'activated_waiting_for_user', state(SANTA));

	await t.serve();
	const page = await t.open('#/mac/mac15/extensions');
	const blocked = page.getByRole('dialog', { name: /System Extension Blocked/ });
	await t.ok('santa_blocked_alert', () => blocked.waitFor());
	await blocked.getByRole('button', { name: 'Open System Settings' }).click();
	await t.ok('pane', () => page.getByRole('heading', { name: 'Login Items & Extensions' }).waitFor());
	await t.ok('by_category', async () => {
		await page.getByRole('heading', { name: 'Endpoint Security Extensions' }).waitFor();
		await page.getByRole('heading', { name: 'Network Extensions' }).waitFor();
	});
	const santa = page.getByRole('switch', { name: new RegExp(SANTA) });
	const falcon = page.getByRole('switch', { name: new RegExp(CS) });
	t.check('santa_switch_off', !(await santa.isChecked()));
	t.check('falcon_switch_on', await falcon.isChecked());
	await t.shot(page, 'extensions');

	const auth = page.getByRole('dialog', { name: /administrator/ });
	const authAs = async (pw = 'pw') => { await auth.getByLabel('Password').fill(pw); await auth.getByRole('button', { name: 'Modify Settings' }).click(); await auth.waitFor({ state: 'detached' }); };

	// approve with the switch
	await santa.click();
	await authAs();
	await t.until('santa_enabled', () => state(SANTA) === 'activated_enabled');
	t.pass('switch_approves');
	await t.ok('santa_switch_on', () => page.getByRole('switch', { name: new RegExp(SANTA), checked: true }).waitFor());

	// disable it
	await santa.click();
	await t.ok('disable_asks_admin', () => auth.waitFor());
	await t.shot(page, 'disable-auth');
	await authAs();
	await t.until('santa_disabled', () => state(SANTA) === 'activated_disabled');
	t.pass('switch_disables');
	await t.ok('shown_disabled', () => page.getByText('Disabled', { exact: true }).waitFor());
	t.check('switch_off_after_disable', !(await page.getByRole('switch', { name: new RegExp(SANTA) }).isChecked()));

	// and on again
	await page.getByRole('switch', { name: new RegExp(SANTA) }).click();
	await authAs();
	await t.until('santa_enabled_again', () => state(SANTA) === 'activated_enabled');
	t.pass('switch_enables_again');

	// NonRemovableFromUISystemExtensions: refused, with the reason
	await t.ok('falcon_says_managed', () => page.getByText('Kept on by your organisation’s profile').waitFor());
	await falcon.click();
	const refusal = page.getByRole('dialog', { name: /cannot be disabled/ });
	await t.ok('falcon_refused', () => refusal.waitFor());
	await t.ok('reason_names_the_key', () => refusal.getByText(/NonRemovableFromUISystemExtensions/).waitFor());
	await t.shot(page, 'nonremovable');
	t.check('no_password_asked', !(await auth.isVisible()));
	await refusal.getByRole('button', { name: 'OK' }).click();
	t.check('falcon_still_enabled', state(CS) === 'activated_enabled', state(CS));
	await t.ok('falcon_switch_still_on', () => page.getByRole('switch', { name: new RegExp(CS), checked: true }).waitFor());

	// General › Device Management: the profile that did it, with its payload
	await page.getByRole('link', { name: /Device Management/ }).click();
	await t.ok('profiles_pane', () => page.getByRole('heading', { name: 'Device Management' }).waitFor());
	await t.ok('profile_listed', () => page.getByText('Falcon System Extension', { exact: true }).waitFor());
	await t.ok('profile_from_mdm', () => page.getByText(/Example Corp IT · 1 payload · installed by MDM/).waitFor());
	await page.getByRole('button', { name: 'Details of Falcon System Extension' }).click();
	const det = page.getByRole('dialog', { name: 'Falcon System Extension' });
	await t.ok('payload_type_shown', () => det.getByText('com.apple.system-extension-policy', { exact: true }).waitFor());
	await t.ok('identifier_shown', () => det.getByText('com.example.falcon.policy', { exact: true }).waitFor());
	t.check('no_stray_null_text', !/\bnull\b/.test(await det.textContent()), await det.textContent());
	await t.shot(page, 'profile');
	await page.keyboard.press('Escape');
	await t.ok('details_close_on_escape', () => det.waitFor({ state: 'detached' }));
});
