// Drives the SearchRec page in headless Chromium over the FakeShop of SearchRec.Server.Tests for what a screen reader
// or a copied link depends on: each buy button is named with its product, the explain box is in the address (a link
// reopens it, Back and Forward restore it), a user picked before any search is in the address too (in place, not as
// a history step), a search with no results says so in the results area, and the footer's text has 4.5:1 contrast.
// Usage: node page-a11y.test.mjs <url> <screenshot.png>
// Prints one "ok ..." line per check, or "FAIL ..." and exits 1.
import { runChecks } from './browser.mjs';


await runChecks('page-a11y.test.mjs', async ({ browser, url, shot, check }) => {
  const errors = [];
  const open = async (address) => {
    const p = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    p.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    p.on('pageerror', e => errors.push(String(e)));
    await p.goto(address, { waitUntil: 'networkidle' });
    return p;
  };
  const settled = (p) => p.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent), null, { timeout: 20000 });
  async function search(p, q) { await p.fill('#q', q); await p.press('#q', 'Enter'); await settled(p); }
  const param = (p, name) => new URL(p.url()).searchParams.get(name);
  const explained = (p) => p.$$eval('#results li .explain-list', els => els.length);
  const api = async (p, params) => (await (await p.request.get(new URL(`/search?${new URLSearchParams({ k: '10', ...params })}`, url).href)).json()).results;

  // 1. Each buy button's accessible name holds its product's title (after the visible words), so the ten differ.
  let page = await open(url);
  await search(page, '连衣裙');
  const rows = await page.$$eval('#results li', lis => lis.map(li => li.querySelector('.title').textContent));
  if (rows.length < 2) throw new Error(`too few results for 连衣裙 (${rows.length})`);
  const named = [];
  for (let i = 0; i < rows.length; i++) {
    const buy = page.locator('#results li').nth(i).getByRole('button', { name: `购买 buy ${rows[i]}`, exact: true });
    named.push(await buy.count());
  }
  check(named.every(n => n === 1), `each buy button is named "购买 buy <title>" (${JSON.stringify(named)} of ${JSON.stringify(rows)})`);
  const visible = await page.$$eval('#results li button.buy', bs => [...new Set(bs.map(b => b.textContent))]);
  check(JSON.stringify(visible) === JSON.stringify(['购买 buy']), `the buy buttons still read "购买 buy" (${JSON.stringify(visible)})`);

  // 2. explain is in the address only when checked; a copied link reopens it; Back and Forward restore it.
  check(param(page, 'explain') === null && await explained(page) === 0, `a search without explain has none in its address (${page.url()})`);
  await page.check('#explain');
  await page.waitForFunction(() => document.querySelectorAll('#results li .explain-list').length > 0, null, { timeout: 20000 });
  await settled(page);
  const withExplain = page.url();
  check(param(page, 'explain') === 'true', `checking explain writes explain=true into the address (${withExplain})`);
  const linked = await open(withExplain);
  await linked.waitForFunction(() => document.querySelectorAll('#results li .explain-list').length > 0, null, { timeout: 20000 }).catch(() => {});
  check(await linked.isChecked('#explain') && await explained(linked) > 0, `the copied link opens with explain checked and shown (${withExplain})`);
  await linked.close();
  await page.uncheck('#explain');
  await page.waitForFunction(() => document.querySelectorAll('#results li .explain-list').length === 0, null, { timeout: 20000 });
  await settled(page);
  check(param(page, 'explain') === null, `unchecking explain takes it out of the address (${page.url()})`);
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('#results li .explain-list').length > 0, null, { timeout: 20000 }).catch(() => {});
  await settled(page);
  check(await page.isChecked('#explain') && await explained(page) > 0 && param(page, 'explain') === 'true', `Back restores explain (${page.url()})`);
  await page.goForward();
  await page.waitForFunction(() => document.querySelectorAll('#results li .explain-list').length === 0, null, { timeout: 20000 }).catch(() => {});
  await settled(page);
  check(!await page.isChecked('#explain') && await explained(page) === 0, `Forward restores explain unchecked (${page.url()})`);
  await page.close();

  // 3. A user picked with an empty box goes into the address in place (no history step per pick); a link keeps it.
  page = await open(url);
  await page.waitForFunction(() => document.querySelectorAll('#user option').length > 2);
  const [u1, u2] = await page.$$eval('#user option', os => os.slice(1, 3).map(o => o.value));
  const steps = () => page.evaluate(() => history.length);
  const before = await steps();
  await page.selectOption('#user', u1);
  await page.waitForFunction(u => new URL(location.href).searchParams.get('user') === u, u1, { timeout: 5000 }).catch(() => {});
  check(param(page, 'user') === u1 && param(page, 'q') === null, `picking a user with an empty box puts it in the address (${page.url()})`);
  await page.selectOption('#user', u2);
  await page.waitForFunction(u => new URL(location.href).searchParams.get('user') === u, u2, { timeout: 5000 }).catch(() => {});
  check(param(page, 'user') === u2 && await steps() === before, `picking again replaces the address, adding no history step (${page.url()}; ${before} → ${await steps()} steps)`);
  await page.reload({ waitUntil: 'networkidle' });
  check(await page.$eval('#user', s => s.value) === u2 && await page.inputValue('#q') === '', `the page reopens at that address with the user picked (${page.url()})`);
  await search(page, '手机壳');
  check(param(page, 'q') === '手机壳' && param(page, 'user') === u2, `a search then is a step with that user (${page.url()})`);
  await page.goBack();
  await page.waitForTimeout(300);
  check(await page.$eval('#user', s => s.value) === u2 && await page.inputValue('#q') === '' && await page.$$eval('#results li', l => l.length) === 0,
    `Back from it shows the empty page with the user picked (${page.url()})`);
  // Leaving a search (its entry holds a q) for a pick with the box emptied is a step: Back still finds that search.
  await page.goForward();
  await page.waitForFunction(() => document.querySelectorAll('#results li').length > 0, null, { timeout: 20000 });
  await settled(page);
  const atSearch = await steps();
  await page.fill('#q', '');
  await page.selectOption('#user', u1);
  await page.waitForFunction(u => new URL(location.href).searchParams.get('user') === u, u1, { timeout: 5000 }).catch(() => {});
  check(param(page, 'user') === u1 && param(page, 'q') === null && await steps() === atSearch + 1, `a pick with the box emptied after a search is a new step (${page.url()})`);
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('#results li').length > 0, null, { timeout: 20000 }).catch(() => {});
  await settled(page);
  check(param(page, 'q') === '手机壳' && await page.inputValue('#q') === '手机壳' && await page.$eval('#user', s => s.value) === u2,
    `Back from that pick shows the search again (${page.url()})`);
  await page.close();

  // 4. A search with no results says so in the results area, worded as the status line (with the filters note).
  page = await open(url);
  const nothing = 'qxjzvk';
  if ((await api(page, { q: nothing })).length !== 0) throw new Error(`the FakeShop has results for ${nothing}`);
  await search(page, nothing);
  const emptyText = () => page.$eval('.empty:not([hidden])', e => e.textContent).catch(() => null);
  let said = await page.textContent('#status'), shown = await emptyText();
  check(/^no results/.test(said) && shown === said && await page.isVisible('.empty'), `a search with no results says so in the results area ("${shown}"; status "${said}")`);
  await search(page, '手机壳');
  check(!await page.isVisible('.empty'), 'a search with results hides that message');
  await page.click('#facets .chip[data-kind="brand"]');
  await page.waitForSelector('#facets .chip.active[data-kind="brand"]', { timeout: 20000 });
  await settled(page);
  await page.fill('#price-min', '100000');
  await page.click('#price-apply');
  await page.waitForSelector('#facets .chip.active[data-kind="price"]', { timeout: 20000 });
  await settled(page);
  said = await page.textContent('#status'); shown = await emptyText();
  check(/filters/.test(said) && shown === said && await page.isVisible('.empty'), `a search the filters leave empty says so in the results area, naming the filters ("${shown}")`);
  await page.screenshot({ path: shot, fullPage: true });

  // 5. The footer's text, its "·" separators included, has at least 4.5:1 contrast with what is behind it.
  const ratio = await page.evaluate(() => {
    const rgb = (c) => c.match(/[\d.]+/g).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const footer = document.querySelector('footer');
    let back = footer;
    while (back && rgb(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
    const fg = lum(rgb(getComputedStyle(footer).color)), bg = lum(rgb(back ? getComputedStyle(back).backgroundColor : 'rgb(255,255,255)'));
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  });
  const separators = await page.$eval('footer', f => [...f.childNodes].filter(n => n.nodeType === 3 && n.textContent.includes('·')).length);
  check(separators > 0 && ratio >= 4.5, `the footer's separators have ${ratio.toFixed(2)}:1 contrast (at least 4.5)`);
  await page.close();

  check(errors.length === 0, `no console errors (${JSON.stringify(errors)})`);
  console.log(`ok screenshot ${shot}`);
});
