// lib.mjs — the browser scenarios' harness (tests/browser/*.mjs).
//
// Each scenario gets its own state directory made with the CLI, its own
// `macext serve` on a free loopback port, and a fresh headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core: nothing is ever
// downloaded).  Assertions print "PASS browser.SCENARIO.NAME" or "FAIL ..."
// lines, which tests/run.sh counts like the CLI scenarios'.  Screenshots go to
// $B/browser/ (B: the build directory, build-check under `make check`).
//
//   const t = await start('kext_recovery');     state dir, CA, no server yet
//   t.mx('device', 'create', 'm1', ...)          the CLI on that state (sync; returns stdout)
//   await t.serve()                              macext serve; t.url, t.token
//   const page = await t.open()                  browser at t.url, token entered
//   await t.ok('name', async () => { ... })      passes when the body returns without throwing
//   t.check('name', cond, detail)                a plain assertion
//   await t.shot(page, 'name')                   $B/browser/SCENARIO-NN-name.png
//   await t.done()                               stops browser and server, prints the leftovers
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
const B = process.env.B || 'build-check';
export const BIN = path.resolve(ROOT, B);
export const MX = path.join(BIN, 'macext');
export const SHOTS = path.join(BIN, 'browser');
export const CHROMIUM = process.env.MACEXT_CHROMIUM || '/usr/bin/chromium';
export const TIMEOUT = 15000;

let playwright = null;
async function chromiumApi() {
	if (!playwright) playwright = await import(path.join(here, 'node_modules/playwright-core/index.mjs'));
	return playwright.chromium;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function start(name) {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `macext-browser-${name}-`));
	fs.mkdirSync(SHOTS, { recursive: true });
	for (const f of fs.readdirSync(SHOTS)) if (f.startsWith(`${name}-`)) fs.rmSync(path.join(SHOTS, f));
	const t = new Scenario(name, tmp);
	process.on('exit', () => { t.kill(); try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* gone */ } });
	// killed from outside (tests/run.sh's timeout, ^C): the daemon goes too
	for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
		process.once(sig, () => { console.log(`FAIL browser.${name}.scenario (${sig}: stopped from outside)`); process.exit(1); });
	}
	return t;
}

