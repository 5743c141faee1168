// Drives the SearchRec page in headless Chromium over the FakeShop of SearchRec.Server.Tests: a search that the
// filters empty says so, a long unbroken query does not make the page scroll sideways, Back and Forward step through
// the searches made (their user, order and filters too), and a copied link with filters opens the same results.
// Usage: node page-filters.test.mjs <url> <screenshot.png>
// Prints one "ok ..." line per check, or "FAIL ..." and exits 1.
import { runChecks } from './browser.mjs';


await runChecks('page-filters.test.mjs', async ({ browser, url, shot, check }) => {
  let page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors = [];
  const watch = (p) => { p.on('console', m => { if (m.type() === 'error') errors.push(m.text()); }); p.on('pageerror', e => errors.push(String(e))); };
  watch(page);
  const ids = (p = page) => p.$$eval('#results li .title', els => els.map(e => e.dataset.id));
  const settled = (p = page) => p.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent), null, { timeout: 20000 });
  // What the page shows: the box, the user, the order, the active chips and the results.
  const state = async (p = page) => ({
    q: await p.inputValue('#q'), user: await p.$eval('#user', s => s.value), sort: await p.$eval('#sort', s => s.value),
    chips: await p.$$eval('#facets .chip.active', cs => cs.map(c => `${c.dataset.kind}=${c.dataset.value ?? ''}`)),
    ids: await ids(p),
  });
  // Waits for the page to show the results of a search request with these parameters.
  const shows = async (want, p = page) => {
    await p.waitForFunction(w => JSON.stringify([...document.querySelectorAll('#results li .title')].map(e => e.dataset.id)) === w, JSON.stringify(want), { timeout: 20000 }).catch(() => {});
    await settled(p);
  };
  const api = async (params) => (await (await page.request.get(new URL(`/search?${new URLSearchParams({ k: '10', ...params })}`, url).href)).json()).results.map(r => r.id);
  async function search(q) { await page.fill('#q', q); await page.press('#q', 'Enter'); await settled(); }

  // A search the filters leave empty says that the filters did it, not that nothing matches the words.
  await page.goto(url, { waitUntil: 'networkidle' });
  await search('手机壳');
  await page.click('#facets .chip[data-kind="brand"]');
  await page.waitForSelector('#facets .chip.active[data-kind="brand"]', { timeout: 20000 });
  await settled();
  await page.fill('#price-min', '100000');
  await page.click('#price-apply');
  await page.waitForSelector('#facets .chip.active[data-kind="price"]', { timeout: 20000 });
  await settled();
  const said = await page.textContent('#status');
  check((await ids()).length === 0 && /filter/.test(said), `a search the filters leave empty names the filters ("${said}")`);

  // A long query with no space (the box takes the service's 200 characters) wraps: no sideways scrolling.
  for (const width of [1200, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await search('x'.repeat(200));
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    check(widths[0] <= widths[1], `a 200-character query without a space does not scroll sideways at ${width} px (${widths})`);
  }
  await page.screenshot({ path: shot.replace(/\.png$/, '-long-query.png'), fullPage: true });
  await page.setViewportSize({ width: 1200, height: 800 });

  // A fresh page: its history starts here.
  await page.close();
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  watch(page);
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForFunction(() => document.querySelectorAll('#user option').length > 1);
  const user = await page.$eval('#user option:nth-child(2)', o => o.value);
  const steps = [];   // what the page showed after each step, to come back to
  await search('连衣裙');
  steps.push(await state());
  await search('手机壳');
  steps.push(await state());
  await page.selectOption('#user', user);
  await shows(await api({ q: '手机壳', user }));
  steps.push(await state());
  await page.selectOption('#sort', 'price_desc');
  await shows(await api({ q: '手机壳', user, sort: 'price_desc' }));
  steps.push(await state());
  await page.click('#facets .chip[data-kind="brand"]');
  await page.waitForSelector('#facets .chip.active[data-kind="brand"]', { timeout: 20000 });
  await settled();
  steps.push(await state());
  const brand = steps[4].chips[0]?.split('=')[1];
  check(steps[4].ids.length > 0 && JSON.stringify(steps[4].ids) === JSON.stringify(await api({ q: '手机壳', user, sort: 'price_desc', brand })),
    `a brand chip filters the sorted results of user ${user} (${JSON.stringify(steps[4])})`);
  const address = new URL(page.url());
  check(address.searchParams.get('q') === '手机壳' && address.searchParams.get('user') === user && address.searchParams.get('sort') === 'price_desc' && address.searchParams.get('brand') === brand,
    `the address holds the search, the user, the order and the filter (${decodeURIComponent(address.search)})`);

  // Back steps through the searches made, each with its user, order and filters; one more Back is the empty page.
  for (let i = steps.length - 2; i >= 0; i--) {
    await page.goBack();
    await shows(steps[i].ids);
    const now = await state();
    check(JSON.stringify(now) === JSON.stringify(steps[i]), `Back shows step ${i + 1} again (${JSON.stringify(now)}; was ${JSON.stringify(steps[i])})`);
  }
  await page.goBack();
  await page.waitForTimeout(300);
  const empty = await state();
  check(new URL(page.url()).origin === new URL(url).origin && empty.q === '' && empty.ids.length === 0 && await page.$eval('#facets', f => f.hidden),
    `Back past the first search shows the page as it opened (at ${page.url()}: ${JSON.stringify(empty)})`);
  for (let i = 0; i < steps.length; i++) {
    await page.goForward();
    await shows(steps[i].ids);
    const now = await state();
    check(JSON.stringify(now) === JSON.stringify(steps[i]), `Forward shows step ${i + 1} again (${JSON.stringify(now)})`);
  }

  // A copied link with a filter opens the same filtered results.
  const linked = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  linked.on('pageerror', e => errors.push(String(e)));
  await linked.goto(address.href, { waitUntil: 'networkidle' });
  await shows(steps[4].ids, linked);
  const opened = await state(linked);
  check(JSON.stringify(opened) === JSON.stringify(steps[4]), `the copied link opens the same filtered results (${JSON.stringify(opened)})`);
  await linked.close();

  // The box cleared and another user picked: nothing is searched, so the old results go with the q of the address;
  // Back shows the last search again.
  await page.fill('#q', '');
  await page.selectOption('#user', '');
  await page.waitForTimeout(300);
  const cleared = await state();
  const clearedAddress = new URL(page.url());
  check(cleared.ids.length === 0 && cleared.user === '' && !clearedAddress.searchParams.has('q') && await page.$eval('#more', m => m.hidden),
    `an empty box and another user show no results and the address holds no search (${JSON.stringify(cleared)} at ${clearedAddress.search})`);
  await page.goBack();
  await shows(steps[4].ids);
  check(JSON.stringify(await state()) === JSON.stringify(steps[4]), 'Back from the cleared page shows the last search again');

  await page.screenshot({ path: shot, fullPage: true });
  check(errors.length === 0, `no console errors (${JSON.stringify(errors)})`);
  console.log(`ok screenshot ${shot}`);
});
