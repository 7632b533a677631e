// Browser tests of the web UI: Playwright driving Debian's Chromium, headless.
// Run by crates/dailypapers/tests/browser.rs, which starts a server on seeded data (one day
// with papers 2601.00001..3 at 3, 3 and 2 upvotes) and a replay server for the arXiv API, and
// passes BASE_URL. Standalone: BASE_URL=http://127.0.0.1:8080 node web.test.mjs
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL;
if (!BASE) throw new Error('BASE_URL is not set');
const DAY = '/papers/date/2026-01-05';
const PASSWORD = 'correct horse battery';

let browser, admin, bob;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  admin = await (await browser.newContext({ baseURL: BASE })).newPage();
  bob = await (await browser.newContext({ baseURL: BASE })).newPage();
  admin.setDefaultTimeout(10000);
  bob.setDefaultTimeout(10000);
});

after(async () => { await browser?.close(); });

async function signup(page, name) {
  await page.goto('/signup');
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('**/papers');
}

const order = (page) => page.$$eval('li.card', (cards) => cards.map((c) => c.dataset.id));

test('sign up: the first account is the admin', async () => {
  await signup(admin, 'admin');
  assert.ok(await admin.getByRole('link', { name: 'Admin', exact: true }).isVisible());
  await signup(bob, 'bob');
  assert.equal(await bob.getByRole('link', { name: 'Admin', exact: true }).count(), 0);
  assert.ok(await bob.getByRole('link', { name: 'bob', exact: true }).isVisible());
});

test('log out and log in again', async () => {
  await bob.getByRole('button', { name: 'Log out' }).click();
  await bob.waitForURL('**/papers');
  assert.ok(await bob.getByRole('link', { name: 'Log in', exact: true }).isVisible());
  await bob.goto('/login');
  await bob.getByLabel('User name').fill('bob');
  await bob.getByLabel('Password').fill('wrong password');
  await bob.getByRole('button', { name: 'Log in' }).click();
  assert.ok(await bob.getByText('Wrong user name or password').isVisible());
  await bob.getByLabel('Password').fill(PASSWORD);
  await bob.getByRole('button', { name: 'Log in' }).click();
  await bob.waitForURL('**/papers');
  assert.ok(await bob.getByRole('link', { name: 'bob', exact: true }).isVisible());
});

test('upvote a paper: the count updates in place and the list reorders', async () => {
  await bob.goto(DAY);
  assert.deepEqual(await order(bob), ['2601.00001', '2601.00002', '2601.00003']);
  const card = bob.locator('li.card[data-id="2601.00002"]');
  await card.getByRole('button', { name: /Upvote/ }).click();
  await card.locator('button[aria-pressed="true"]').waitFor();
  assert.equal(await card.locator('.count').textContent(), '4');
  // In place: the page was not reloaded (a reload would show the new order already).
  assert.deepEqual(await order(bob), ['2601.00001', '2601.00002', '2601.00003']);
  await bob.reload();
  assert.deepEqual(await order(bob), ['2601.00002', '2601.00001', '2601.00003']);
  // Readers who are not signed in see the new order too.
  const anon = await (await browser.newContext({ baseURL: BASE })).newPage();
  await anon.goto(DAY);
  assert.deepEqual(await order(anon), ['2601.00002', '2601.00001', '2601.00003']);
  await anon.context().close();
});

