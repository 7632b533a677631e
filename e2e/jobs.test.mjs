// Browser tests of a server that fills itself: the empty home page showing each harvest
// source's progress (and reloading itself), and /admin/jobs (run now, pause, resume).
// Run by crates/dailypapers/tests/it/browser.rs on an empty store whose Hugging Face source is
// unreachable and whose OAI-PMH source replays one recorded page.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL;
if (!BASE) throw new Error('BASE_URL is not set');
const PASSWORD = 'correct horse battery';

let browser, page;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  page = await (await browser.newContext({ baseURL: BASE })).newPage();
  page.setDefaultTimeout(10000);
});

after(async () => { await browser?.close(); });

test('an empty site shows each source and updates itself without a reload by hand', async () => {
  await page.goto('/papers');
  assert.ok(await page.getByText('This server is fetching its first papers').isVisible());
  const hf = page.locator('li', { hasText: 'Hugging Face daily lists' });
  const oai = page.locator('li', { hasText: 'arXiv OAI-PMH, set physics:hep-ex' });
  // The page reloads itself (every 5 s) until the sources have a result.
  await page.waitForSelector('li[data-state="failed"]', { timeout: 30000 });
  assert.match(await hf.innerText(), /failed: cannot reach 127\.0\.0\.1/);
  assert.match(await hf.innerText(), /Retrying at|next scheduled time/);
  await page.waitForSelector('li[data-state="done"]', { timeout: 30000 });
  assert.match(await oai.innerText(), /done, 3 records\./);
  assert.ok(await page.getByText('dailypapers import PATH').isVisible());
});

test('an admin runs a source now, pauses one and resumes it on /admin/jobs', async () => {
  await page.goto('/signup');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('**/papers');
  await page.goto('/admin');
  await page.getByRole('link', { name: /Background jobs/ }).click();
  await page.waitForURL('**/admin/jobs');

  const oai = page.locator('#schedule-harvest-oai-physics-hep-ex');
  assert.match(await oai.innerText(), /every 6 h/);
  await oai.getByRole('button', { name: 'Pause' }).click();
  await page.waitForURL('**/admin/jobs');
  assert.equal(await oai.getAttribute('data-paused'), 'true');
  assert.match(await oai.innerText(), /paused/);
  await oai.getByRole('button', { name: 'Resume' }).click();
  await page.waitForURL('**/admin/jobs');
  assert.equal(await oai.getAttribute('data-paused'), 'false');

  const hf = page.locator('#schedule-harvest-hf');
  assert.match(await hf.innerText(), /cannot reach 127\.0\.0\.1/);
  const before = await page.locator('code', { hasText: 'harvest-hf:now-' }).count();
  await hf.getByRole('button', { name: 'Run now' }).click();
  await page.waitForURL('**/admin/jobs');
  assert.equal(await page.locator('code', { hasText: 'harvest-hf:now-' }).count(), before + 1);
});