class Scenario {
	constructor(name, tmp) {
		this.name = name; this.tmp = tmp;
		this.state = path.join(tmp, 'state');
		this.ca = path.join(tmp, 'ca');
		this.env = { ...process.env, MACEXT_STATE: this.state, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1' };
		delete this.env.MACEXT_DEVICE;
		this.passed = 0; this.failed = 0; this.nshot = 0;
		this.server = null; this.serverLog = ''; this.context = null;
		this.consoleErrors = [];
	}

	// ---- results ----
	pass(n) { this.passed++; console.log(`PASS browser.${this.name}.${n}`); }
	fail(n, ...lines) {
		this.failed++;
		console.log(`FAIL browser.${this.name}.${n}`);
		for (const l of lines) for (const x of String(l).split('\n').slice(0, 12)) console.log(`  ${x}`);
	}
	check(n, cond, detail = '') { if (cond) this.pass(n); else this.fail(n, detail); return !!cond; }
	async ok(n, fn) {
		try { await fn(); this.pass(n); return true; } catch (e) { this.fail(n, e && e.message ? e.message : String(e)); return false; }
	}

	// ---- the CLI on this scenario's state ----
	mx(...args) {
		return execFileSync(MX, args, { env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	}
	mxJson(...args) { return JSON.parse(this.mx(...args, '--json')); }
	// mxFails(...) → stderr of a command that must fail (throws when it succeeds)
	mxFails(...args) {
		try { this.mx(...args); } catch (e) { return String(e.stderr || ''); }
		throw new Error(`macext ${args.join(' ')} succeeded`);
	}

	// A CA, and a Mac that trusts it (admin:pw, bob:pw).
	caOnce() { if (!fs.existsSync(path.join(this.ca, 'root.pem'))) this.mx('forge', 'ca', this.ca); }
	device(name, ...opts) {
		this.caOnce();
		this.mx('device', 'create', name, '--admin', 'admin:pw', '--user', 'bob:pw', '--trust-anchor', path.join(this.ca, 'root.pem'), ...opts);
	}
	forge(kind, out, ...opts) {
		this.caOnce();
		const p = path.join(this.tmp, 'b', out);
		fs.mkdirSync(path.dirname(p), { recursive: true });
		this.mx('forge', kind, p, '--ca', this.ca, ...opts);
		return p;
	}
	file(rel, text) { const p = path.join(this.tmp, rel); fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, text); return p; }

	// ---- the daemon ----
	// port 0: the daemon picks a free port and says which in --ready-file
	async serve() {
		const ready = path.join(this.tmp, 'ready.json');
		this.server = spawn(MX, ['serve', '--listen', '127.0.0.1:0', '--ready-file', ready, '--state', this.state], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
		const grab = (d) => { this.serverLog = (this.serverLog + d).slice(-20000); };
		this.server.stdout.on('data', grab); this.server.stderr.on('data', grab);
		let gone = null;
		this.server.once('exit', (code, sig) => { gone = `exit ${code ?? sig}`; });
		const deadline = Date.now() + 30000;
		for (;;) {
			if (gone) throw new Error(`macext serve stopped (${gone}):\n${this.serverLog}`);
			let doc = null;
			try { doc = JSON.parse(fs.readFileSync(ready, 'utf8')); } catch { /* not yet */ }
			if (doc && doc.port) { this.url = `http://127.0.0.1:${doc.port}`; break; }
			if (Date.now() > deadline) throw new Error(`macext serve wrote no ${ready}:\n${this.serverLog}`);
			await sleep(50);
		}
		this.token = fs.readFileSync(path.join(this.state, 'serve.token'), 'utf8').trim();
		return this.url;
	}

	// ---- the browser ----
	async browser() {
		if (this.context) return this.context;
		if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (make check installs Debian's chromium)`);
		const chromium = await chromiumApi();
		const profile = fs.mkdtempSync(path.join(this.tmp, 'chromium-'));
		this.context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM, headless: true,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
				'--disable-background-networking', '--disable-component-update', '--disable-sync'],
			viewport: { width: 1280, height: 820 }, deviceScaleFactor: 1, colorScheme: 'light',
			locale: 'en-US', timezoneId: 'UTC',
		});
		this.context.setDefaultTimeout(TIMEOUT);
		// nothing may leave the machine: every request goes to the daemon
		await this.context.route((u) => !u.href.startsWith(this.url), (r) => { this.offsite = r.request().url(); return r.abort(); });
		return this.context;
	}
	async newPage() {
		const ctx = await this.browser();
		const page = ctx.pages()[0] && !ctx.pages()[0].url().startsWith('http') ? ctx.pages()[0] : await ctx.newPage();
		page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message}`));
		page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) this.consoleErrors.push(`console: ${m.text()}`); });
		return page;
	}
	// The page at PATH with the token entered in its sheet.
	async open(hash = '') {
		const page = await this.newPage();
		await page.goto(`${this.url}/${hash}`);
		await this.enterToken(page);
		return page;
	}
	async enterToken(page) {
		const dlg = page.getByRole('dialog', { name: /access token/i });
		await dlg.waitFor();
		await dlg.getByLabel('Access Token').fill(this.token);
		await dlg.getByRole('button', { name: 'Connect' }).click();
		await dlg.waitFor({ state: 'detached' });
	}

	async shot(page, what) {
		this.nshot++;
		const f = path.join(SHOTS, `${this.name}-${String(this.nshot).padStart(2, '0')}-${what}.png`);
		await page.waitForTimeout(400);    // let a sheet's animation end
		await page.screenshot({ path: f });
		return f;
	}

	// Polls fn until it returns truthy (or TIMEOUT); returns its value or throws.
	async until(what, fn, ms = TIMEOUT) {
		const end = Date.now() + ms;
		let last;
		for (;;) {
			try { last = await fn(); if (last) return last; } catch (e) { last = e.message; }
			if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
			await sleep(100);
		}
	}

	kill() { if (this.server && this.server.exitCode === null) this.server.kill('SIGKILL'); }

	async done() {
		if (this.context) await this.context.close().catch(() => {});
		this.check('no_request_left_the_machine', !this.offsite, `the page asked for ${this.offsite}`);
		this.check('no_page_errors', this.consoleErrors.length === 0, this.consoleErrors.join('\n'));
		if (this.server) {
			this.server.kill('SIGTERM');
			const code = await Promise.race([new Promise((r) => this.server.once('exit', (c, s) => r(c ?? s))), sleep(10000).then(() => 'timeout')]);
			this.check('serve_stops_on_sigterm', code === 0, `exit ${code}\n${this.serverLog.slice(-3000)}`);
		}
		fs.rmSync(this.tmp, { recursive: true, force: true });
		process.exitCode = this.failed ? 1 : 0;
	}
}

// run(name, body): start, body(t), done — a thrown error is one FAIL line.
export async function run(name, body) {
	const t = await start(name);
	try { await body(t); } catch (e) {
		t.fail('scenario', e && e.stack ? e.stack : String(e));
		for (const p of t.context ? t.context.pages() : []) await t.shot(p, 'failure').catch(() => {});
	}
	await t.done();
}
