// Drives the SearchRec page in headless Chromium the way a demanding user and an attacker would, over a shop whose
// products carry markup, quotes and a right-to-left override in their text (HostileShop in SearchRec.Server.Tests).
// Usage: node page-hostile.test.mjs <url> <screenshot.png>
// Prints one "ok ..." line per check, or "FAIL ..." and exits 1.
import { runChecks } from './browser.mjs';

const status = (page) => page.textContent('#status');
const titles = (page) => page.$$eval('#results li .title', els => els.map(e => e.textContent));

async function search(page, text) {
  await page.fill('#q', text);
  await page.press('#q', 'Enter');
  await page.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent), null, { timeout: 20000 });
}

async function open(page, width = 1200) {
  const p = await page.context().newPage();
  await p.setViewportSize({ width, height: 800 });
  return p;
}

await runChecks('page-hostile.test.mjs', async ({ browser, url, shot, check }) => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const consoleErrors = [];
  const dialogs = [];
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', e => consoleErrors.push(String(e)));
  context.on('dialog', d => { dialogs.push(d.message()); d.dismiss(); });

  // 1. The page loads with nothing on the console (not even a missing favicon).
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForFunction(() => document.querySelectorAll('#user option').length > 1);
  check(consoleErrors.length === 0, `the page loads with no console errors (${JSON.stringify(consoleErrors)})`);

  // 2. Markup in titles, brands, categories and sample queries is shown as text and never runs.
  const samples = await (await page.request.get(new URL('/samples', url).href)).json();
  const user = String(samples.userIds[0]);
  await page.selectOption('#user', user);
  const sampleLinks = await page.$$('#samples .sample');
  for (const a of sampleLinks) { await a.click(); await page.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent)); }
  check(sampleLinks.length === Math.min(8, samples.queries.length) && sampleLinks.length > 0, `every sample query is offered (${sampleLinks.length})`);
  await search(page, '连衣裙');
  await page.check('#explain');
  await page.waitForFunction(() => document.querySelector('#results .explain-list'));
  const shown = await titles(page);
  const ids = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
  let exact = ids.length > 0;
  for (let i = 0; i < ids.length; i++) {
    const item = await (await page.request.get(new URL(`/items/${ids[i]}`, url).href)).json();
    if (item.title !== shown[i]) exact = false;
  }
  check(exact && ids.length >= 5, `${ids.length} hostile titles are shown exactly as the catalog has them`);
  for (let i = 1; i <= ids.length; i++) {
    await page.click(`#results li:nth-child(${i}) .title`);
    await page.waitForSelector('#similar .card');
  }
  await page.click('#results li:first-child button.buy');
  await page.waitForFunction(() => /purchase of .* sent/.test(document.querySelector('#status').textContent), null, { timeout: 20000 });
  await page.waitForSelector('#recs .card');
  const foreign = await page.$$eval('script, img, svg, iframe, b, h1', els => els.map(e => e.outerHTML.slice(0, 60)));
  check(dialogs.length === 0, `no script from the data ran (dialogs: ${JSON.stringify(dialogs)})`);
  check(foreign.length === 2, `no element from the data entered the page (${JSON.stringify(foreign)})`);
  check(await page.title() === 'SearchRec', 'a </title> in the data leaves the document title alone');
  check(consoleErrors.length === 0, `no console errors while searching, clicking and buying (${JSON.stringify(consoleErrors)})`);

  // 3. A right-to-left override in a brand stays inside the brand: the price after it still reads ¥20.00.
  const priceOrder = await page.evaluate(() => {
    for (const li of document.querySelectorAll('#results li')) {
      const walker = document.createTreeWalker(li.querySelector('.meta'), NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const at = n.textContent.indexOf('¥20.00');
        if (at < 0) continue;
        const rect = (i) => { const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1); return r.getBoundingClientRect().left; };
        return { yen: rect(at), two: rect(at + 1), last: rect(at + 5) };
      }
    }
    return null;
  });
  check(priceOrder !== null && priceOrder.yen < priceOrder.two && priceOrder.two < priceOrder.last,
    `a brand with a right-to-left override does not reverse the price shown after it (${JSON.stringify(priceOrder)})`);

  // 3b. Hostile brands and categories show as text in the filter chips, and a chip filters and unfilters by keyboard.
  await search(page, '连衣裙');
  await page.waitForSelector('#facets .chip');
  const chipText = await page.$$eval('#facets .chip', els => els.map(e => `${e.dataset.kind}:${e.querySelector('bdi').textContent}`));
  const wantChips = ['category:<b>连衣裙</b>', 'category:</title>', 'category:连衣裙', "brand:<img src=x onerror=alert('b1')>", 'brand:A&B "co"', 'brand:ONLY', 'brand:x', 'brand:\u202Eevil'];
  check(wantChips.every(c => chipText.includes(c)), `hostile brands and categories show as text in the chips (${JSON.stringify(chipText)})`);
  const chipForeign = await page.$$eval('script, img, svg, iframe, b, h1', els => els.length);
  check(chipForeign === 2 && dialogs.length === 0, `no element or script from the data came in with the chips (${chipForeign} elements, dialogs ${JSON.stringify(dialogs)})`);
  const evilOrder = await page.evaluate(() => {
    const chip = [...document.querySelectorAll('#facets .chip')].find(c => c.dataset.value === '\u202Eevil');
    return chip ? [chip.querySelector('bdi').getBoundingClientRect().right, chip.querySelector('.count').getBoundingClientRect().left] : null;
  });
  check(evilOrder !== null && evilOrder[0] <= evilOrder[1] + 0.5, `a brand with a right-to-left override keeps its count after it in the chip (${JSON.stringify(evilOrder)})`);
  const markupChip = chipText.indexOf('category:<b>连衣裙</b>');
  if (markupChip >= 0) {
    await (await page.$$('#facets .chip'))[markupChip].focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#facets .chip.active', { timeout: 10000 }).catch(() => {});
    const onlyIds = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    const activeText = await page.$eval('#facets .chip.active bdi', e => e.textContent).catch(() => null);
    check(activeText === '<b>连衣裙</b>' && JSON.stringify(onlyIds) === '["1"]', `Enter on the chip "<b>连衣裙</b>" filters to that category (active "${activeText}", results ${JSON.stringify(onlyIds)})`);
    await page.focus('#facets .chip.active');
    await page.keyboard.press('Enter');
    const removed = await page.waitForFunction(() => !document.querySelector('#facets .chip.active') && document.querySelectorAll('#results li').length === 5, null, { timeout: 10000 }).then(() => true, () => false);
    check(removed, 'Enter on the active chip removes the filter');
  }

  // 3c. Completions of markup, quotes and a right-to-left override show as text, each in its own <bdi>, and the
  // keyboard picks one as it is.
  const completionsOf = async (q) => (await (await page.request.get(new URL(`/suggest?q=${encodeURIComponent(q)}&k=8`, url).href)).json()).suggestions.map(s => s.text);
  async function typeCompletions(p, typed) {
    const want = await completionsOf(typed);
    await p.fill('#q', '');
    await p.focus('#q');
    await p.keyboard.insertText(typed);
    const seen = await p.waitForFunction(w => {
      const l = document.querySelector('#completions');
      return !l.hidden && l.getClientRects().length > 0 && JSON.stringify([...l.querySelectorAll('[role="option"]')].map(o => o.textContent)) === w;
    }, JSON.stringify(want), { timeout: 10000 }).then(() => true, () => false);
    return { want, seen };
  }
  const dialogsBefore = dialogs.length;
  for (const typed of ['<b', '<img', 'A&', '\u202E']) {
    const { want, seen } = await typeCompletions(page, typed);
    const shape = await page.$$eval('#completions [role="option"]', os => os.map(o => [...o.childNodes].map(n => n.nodeName).join('+')));
    check(want.length > 0 && seen && shape.every(x => x === 'BDI'), `the completions of ${JSON.stringify(typed)} show as text, each in a <bdi> (${JSON.stringify(want)}; ${JSON.stringify(shape)})`);
  }
  const { want: imgWant } = await typeCompletions(page, '<img');
  const markupInList = await page.$$eval('#completions *', els => els.filter(e => !['LI', 'BDI'].includes(e.nodeName)).map(e => e.outerHTML.slice(0, 60)));
  const asked = page.waitForRequest(r => r.url().includes('/search?'), { timeout: 10000 }).then(r => new URL(r.url()).searchParams.get('q'), () => null);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const pickedQ = await asked;
  await page.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent), null, { timeout: 10000 });
  check(markupInList.length === 0 && dialogs.length === dialogsBefore, `no element or script from the completions entered the page (${JSON.stringify(markupInList)}, dialogs ${JSON.stringify(dialogs)})`);
  check(pickedQ === imgWant[0] && await page.inputValue('#q') === imgWant[0] && await page.$eval('#completions', l => l.hidden),
    `ArrowDown and Enter search the completion ${JSON.stringify(imgWant[0])} as it is (searched ${JSON.stringify(pickedQ)})`);

  // 4. Keyboard: result titles, sample queries and cards are reachable and open with Enter.
  // Changing the user searches again: wait until that answer is drawn, or it replaces the title focused below.
  if (await page.inputValue('#user') !== '') {
    const researched = page.waitForResponse(r => r.url().includes('/search?'), { timeout: 10000 }).catch(() => null);
    await page.selectOption('#user', '');
    await researched;
    await page.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent), null, { timeout: 10000 });
  }
  await page.evaluate(() => { document.querySelector('#similar-section').hidden = true; });
  await page.focus('#results li:first-child .title');
  await page.keyboard.press('Enter');
  const byKeyboard = await page.waitForFunction(() => !document.querySelector('#similar-section').hidden, null, { timeout: 5000 }).then(() => true, () => false);
  check(byKeyboard, 'Enter on a focused result title opens its similar items');
  const firstCard = await page.$eval('#similar .card', c => c.dataset.id).catch(() => null);
  if (firstCard) {
    await page.focus('#similar .card');
    await page.keyboard.press('Enter');
    const cardOpened = await page.waitForFunction((id) => /similar items for (\S+)/.exec(document.querySelector('#status').textContent)?.[1] === id, firstCard, { timeout: 5000 }).then(() => true, () => false);
    check(cardOpened, 'Enter on a focused card opens that item');
  } else check(false, 'the similar row has cards to focus');
  await page.focus('#samples .sample').catch(() => {});
  const focusedSample = await page.evaluate(() => document.activeElement?.classList.contains('sample'));
  check(focusedSample, 'sample queries can take the keyboard focus');

  // 5. An anonymous purchase says why nothing was sent.
  await search(page, '连衣裙');
  await page.click('#results li:first-child button.buy');
  await page.waitForTimeout(300);
  check(/pick a user/.test(await status(page)), `buying anonymously says to pick a user ("${await status(page)}")`);

  // 6. A query longer than the service takes cannot be typed.
  await page.fill('#q', '');
  await page.focus('#q');
  await page.keyboard.insertText('连'.repeat(300));
  const typed = (await page.inputValue('#q')).length;
  check(typed === 200, `the search box stops at the service's 200 characters (held ${typed})`);

  // 7. Answers that come back out of order: the last query typed wins.
  await page.selectOption('#user', '');
  let first = true;
  await page.route('**/search?*', async route => {
    if (first) { first = false; await new Promise(r => setTimeout(r, 1500)); }
    await route.continue();
  });
  await page.fill('#q', '恶意');
  await page.press('#q', 'Enter');
  await page.waitForTimeout(100);
  await page.fill('#q', '红色');
  await page.press('#q', 'Enter');
  await page.waitForTimeout(2500);
  const afterRace = await titles(page);
  check(afterRace.length > 0 && afterRace.every(t => t.includes('红色')), `a slow earlier answer does not replace the later one (${JSON.stringify(afterRace)})`);
  await page.unroute('**/search?*');

  // ... and so does the last item clicked, and the last user picked.
  await search(page, '连衣裙');
  const slowFirst = (pattern) => {
    let held = true;
    return page.route(pattern, async route => {
      if (held) { held = false; await new Promise(r => setTimeout(r, 1500)); }
      await route.continue();
    });
  };
  await slowFirst('**/items/*/similar?*');
  const clicked = await titles(page);
  await page.click('#results li:nth-child(1) .title');
  await page.click('#results li:nth-child(2) .title');
  await page.waitForTimeout(2500);
  const similarOf = await page.textContent('#similar-title');
  check(similarOf === clicked[1], `the similar row is for the last item clicked ("${similarOf}", clicked "${clicked[1]}")`);
  await page.unroute('**/items/*/similar?*');
  const users = samples.userIds.map(String);
  await slowFirst('**/users/*/recommendations?*');
  await page.selectOption('#user', users[0]);
  await page.selectOption('#user', users[1]);
  await page.waitForTimeout(2500);
  const shownRecs = await page.$$eval('#recs .card', els => els.map(e => e.dataset.id));
  const wanted = (await (await page.request.get(new URL(`/users/${users[1]}/recommendations?k=8`, url).href)).json()).results.map(r => r.id);
  const other = (await (await page.request.get(new URL(`/users/${users[0]}/recommendations?k=8`, url).href)).json()).results.map(r => r.id);
  check(JSON.stringify(wanted) !== JSON.stringify(other), `the two users' feeds differ, so the check below can tell them apart (${JSON.stringify(other)} / ${JSON.stringify(wanted)})`);
  check(JSON.stringify(shownRecs) === JSON.stringify(wanted), `the feed shown is the last user's (${JSON.stringify(shownRecs)}, want ${JSON.stringify(wanted)})`);
  await page.unroute('**/users/*/recommendations?*');
  await page.selectOption('#user', '');

  // 8. A refused search, a service that is down and one that does not answer: a clear message, no stale results.
  await search(page, '连衣裙');
  await page.route('**/search?*', route => route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'q is refused', field: 'q' }) }));
  await search(page, '连衣裙 红色');
  check((await titles(page)).length === 0 && /q is refused/.test(await status(page)), `a refused search shows the reason and no stale results ("${await status(page)}")`);
  await page.unroute('**/search?*');
  await search(page, '连衣裙');
  await page.route('**/search?*', route => route.abort('connectionrefused'));
  await search(page, '连衣裙 红色');
  check((await titles(page)).length === 0 && /not answering/.test(await status(page)), `a service that is down is named ("${await status(page)}")`);
  await page.unroute('**/search?*');

  const slow = await open(page);
  await slow.route('**/page/config', async route => {
    const r = await route.fetch();
    route.fulfill({ response: r, json: { ...(await r.json()), requestTimeoutMs: 1000 } });
  });
  await slow.goto(url, { waitUntil: 'networkidle' });
  await slow.route('**/search?*', () => { /* never answered */ });
  await slow.fill('#q', '连衣裙');
  await slow.press('#q', 'Enter');
  const gaveUp = await slow.waitForFunction(() => /did not answer/.test(document.querySelector('#status').textContent), null, { timeout: 5000 }).then(() => true, () => false);
  check(gaveUp, `a search the service never answers ends with a message, not a stuck "searching…" ("${await status(slow)}")`);
  await slow.close();

  // Enter pressed while the page still loads its settings searches in place (it reloaded the page as /?q=…).
  const early = await open(page);
  await early.route('**/page/config', async route => { await new Promise(r => setTimeout(r, 1500)); await route.continue(); });
  await early.goto(url, { waitUntil: 'domcontentloaded' });
  await early.fill('#q', '连衣裙');
  // A mark on the window: a reload would lose it (the page now writes the search into its address itself).
  await early.evaluate(() => { window.notReloaded = true; });
  await early.press('#q', 'Enter');
  const earlyResults = await early.waitForSelector('#results li .title', { timeout: 10000 }).then(() => true, () => false);
  const stayed = await early.evaluate(() => window.notReloaded === true).catch(() => false);
  check(earlyResults && stayed, `Enter before the page has its settings searches in place (at ${early.url()}, ${stayed ? 'not reloaded' : 'reloaded'})`);
  await early.close();
  const linked = await open(page);
  await linked.goto(new URL('/?q=' + encodeURIComponent('红色'), url).href, { waitUntil: 'networkidle' });
  const linkedTitles = await linked.waitForSelector('#results li .title', { timeout: 10000 }).then(() => titles(linked), () => []);
  check(linkedTitles.length > 0 && linkedTitles.every(t => t.includes('红色')), `a link to /?q=红色 opens with that search (${JSON.stringify(linkedTitles)})`);
  await linked.close();

  // A page opened before the service restarted holds the events key of the earlier start: a purchase still goes through.
  const stale = await open(page);
  let firstConfig = true;
  await stale.route('**/page/config', async route => {
    if (!firstConfig) return route.continue();
    firstConfig = false;
    const r = await route.fetch();
    await route.fulfill({ response: r, json: { ...(await r.json()), eventsKey: 'key-of-an-earlier-start-0123456789' } });
  });
  await stale.goto(url, { waitUntil: 'networkidle' });
  await stale.waitForFunction(() => document.querySelectorAll('#user option').length > 1);
  await stale.selectOption('#user', user);
  await search(stale, '连衣裙');
  await stale.click('#results li:first-child button.buy');
  const bought = await stale.waitForFunction(() => /purchase of .* sent/.test(document.querySelector('#status').textContent), null, { timeout: 10000 }).then(() => true, () => false);
  check(bought, `a purchase from a page that holds an earlier start's events key is stored ("${await status(stale)}")`);
  await stale.close();

  // A user id past 2^53 stays exact: the page searches, reads the feed and buys as that user, not a neighbour.
  const bigUser = '9007199254740993';
  const options = await page.$$eval('#user option', os => os.map(o => o.value));
  check(options.includes(bigUser), `the user ${bigUser} is offered as written (${JSON.stringify(options)})`);
  if (options.includes(bigUser)) {
    const feedUrls = [];
    page.on('request', r => { if (r.url().includes('/recommendations')) feedUrls.push(r.url()); });
    await page.selectOption('#user', bigUser);
    await search(page, '连衣裙');
    await page.click('#results li:first-child button.buy');
    const boughtBig = await page.waitForFunction((u) => document.querySelector('#status').textContent.includes(`sent as user ${u}`), bigUser, { timeout: 10000 }).then(() => true, () => false);
    check(boughtBig && feedUrls.every(u => u.includes(`/users/${bigUser}/`)), `a purchase as user ${bigUser} is sent as that user (${await status(page)}; ${feedUrls.length} feed requests)`);
    await page.selectOption('#user', '');
  }

  // 9. Phone width: nothing scrolls sideways, and a clicked result's similar items come into view.
  const phone = await open(page, 360);
  await phone.goto(url, { waitUntil: 'networkidle' });
  const phoneList = await typeCompletions(phone, '<img');
  const listFits = await phone.evaluate(() => {
    const r = document.querySelector('#completions').getBoundingClientRect();
    return r.left >= 0 && r.right <= document.documentElement.clientWidth && document.documentElement.scrollWidth <= document.documentElement.clientWidth;
  });
  check(phoneList.seen && listFits, 'at 360 px the completions fit the width, long ones wrapped');
  await phone.screenshot({ path: shot.replace(/\.png$/, '-phone-completions.png'), fullPage: false });
  await search(phone, '连衣裙');
  const widths = await phone.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  check(widths[0] <= widths[1], `no sideways scrolling at 360 px (${widths})`);
  await phone.click('#results li:first-child .title');
  await phone.waitForSelector('#similar .card');
  await phone.waitForTimeout(800);
  const visible = await phone.evaluate(() => { const r = document.querySelector('#similar-section').getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; });
  check(visible, 'at phone width the similar items come into view after a click');
  await phone.screenshot({ path: shot.replace(/\.png$/, '-phone.png'), fullPage: false });
  await phone.close();

  await page.screenshot({ path: shot, fullPage: true });
  console.log(`ok screenshot ${shot}`);
});