test('upvotes work without JavaScript (plain forms and redirects)', async () => {
  const ctx = await browser.newContext({ baseURL: BASE, javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signup(page, 'carol');
  await page.goto(DAY);
  await page.locator('li.card[data-id="2601.00003"]').getByRole('button', { name: /Upvote/ }).click();
  await page.waitForURL('**' + DAY);
  assert.equal(await page.locator('li.card[data-id="2601.00003"] .count').textContent(), '3');
  await ctx.close();
});

test('comment and reply', async () => {
  await bob.goto('/papers/2601.00001');
  await bob.getByLabel('Add a comment').fill('Great paper, see `eval.py` and <script>alert(1)</script>');
  await bob.getByRole('button', { name: 'Comment', exact: true }).click();
  const first = bob.locator('#thread > li').first();
  await first.waitFor();
  assert.match(await first.textContent(), /eval\.py/);
  assert.match(await first.textContent(), /<script>alert\(1\)<\/script>/, 'shown as text');
  assert.equal(await bob.locator('#comment-count').textContent(), '1');
  await admin.goto('/papers/2601.00001');
  await admin.locator('#thread > li').first().locator('summary', { hasText: 'Reply' }).click();
  await admin.getByLabel('Reply to bob').fill('Thanks, *agreed*.');
  await admin.getByRole('button', { name: 'Reply', exact: true }).click();
  await admin.locator('.replies li em', { hasText: 'agreed' }).waitFor();
  await bob.reload();
  assert.equal(await bob.locator('.replies li').count(), 1);
  assert.match(await bob.locator('.replies li').textContent(), /admin/);
});

test('submit a paper by id (metadata from the recorded arXiv API)', async () => {
  await bob.goto('/submit');
  await bob.getByLabel('arXiv id or URL').fill('https://arxiv.org/abs/1111.2011v2');
  await bob.getByRole('button', { name: 'Submit' }).click();
  await bob.waitForURL('**/papers/1111.2011?submitted=1');
  assert.ok(await bob.getByText("on today's list").isVisible());
  assert.match(await bob.locator('h1').first().textContent(), /\S/);
  assert.match(await bob.locator('.meta').first().textContent(), /submitted by bob/);
  // Again: a duplicate points to the existing entry.
  await bob.goto('/submit');
  await bob.getByLabel('arXiv id or URL').fill('1111.2011');
  await bob.getByRole('button', { name: 'Submit' }).click();
  await bob.waitForURL(/\/papers\/1111\.2011\?duplicate=/);
});

test('claim authorship; an admin approves it', async () => {
  await bob.goto('/papers/2601.00001');
  await bob.getByText('Are you an author? Claim this paper').click();
  await bob.getByLabel('I am').selectOption('Ada Lovelace');
  await bob.getByRole('button', { name: 'Claim authorship' }).click();
  assert.ok(await bob.getByText('Your claim to be Ada Lovelace: pending.').isVisible());
  await admin.goto('/admin');
  const row = admin.locator('tr', { hasText: 'Ada Lovelace' });
  await row.getByRole('button', { name: 'Approve' }).click();
  await admin.waitForURL('**/admin');
  assert.ok(await admin.getByText('No claims waiting.').isVisible());
  await bob.goto('/papers/2601.00001');
  assert.ok(await bob.locator('a.claimed', { hasText: '@bob' }).isVisible());
  await bob.goto('/users/bob');
  assert.ok(await bob.getByText('as Ada Lovelace').isVisible());
});

test('an admin hides a paper from the lists', async () => {
  await admin.goto('/papers/2601.00003');
  await admin.getByRole('button', { name: 'Hide from lists (admin)' }).click();
  await admin.getByText('An admin hid this paper from the lists.').waitFor();
  await bob.goto(DAY);
  assert.deepEqual(await order(bob), ['2601.00002', '2601.00001']);
  // Bob is not an admin: no hide button, and the server refuses the request anyway.
  await bob.goto('/papers/2601.00002');
  assert.equal(await bob.getByRole('button', { name: /Hide from lists/ }).count(), 0);
});

test('math is rendered to MathML and hostile titles stay text', async () => {
  await bob.goto('/papers/2601.00002');
  assert.ok((await bob.locator('.abstract math').count()) > 0, 'MathML in the abstract');
  assert.match(await bob.locator('h1').first().textContent(), /<b>not bold<\/b>/);
  assert.equal(await bob.locator('h1 b').count(), 0);
});

test('phone-sized screens do not scroll sideways; forms are labelled', async () => {
  const ctx = await browser.newContext({ baseURL: BASE, viewport: { width: 375, height: 800 } });
  const page = await ctx.newPage();
  for (const path of [DAY, '/papers/2601.00001', '/papers/trending', '/login']) {
    await page.goto(path);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 376, `${path} is ${wide}px wide`);
  }
  const unlabelled = await page.$$eval('input:not([type=hidden]), textarea, select',
    (els) => els.filter((e) => !(e.id && document.querySelector(`label[for="${e.id}"]`))).length);
  assert.equal(unlabelled, 0);
  await ctx.close();
});

test('not interested: a paper leaves my list only, and my library brings it back', async () => {
  await bob.goto(DAY);
  assert.deepEqual(await order(bob), ['2601.00002', '2601.00001']);
  await bob.locator('li.card[data-id="2601.00001"]').getByRole('button', { name: 'Not interested' }).click();
  await bob.waitForURL(`**${DAY}`);
  assert.deepEqual(await order(bob), ['2601.00002']);
  assert.ok(await bob.getByText('1 you are not interested in left out').isVisible());
  await admin.goto(DAY);
  assert.deepEqual(await order(admin), ['2601.00002', '2601.00001'], 'only bob\'s list changes');
  await bob.getByRole('link', { name: 'Library', exact: true }).click();
  await bob.waitForURL('**/library');
  const row = bob.locator('li[data-id="2601.00001"]');
  assert.ok(await row.isVisible());
  await row.getByRole('button', { name: /Undo/ }).click();
  await bob.waitForURL('**/library');
  assert.equal(await bob.locator('li[data-id="2601.00001"]').count(), 0);
  await bob.goto(DAY);
  assert.deepEqual(await order(bob), ['2601.00002', '2601.00001']);
});

test('save papers in place, write a note and reorder them in the collection', async () => {
  await bob.goto(DAY);
  const card = bob.locator('li.card[data-id="2601.00002"]');
  await card.locator('details.save summary').click();
  await card.getByRole('button', { name: 'Save', exact: true }).click();
  // In place: no navigation, the card says where it went.
  await card.locator('.saved-status').waitFor();
  assert.match(await card.locator('.saved-status').innerText(), /Saved to Reading list\./);
  assert.equal(await card.locator('details.save summary').innerText(), 'Saved');
  assert.ok(bob.url().endsWith(DAY));
  // The second paper, from its own page, into the same collection (now the first choice).
  await bob.goto('/papers/2601.00001');
  await bob.locator('details.save summary').click();
  assert.equal(await bob.locator('details.save select option').first().innerText(), 'Reading list');
  await bob.locator('details.save').getByRole('button', { name: 'Save', exact: true }).click();
  await bob.locator('.saved-status').waitFor();

  await bob.getByRole('link', { name: 'Library', exact: true }).click();
  await bob.getByRole('link', { name: 'Reading list' }).click();
  await bob.waitForURL('**/collections/bob/reading-list-*');
  const items = () => bob.$$eval('ol.collection-items > li', (ls) => ls.map((l) => l.dataset.id));
  assert.deepEqual(await items(), ['2601.00002', '2601.00001']);
  const second = bob.locator('ol.collection-items > li[data-id="2601.00001"]');
  await second.getByLabel('Note').fill('Read before <Friday> & cite it');
  await second.getByRole('button', { name: 'Save note' }).click();
  await bob.waitForURL('**/collections/bob/reading-list-*');
  assert.equal(await bob.locator('li[data-id="2601.00001"] p.note').innerText(), 'Read before <Friday> & cite it');
  await bob.locator('li[data-id="2601.00001"]').getByRole('button', { name: 'Move up' }).click();
  await bob.waitForURL('**/collections/bob/reading-list-*');
  assert.deepEqual(await items(), ['2601.00001', '2601.00002']);
});

test('export a collection as BibTeX, RIS and CSL-JSON from its page', async () => {
  await bob.goto('/library');
  await bob.getByRole('link', { name: 'Reading list' }).click();
  const fetched = {};
  for (const [name, ext] of [['BibTeX', 'bib'], ['RIS', 'ris'], ['CSL-JSON', 'json']]) {
    const [download] = await Promise.all([
      bob.waitForEvent('download'),
      bob.locator('p.export').getByRole('link', { name, exact: true }).click(),
    ]);
    assert.match(download.suggestedFilename(), new RegExp(`^reading-list-\\d+\\.${ext}$`));
    const path = await download.path();
    fetched[ext] = (await import('node:fs')).readFileSync(path, 'utf8');
  }
  assert.match(fetched.bib, /eprint = \{2601\.00001\}/);
  assert.match(fetched.bib, /note = \{Read before <Friday> & cite it\}/);
  assert.match(fetched.ris, /AN {2}- arXiv:2601\.00002/);
  const csl = JSON.parse(fetched.json);
  assert.deepEqual(csl.map((c) => c.number), ['arXiv:2601.00001', 'arXiv:2601.00002']);
});

test('follow an author from a paper page; Following lists their papers and says why', async () => {
  await bob.goto('/papers/2601.00002');
  await bob.locator('details.follow summary').click();
  await bob.getByRole('button', { name: 'Follow Alan Turing' }).click();
  await bob.waitForURL('**/papers/2601.00002');
  await bob.locator('details.follow summary').click();
  assert.ok(await bob.getByText('Alan Turing (followed)').isVisible());
  await bob.getByRole('link', { name: 'Following', exact: true }).click();
  await bob.waitForURL('**/following');
  const listed = await bob.$$eval('ol.following > li', (ls) => ls.map((l) => l.dataset.id));
  assert.deepEqual([...listed].sort(), ['2601.00001', '2601.00002']);
  assert.match(await bob.locator('ol.following > li').first().innerText(), /Because you follow author Alan Turing/);
  await bob.getByRole('button', { name: 'Stop following' }).click();
  await bob.waitForURL('**/following');
  assert.ok(await bob.getByText('You follow nothing yet').isVisible());
});

test('For you: the cold start, picks, a save that changes the order, and not interested', async () => {
  const carol = await (await browser.newContext({ baseURL: BASE })).newPage();
  carol.setDefaultTimeout(10000);
  await signup(carol, 'dora');
  await carol.getByRole('link', { name: 'For you', exact: true }).click();
  await carol.waitForURL('**/papers/for-you');
  // Cold start: what to do, and trending meanwhile (and why).
  assert.ok(await carol.getByText('Tell this site what you like.').isVisible());
  assert.ok(await carol.getByText('here is what is trending, because your own ranking has too little to go on').isVisible());
  assert.ok((await carol.locator('ol.trending-fallback > li').count()) > 0);
  // Picks: four topics and an author make five signals.
  for (const topic of ['(cs.CL)', '(cs.CV)', '(cs.LG)', '(cs.AI)']) {
    await carol.getByLabel(topic, { exact: false }).check();
  }
  await carol.getByLabel('Authors you read').fill('Carl Sagan');
  await carol.getByRole('button', { name: 'Follow these' }).click();
  await carol.waitForURL('**/papers/for-you');
  assert.equal(await carol.getByText('Tell this site what you like.').count(), 0);
  const first = carol.locator('ol.for-you > li').first();
  assert.equal(await first.getAttribute('data-id'), '2601.00012');
  assert.match(await first.innerText(), /by Carl Sagan, whom you follow/);

  // The day's list in my order; saving a paper moves the paper on its topic up.
  const DAY4 = '/papers/date/2026-01-04';
  await carol.goto(DAY4);
  assert.deepEqual(await order(carol), ['2601.00013', '2601.00014', '2601.00011', '2601.00012'], 'by upvotes');
  await carol.getByRole('link', { name: 'for you', exact: true }).click();
  await carol.waitForURL(`**${DAY4}?order=for-you`);
  assert.deepEqual(await order(carol), ['2601.00012', '2601.00013', '2601.00014', '2601.00011']);
  const card = carol.locator('li.card[data-id="2601.00012"]');
  await card.locator('details.save summary').click();
  await card.getByRole('button', { name: 'Save', exact: true }).click();
  await card.locator('.saved-status').waitFor();
  await carol.reload();
  const mine = await order(carol);
  assert.ok(mine.indexOf('2601.00011') < mine.indexOf('2601.00013'), `the saved topic moved up: ${mine}`);
  assert.match(
    await carol.locator('li.card[data-id="2601.00011"]').innerText(),
    /close to “Faster speculative decoding with draft models” in your collection Reading list/,
  );

  // Not interested: the paper leaves my lists and my For you page.
  await carol.locator('li.card[data-id="2601.00011"]').getByRole('button', { name: 'Not interested' }).click();
  await carol.waitForURL(`**${DAY4}*`);
  await carol.goto(`${DAY4}?order=for-you`);
  assert.equal((await order(carol)).includes('2601.00011'), false);
  await carol.goto('/papers/for-you');
  const ids = await carol.$$eval('ol.for-you > li', (ls) => ls.map((l) => l.dataset.id));
  assert.equal(ids.includes('2601.00011'), false, `${ids}`);
  await carol.context().close();
});
