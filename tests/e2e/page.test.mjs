// Drives the SearchRec page in headless Chromium: type a query, see results, click one, see the similar row,
// buy it as a chosen user, and keep a screenshot. Usage: node page.test.mjs <url> <screenshot.png> [query]
// Exit code 0 on success; prints one "ok ..." line per check, or "FAIL ..." and exits 1.
import { launch } from './browser.mjs';

const [url, shot, queryArg] = process.argv.slice(2);
if (!url || !shot) { console.error('usage: node page.test.mjs <url> <screenshot.png> [query]'); process.exit(2); }
const browser = await launch();
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  const posted = [];
  page.on('response', r => { if (r.url().endsWith('/events')) posted.push(r.status()); });

  await page.goto(url, { waitUntil: 'networkidle' });
  const samples = await (await page.request.get(new URL('/samples', url).href)).json();
  const query = queryArg || samples.queries[0];

  // Pick the first sample user so clicks are sent as events.
  await page.waitForFunction(() => document.querySelectorAll('#user option').length > 1);
  const user = await page.$eval('#user option:nth-child(2)', o => o.value);
  await page.selectOption('#user', user);

  // Typing offers completions from GET /suggest in the box's list.
  const typed = query.slice(0, 1);
  const expected = (await (await page.request.get(new URL(`/suggest?q=${encodeURIComponent(typed)}&k=8`, url).href)).json()).suggestions.map(s => s.text);
  if (expected.length === 0) throw new Error(`no completions of "${typed}"`);
  await page.fill('#q', '');
  await page.type('#q', typed);
  await page.waitForFunction(n => document.querySelectorAll('#completions option').length === n, expected.length, { timeout: 20000 });
  const offered = await page.$$eval('#completions option', os => os.map(o => o.value));
  if (JSON.stringify(offered) !== JSON.stringify(expected)) throw new Error(`completions of "${typed}": ${offered.join(',')}; expected ${expected.join(',')}`);
  console.log(`ok typing "${typed}" offers ${offered.length} completions: ${offered.slice(0, 3).join(', ')}, ...`);

  await page.fill('#q', query);
  await page.press('#q', 'Enter');
  await page.waitForSelector('#results li .title', { timeout: 20000 });
  const titles = await page.$$eval('#results li .title', els => els.map(e => e.textContent));
  if (titles.length === 0) throw new Error('no results');
  console.log(`ok search "${query}" shows ${titles.length} results; first: ${titles[0]}`);

  // "more" appends the next page of the same ranking while a full page leaves re-ranked candidates over.
  const firstPage = await (await page.request.get(new URL(`/search?q=${encodeURIComponent(query)}&k=${titles.length}&user=${user}`, url).href)).json();
  const moreShown = await page.$eval('#more', b => !b.hidden);
  if (moreShown !== (firstPage.window > titles.length)) throw new Error(`"more" shown: ${moreShown}, with ${titles.length} of ${firstPage.window} re-ranked candidates`);
  if (moreShown) {
    const ids = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    await page.click('#more');
    await page.waitForFunction(n => document.querySelectorAll('#results li').length > n, ids.length, { timeout: 20000 });
    const all = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    const secondPage = await (await page.request.get(new URL(`/search?q=${encodeURIComponent(query)}&k=${ids.length}&offset=${ids.length}&user=${user}`, url).href)).json();
    const expected = [...ids, ...secondPage.results.map(r => r.id)];
    if (JSON.stringify(all) !== JSON.stringify(expected)) throw new Error(`after "more": ${all.join(',')}; expected ${expected.join(',')}`);
    console.log(`ok "more" appended ${all.length - ids.length} results, the next page of the same ranking`);
  }

  // Facet chips: a category chip filters the results to that category, a brand chip to that brand, "more" keeps the
  // filter, and removing the active chip brings the unfiltered results back.
  const searches = [];
  page.on('request', r => { if (r.url().includes('/search?')) searches.push(new URL(r.url()).searchParams); });
  const counted = (await (await page.request.get(new URL(`/search?q=${encodeURIComponent(query)}&k=1&user=${user}&facets=true`, url).href)).json()).facets;
  const unfiltered = firstPage.results.map(r => r.id);
  async function filterBy(kind, choose) {
    await page.waitForSelector(`#facets .chip[data-kind="${kind}"]`, { timeout: 20000 });
    const chips = await page.$$eval(`#facets .chip[data-kind="${kind}"]`, els => els.map(e => ({ value: e.dataset.value, count: Number(e.querySelector('.count').textContent) })));
    if (JSON.stringify(chips) !== JSON.stringify(counted[kind])) throw new Error(`${kind} chips ${JSON.stringify(chips)}; the service counts ${JSON.stringify(counted[kind])}`);
    const pick = choose(chips);
    const chosen = chips[pick].value;
    await (await page.$$(`#facets .chip[data-kind="${kind}"]`))[pick].click();
    await page.waitForSelector(`#facets .chip.active[data-kind="${kind}"]`, { timeout: 20000 });
    const active = await page.$eval('#facets .chip.active', e => e.dataset.value);
    if (active !== chosen) throw new Error(`active chip "${active}", clicked "${chosen}"`);
    let ids = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    if (ids.length === 0) throw new Error(`no results for ${kind} "${chosen}"`);
    let paged = false;
    if (await page.$eval('#more', b => !b.hidden)) {
      await page.click('#more');
      await page.waitForFunction(n => document.querySelectorAll('#results li').length > n, ids.length, { timeout: 20000 });
      if (searches[searches.length - 1].get(kind) !== chosen) throw new Error(`"more" asked for ${searches[searches.length - 1]}, without the filter`);
      ids = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
      paged = true;
    }
    for (const id of ids) {
      const item = await (await page.request.get(new URL(`/items/${encodeURIComponent(id)}`, url).href)).json();
      const carried = kind === 'category' ? item.category.split('/').includes(chosen) : item.brand === chosen;
      if (!carried) throw new Error(`result ${id} (${item.category}, ${item.brand}) is not of the chosen ${kind} "${chosen}"`);
    }
    console.log(`ok the ${kind} chip "${chosen}" (${chips[pick].count}) shows ${ids.length} results${paged ? ' over two pages' : ''}, all of that ${kind}`);
    await page.click('#facets .chip.active');
    await page.waitForFunction(k => !document.querySelector('#facets .chip.active') && document.querySelector(`#facets .chip[data-kind="${k}"]`), kind, { timeout: 20000 });
    const restored = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    if (JSON.stringify(restored) !== JSON.stringify(unfiltered)) throw new Error(`after removing the filter: ${restored.join(',')}; expected ${unfiltered.join(',')}`);
    if (searches[searches.length - 1].has(kind)) throw new Error(`the search after removing the filter still had it: ${searches[searches.length - 1]}`);
    console.log(`ok removing the active ${kind} chip brings the unfiltered results back`);
  }
  // The least common category (a filter that changes the list); the most common brand (likely more than a page).
  await filterBy('category', chips => chips.length - 1);
  await filterBy('brand', () => 0);

  await page.click('#results li:first-child .title');
  await page.waitForSelector('#similar .card', { timeout: 20000 });
  const similar = await page.$$eval('#similar .card', els => els.map(e => e.dataset.id));
  const sources = await page.$$eval('#similar .card .source', els => els.map(e => e.textContent));
  console.log(`ok similar row shows ${similar.length} items (sources: ${[...new Set(sources)].join(', ')})`);

  await page.click('#results li:first-child button.buy');
  await page.waitForFunction(() => /purchase of .* sent/.test(document.querySelector('#status').textContent), null, { timeout: 20000 });
  await page.waitForSelector('#recs .card', { timeout: 20000 });
  if (!posted.includes(200)) throw new Error(`events not acknowledged: ${JSON.stringify(posted)}`);
  console.log(`ok click and purchase sent as events for user ${user} (statuses ${posted.join(',')})`);

  if (errors.length) throw new Error('page errors: ' + errors.join('; '));
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`ok screenshot ${shot}`);
} catch (e) {
  failed = true;
  console.log(`FAIL ${e.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
