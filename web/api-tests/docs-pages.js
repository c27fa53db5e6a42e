// Swagger UI and ReDoc in a real browser (Debian's Chromium through
// playwright-core), against a running node: each page renders the API's
// operations from /api/openapi.json, asks nothing of any other origin, and
// logs no error (a Content-Security-Policy violation would be one).
//
//   node api-tests/docs-pages.js BASE_URL [SCREENSHOT_DIR]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const base = process.argv[2];
const shots = process.argv[3];
if (!base) {
  console.error('usage: docs-pages.js BASE_URL [SCREENSHOT_DIR]');
  process.exit(2);
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hishamos-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  const origin = new URL(base).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    problems.push(`asked another origin: ${url}`);
    return route.abort();
  });
  const page = await context.newPage();
  // The one outside reference of ReDoc, its attribution logo, is blocked
  // by the page's policy before any request; every other error counts.
  const blockedLogo = /Loading the image 'https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(-full)?\.svg' violates/;
  page.on('console', (m) => {
    if (m.type() === 'error' && !blockedLogo.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  await page.goto(`${base}/api/docs`);
  await page.waitForSelector('.opblock-summary', { timeout: 20000 });
  const operations = await page.locator('.opblock-summary').count();
  if (operations < 40) problems.push(`Swagger UI shows ${operations} operations, expected every one (40+)`);
  if (!(await page.getByText('Starts up to 1,000 executions in one commit.').first().isVisible()))
    problems.push('Swagger UI does not show the batch operation');
  if (shots) await page.screenshot({ path: path.join(shots, 'swagger-ui.png') });

  await page.goto(`${base}/api/redoc`);
  await page.getByText('HishamOS API (1.0.0)').first().waitFor({ timeout: 20000 });
  const text = await page.locator('body').innerText();
  for (const tag of ['Authentication', 'Agents', 'Workflows', 'Results', 'Analytics'])
    if (!text.includes(tag)) problems.push(`ReDoc shows no tag ${tag}`);
  if (shots) await page.screenshot({ path: path.join(shots, 'redoc.png') });

  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  console.log(`Swagger UI: ${operations} operations`);
  if (problems.length) {
    problems.forEach((p) => console.error(p));
    process.exit(1);
  }
})().catch((e) => { console.error(e); process.exit(1); });
