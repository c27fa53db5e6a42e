// The admin console in a real browser (Debian's Chromium through
// playwright-core) against a running node that tests/apps/console_test.cpp
// prepared: users ada (operator) and vic (viewer), workflows Echo (a -> b,
// 1.5 s each, with an input), Slow (a long step), Costly (paused by a budget after its
// first step) and 10,000 executions of Quick (HISHAMOS_EXECUTIONS).
//
//   node console-tests/console.js BASE_URL SCREENSHOT_DIR
// with HISHAMOS_API_KEY (an admin's key) and HISHAMOS_PASSWORD (ada's and
// vic's). Each check saves a screenshot of the page it checked; every page
// is checked by axe-core for serious or critical accessibility violations.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const OTPAuth = require('otpauth');

const [base, shots] = process.argv.slice(2);
const apiKey = process.env.HISHAMOS_API_KEY;
const password = process.env.HISHAMOS_PASSWORD;
const quick = Number(process.env.HISHAMOS_EXECUTIONS || 10000); // executions of Quick in the store
if (!base || !shots || !apiKey || !password) {
  console.error('usage: HISHAMOS_API_KEY=... HISHAMOS_PASSWORD=... console.js BASE_URL SCREENSHOT_DIR');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const wait = { timeout: 15000 };
const failures = [];
const problems = [];
const figures = {};

async function call(method, p, body) {
  const res = await fetch(base + p, {
    method,
    headers: { 'X-API-Key': apiKey, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
const start = (workflow, input = {}) =>
  call('POST', `/api/v1/workflows/${encodeURIComponent(workflow)}/execute`, { input }).then((r) => r.execution_id);

// axe-core on the page as it is now; serious and critical violations fail.
const audited = new Set();
async function accessible(page, label) {
  if (audited.has(label)) return;
  audited.add(label);
  await page.evaluate(axeSource); // evaluated, not a <script>: the page's policy allows none
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  for (const v of found) failures.push(`accessibility of ${label}: ${v}`);
}

async function check(name, page, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures.push(`${name}: ${e.message.split('\n').slice(0, 6).join('\n')}`);
    console.log(`FAIL ${name}`);
  }
  const file = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 60);
  await page.screenshot({ path: path.join(shots, `${file}.png`), fullPage: true }).catch(() => {});
}

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

async function newPage(context) {
  const page = await context.newPage();
  // Refusals the checks provoke (401, 403, 400) are logged by the browser
  // as failed loads: expected answers, not errors of the page.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()))
      problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => (d.type() === 'confirm' ? d.accept() : (problems.push(`a ${d.type()} opened: ${d.message()}`), d.dismiss())));
  return page;
}

async function signIn(page, username, code) {
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  if (code) await page.getByLabel(/Code from your authenticator/).fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signInWithKey(page) {
  await page.goto(`${base}/`);
  await page.getByRole('button', { name: 'Sign in with an API key' }).click();
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor(wait);
}

const stateBadge = (page) => page.locator('h1 .badge');

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hishamos-console-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1300, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const origin = new URL(base).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    problems.push(`asked another origin: ${url}`);
    return route.abort();
  });

  // ada, an operator: password, then 2FA enrolled from the QR page, then
  // a sign-in that needs the code.
  const ada = await newPage(context);
  await check('sign in with a password and TOTP after enrolling 2FA', ada, async () => {
    await ada.goto(`${base}/`);
    await accessible(ada, 'sign-in');
    await signIn(ada, 'ada');
    await ada.getByRole('heading', { name: 'Overview' }).waitFor(wait);
    await ada.getByRole('link', { name: 'Account' }).click();
    await ada.getByRole('button', { name: 'Set up an authenticator' }).click();
    await ada.getByAltText('QR code of the authenticator secret').waitFor(wait);
    await accessible(ada, 'account (2FA enrolment)');
    const secret = (await ada.locator('code.secret').innerText()).trim();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
    await ada.getByLabel('First code').fill(totp.generate());
    await ada.getByRole('button', { name: 'Turn on' }).click();
    await ada.getByText('Two-factor sign-in is on').waitFor(wait);
    await ada.getByRole('button', { name: 'Sign in again' }).click();
    // Without the code: refused, and the form asks for it.
    await signIn(ada, 'ada');
    await ada.getByRole('alert').getByText(/code/i).first().waitFor(wait);
    // The code of the next step: the one confirmed is spent.
    await ada.getByLabel(/Code from your authenticator/).fill(totp.generate({ timestamp: Date.now() + 30000 }));
    await ada.getByRole('button', { name: 'Sign in', exact: true }).click();
    await ada.getByRole('heading', { name: 'Overview' }).waitFor(wait);
    await ada.getByText('ada (operator)').waitFor(wait);
  });

  await check('overview shows counts, step rate, cost and nodes', ada, async () => {
    await ada.locator('.tile .value').first().waitFor(wait);
    await ada.waitForFunction(() => [...document.querySelectorAll('.tile .value')].every((e) => e.textContent !== '…'), null, wait);
    const day = await ada.locator('.tile', { hasText: 'completed, last day' }).locator('.value').innerText();
    expect(Number(day.replace(/,/g, '')) >= quick, `the overview counts ${day} completed today, ${quick} were run`);
    await ada.locator('.chart canvas').first().waitFor(wait);
    await ada.getByRole('cell', { name: /n1/ }).first().waitFor(wait);
    await accessible(ada, 'overview');
    await ada.screenshot({ path: path.join(shots, 'overview.png'), fullPage: true });
  });

  await check('an execution started from the form turns its steps completed live', ada, async () => {
    await ada.goto(`${base}/#/workflows/Echo/run`);
    await ada.getByLabel(/^text/).fill('hello from the form');
    await accessible(ada, 'run form');
    await ada.evaluate(() => (window.__samePage = true));
    await ada.getByRole('button', { name: 'Start' }).click();
    await ada.waitForURL(/#\/executions\/[0-9a-f]+/, wait);
    const seen = new Set();
    // Each step is seen running before it is completed, on the same page:
    // the graph follows the event stream, nothing reloads it.
    for (const step of ['a', 'b']) {
      const node = ada.locator(`.dag [data-step="${step}"]`);
      await node.and(ada.locator('[data-state="running"], [data-state="checkpointing"]')).waitFor(wait);
      seen.add(`${step} running`);
      await node.and(ada.locator('[data-state="completed"]')).waitFor(wait);
    }
    await stateBadge(ada).getByText('completed').waitFor(wait);
    expect(await ada.evaluate(() => window.__samePage === true), 'the page was reloaded');
    // The step's prompt, rendered again from what was stored.
    await ada.locator('.dag [data-step="a"]').click();
    await ada.locator('pre.prompt').getByText('Echo hello from the form').waitFor(wait);
    expect(seen.size === 2, 'not every step was seen running');
    await accessible(ada, 'execution');
    await ada.screenshot({ path: path.join(shots, 'execution-graph.png'), fullPage: true });
  });

  await check('time to first render of the execution page', ada, async () => {
    const id = await start('Echo', { text: 'timed' });
    await ada.goto('about:blank'); // a whole page load, not a change of hash
    await ada.goto(`${base}/#/executions/${id}`);
    await ada.locator('.dag [data-step]').first().waitFor(wait);
    figures.execution_first_render_ms = Math.round(await ada.evaluate(() => performance.now()));
  });

  await check('the timeline shows each attempt of a retried step, and a retry by request as a new owner epoch', ada, async () => {
    const id = await start('Shaky');
    await ada.goto(`${base}/#/executions/${id}`);
    await stateBadge(ada).getByText('failed').waitFor(wait);
    const failed = ada.locator('.timeline li[data-outcome="failed"]');
    await failed.nth(2).waitFor(wait);
    expect((await failed.count()) === 3, `${await failed.count()} failed attempts shown, not 3`);
    for (const n of [1, 2, 3])
      await failed.filter({ hasText: `s · attempt ${n} · epoch 1 · shaky on n1` }).first().waitFor(wait);
    expect((await failed.locator('.attempt-error').count()) === 3, 'not every failed attempt shows its error');
    await ada.getByRole('button', { name: 'Retry' }).click();
    await ada.locator('.owners').getByText('retried by request').waitFor(wait);
    await stateBadge(ada).getByText('failed').waitFor(wait);
    await ada.locator('.timeline li[data-outcome="failed"]', { hasText: 'epoch 2' }).nth(2).waitFor(wait);
    const stored = await call('GET', `/api/v1/executions/${id}`);
    expect(stored.attempts.length === 6 && stored.owners.length === 1, `the API holds ${stored.attempts.length} attempts and ${stored.owners.length} owner changes`);
    await ada.locator('.timeline').scrollIntoViewIfNeeded();
    await ada.screenshot({ path: path.join(shots, 'execution-attempts.png'), fullPage: true });
  });

  await check('an operator cancels a running execution', ada, async () => {
    const id = await start('Slow');
    await ada.goto(`${base}/#/executions/${id}`);
    await ada.locator('.dag [data-step="long"][data-state="running"]').waitFor(wait);
    await ada.getByRole('button', { name: 'Cancel' }).click();
    await stateBadge(ada).getByText('cancelled').waitFor(wait);
    const stored = await call('GET', `/api/v1/executions/${id}`);
    expect(stored.state === 'cancelled', `the API says ${stored.state}`);
  });

  await check('an operator approves a budget-paused execution and it completes', ada, async () => {
    const id = await start('Costly');
    await ada.goto(`${base}/#/executions/${id}`);
    await stateBadge(ada).getByText('paused').waitFor(wait);
    await ada.getByLabel('Extra USD').fill('5');
    await ada.getByRole('button', { name: 'Approve budget' }).click();
    await stateBadge(ada).getByText('completed').waitFor(wait);
  });

  await check('agent output with markup is shown as text and never runs', ada, async () => {
    const hostile = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> [link](javascript:window.__xss=3)';
    const id = await start('Echo', { text: hostile });
    await ada.goto(`${base}/#/executions/${id}`);
    await stateBadge(ada).getByText('completed').waitFor(wait);
    await ada.locator('.dag [data-step="a"]').click();
    const out = ada.locator('.markdown');
    await out.getByText('<img src=x onerror=').first().waitFor(wait);
    await out.getByText('<script>').first().waitFor(wait);
    expect((await out.locator('img, script, iframe').count()) === 0, 'the output made an element of the markup');
    expect((await out.locator('a[href^="javascript:"]').count()) === 0, 'a javascript: link was made');
    expect(await ada.evaluate(() => window.__xss === undefined), 'the output ran script');
  });

  // vic, a viewer: no cancel button, and a forged cancel is refused.
  const vic = await newPage(context);
  await check('a viewer sees no cancel button and a forged cancel is refused', vic, async () => {
    const id = await start('Slow');
    await signIn(vic, 'vic');
    await vic.getByRole('heading', { name: 'Overview' }).waitFor(wait);
    await vic.goto(`${base}/#/executions/${id}`);
    await vic.locator('.dag [data-step="long"][data-state="running"]').waitFor(wait);
    expect((await vic.getByRole('button', { name: 'Cancel' }).count()) === 0, 'a viewer is shown Cancel');
    const status = await vic.evaluate(async (x) => {
      const s = JSON.parse(sessionStorage.getItem('hishamos.session'));
      const res = await fetch(`/api/v1/executions/${x}/cancel`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${s.access_token}` },
      });
      return res.status;
    }, id);
    expect(status === 403, `the forged cancel answered ${status}`);
    const stored = await call('GET', `/api/v1/executions/${id}`);
    expect(stored.state === 'running', `after the forged cancel it is ${stored.state}`);
    expect((await vic.getByRole('link', { name: 'Audit log' }).count()) === 0, 'a viewer is shown the audit log');
    await call('POST', `/api/v1/executions/${id}/cancel`);
  });

  // The admin, with an API key: the list of 10,000, the editor, the rest.
  const admin = await newPage(context);
  await signInWithKey(admin);
  await check(`the executions list of ${quick.toLocaleString('en')} pages and filters within 1 s`, admin, async () => {
    await admin.goto(`${base}/#/executions`);
    await admin.getByText(/in all\)/).waitFor(wait);
    await admin.getByLabel('live').uncheck();
    const total = Number((await admin.locator('.pager span').innerText()).match(/\(([\d,]+) in all/)[1].replace(/,/g, ''));
    expect(total >= quick, `the list has ${total} executions`);
    let t0 = Date.now();
    await admin.getByRole('button', { name: 'Next' }).click();
    await admin.getByText(/^page 2 of/).waitFor(wait);
    figures.list_next_page_ms = Date.now() - t0;
    t0 = Date.now();
    await admin.getByLabel('Workflow').selectOption('Quick');
    await admin.getByText(`page 1 of ${Math.ceil(quick / 50)} (${quick.toLocaleString('en')} in all)`).waitFor(wait);
    figures.list_filter_ms = Date.now() - t0;
    t0 = Date.now();
    await admin.getByLabel('State').selectOption('cancelled');
    await admin.getByText(/No execution fits these filters/).waitFor(wait);
    figures.list_filter_empty_ms = Date.now() - t0;
    expect(figures.list_next_page_ms < 1000, `the next page took ${figures.list_next_page_ms} ms`);
    expect(figures.list_filter_ms < 1000, `the workflow filter took ${figures.list_filter_ms} ms`);
    expect(figures.list_filter_empty_ms < 1000, `the state filter took ${figures.list_filter_empty_ms} ms`);
    await accessible(admin, 'executions');
  });

  await check('the workflow editor shows the validator\'s errors at their line, saves a version, and the diff shows it', admin, async () => {
    await admin.goto(`${base}/#/workflows/Echo/edit`);
    const area = admin.getByLabel('workflow YAML');
    await area.waitFor(wait);
    const good = await area.inputValue();
    const lines = good.split('\n');
    const at = lines.findIndex((l) => /agent_id: steady/.test(l));
    expect(at >= 0, 'the definition names no agent steady');
    lines[at] = lines[at].replace('steady', 'nobody_here');
    await area.fill(lines.join('\n'));
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.locator('.problems').getByText(/unknown agent 'nobody_here'/).waitFor(wait);
    const marked = await admin.locator('.gutter li.bad').evaluateAll((els) => els.map((e) => Number(e.dataset.line)));
    const told = await admin.locator('.problems button').first().innerText();
    expect(marked.length > 0 && told === `line ${marked[0]}`, `the problem says "${told}", the gutter marks ${marked}`);
    // The mark sits beside that line of the text, not beside another.
    const offset = await admin.evaluate((line) => {
      const mark = document.querySelector(`.gutter li[data-line="${line}"]`).getBoundingClientRect();
      const ta = document.querySelector('.editor textarea');
      const style = getComputedStyle(ta);
      const lineTop = ta.getBoundingClientRect().top + parseFloat(style.paddingTop) + (line - 1) * parseFloat(style.lineHeight);
      return Math.abs(mark.top - lineTop);
    }, marked[0]);
    expect(offset < 4, `the gutter's mark is ${offset} px off its line`);
    await accessible(admin, 'workflow editor');
    await admin.screenshot({ path: path.join(shots, 'workflow-editor.png'), fullPage: true });
    await area.fill(good.replace(/description: .*/, 'description: Echoes twice, edited in the console'));
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByText(/Saved as version 2/).waitFor(wait);
    await admin.goto(`${base}/#/workflows/Echo`);
    await admin.locator('.diff .added').getByText(/edited in the console/).waitFor(wait);
    await admin.locator('.diff .removed').first().waitFor(wait);
    await accessible(admin, 'workflow');
  });

  for (const [hash, label, mark] of [
    ['/workflows', 'workflows', 'Echo'],
    ['/agents', 'agents', 'worker'],
    ['/cluster', 'cluster', 'Resource locks'],
    ['/costs', 'costs', /Costly: \$[0-9]/],
    ['/audit', 'audit', 'verifies'],
    ['/users', 'users', 'ada'],
  ])
    await check(`the ${label} page renders`, admin, async () => {
      await admin.goto(`${base}/#${hash}`);
      await admin.getByText(mark).first().waitFor(wait);
      await accessible(admin, label);
    });

  await check('an agent shows its cost, tasks and latency by day', admin, async () => {
    await admin.goto(`${base}/#/agents`);
    await admin.getByRole('button', { name: 'fast', exact: true }).click();
    await admin.getByText('fast: mean latency per day (ms)').waitFor(wait);
    await admin.getByText('fast: cost per day (USD)').waitFor(wait);
  });

  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  console.log(`figures: ${JSON.stringify(figures)}`);
  fs.writeFileSync(path.join(shots, 'figures.json'), JSON.stringify(figures, null, 2));
  for (const p of problems) failures.push(p);
  if (failures.length) {
    failures.forEach((f) => console.error(f));
    process.exit(1);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
