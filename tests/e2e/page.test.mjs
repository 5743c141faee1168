// Drives the SearchRec page in headless Chromium: type a query, see results, click one, see the similar row,
// buy it as a chosen user, and keep a screenshot. Usage: node page.test.mjs <url> <screenshot.png> [query]
// Exit code 0 on success; prints one "ok ..." line per check, or "FAIL ..." and exits 1.
import { readFileSync } from 'node:fs';
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

  // Typing offers completions from GET /suggest in the page's own list (a combobox), exactly as the service answers.
  const suggestions = async (q) => (await (await page.request.get(new URL(`/suggest?q=${encodeURIComponent(q)}&k=8`, url).href)).json()).suggestions.map(s => s.text);
  const listed = () => page.$$eval('#completions [role="option"]', os => os.map(o => o.textContent));
  const listShown = () => page.$eval('#completions', l => !l.hidden && l.getClientRects().length > 0 && document.querySelector('#q').getAttribute('aria-expanded') === 'true');
  async function typeAndSee(typed) {
    const expected = await suggestions(typed);
    if (expected.length === 0) throw new Error(`no completions of "${typed}"`);
    await page.fill('#q', '');
    await page.type('#q', typed);
    const seen = await page.waitForFunction(want => {
      const l = document.querySelector('#completions');
      return !l.hidden && l.getClientRects().length > 0 && JSON.stringify([...l.querySelectorAll('[role="option"]')].map(o => o.textContent)) === want;
    }, JSON.stringify(expected), { timeout: 20000 }).then(() => true, () => false);
    if (!seen || !(await listShown())) throw new Error(`completions of "${typed}" shown: ${JSON.stringify(await listed())} (list visible: ${await listShown()}); the service answers ${JSON.stringify(expected)}`);
    return expected;
  }
  const typed = query.slice(0, 1);
  const offered = await typeAndSee(typed);
  console.log(`ok typing "${typed}" shows what the service completes it to, in its order (${offered.length}): ${offered.slice(0, 3).join(', ')}, ...`);

  // A completion that does not hold the typed text (the service ignores spaces, punctuation, case and traditional
  // characters) is shown too; a <datalist> hid it. Found through the service: a completion with its spaces and
  // punctuation taken out, or in traditional characters.
  const traditional = { 连: '連', 机: '機', 装: '裝', 运: '運', 动: '動', 壳: '殼', 华: '華', 为: '為', 电: '電', 脑: '腦', 鞋: '鞋', 视: '視', 发: '發', 长: '長', 衬: '襯', 红: '紅', 蓝: '藍', 绿: '綠', 色: '色' };
  const seeds = [...new Set([...offered, ...samples.queries.slice(0, 8), ...(await Promise.all(samples.queries.slice(0, 8).map(q => suggestions(q.slice(0, 1))))).flat()])];
  let hidden = null;
  for (const seed of seeds) {
    for (const typedForm of [seed.replace(/[\s\p{P}\p{S}]/gu, ''), [...seed].map(c => traditional[c] ?? c).join('')]) {
      if (hidden || !typedForm || typedForm === seed) continue;
      const completion = (await suggestions(typedForm)).find(t => !t.toLowerCase().includes(typedForm.toLowerCase()));
      if (completion) hidden = { typed: typedForm, completion };
    }
    if (hidden) break;
  }
  if (!hidden) throw new Error(`no completion of this shop found that does not hold its typed text (tried ${seeds.length} completions)`);
  const offeredHidden = await typeAndSee(hidden.typed);
  if (!offeredHidden.includes(hidden.completion)) throw new Error(`"${hidden.completion}" not among ${JSON.stringify(offeredHidden)}`);
  console.log(`ok typing "${hidden.typed}" shows "${hidden.completion}", which does not hold the typed text`);

  // Pinyin typed without an input method: its whole spelling lists the completion, and a search of it that finds
  // nothing as typed shows the results of the Chinese it spells, saying so. Readings come from the test driver.
  const lastSearchQ = () => page.waitForRequest(r => r.url().includes('/search?'), { timeout: 20000 }).then(r => new URL(r.url()).searchParams.get('q'));
  if (process.env.PAGE_PINYIN_FILE) {
    const readings = JSON.parse(readFileSync(process.env.PAGE_PINYIN_FILE, 'utf8'));
    const chars = (t) => [...t.replace(/\s/g, '')];
    let spelled = null;
    for (const seed of seeds.filter(t => chars(t).length >= 2 && chars(t).every(c => readings[c]))) {
      const whole = chars(seed).map(c => readings[c]).join('');
      if ((await suggestions(whole)).includes(seed)) { spelled = { seed, whole }; break; }
    }
    if (!spelled) throw new Error(`no completion of this shop is listed when typed in pinyin (tried ${seeds.length})`);
    await typeAndSee(spelled.whole);
    console.log(`ok typing "${spelled.whole}" lists "${spelled.seed}"`);
    const { defaultK } = await (await page.request.get(new URL('/page/config', url).href)).json();
    const api = await (await page.request.get(new URL(`/search?q=${spelled.whole}&k=${defaultK}&user=${user}`, url).href)).json();
    if (!api.spelledAs) throw new Error(`the service did not respell "${spelled.whole}": ${JSON.stringify(api).slice(0, 200)}`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('#spelled').hidden && document.querySelector('#results li .title'), null, { timeout: 20000 });
    const note = await page.$eval('#spelled', e => e.textContent);
    const ids = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    if (!note.includes(api.spelledAs) || JSON.stringify(ids) !== JSON.stringify(api.results.map(r => r.id)))
      throw new Error(`searching "${spelled.whole}": note "${note}", results ${ids.join(',')}; the service searched "${api.spelledAs}": ${api.results.map(r => r.id).join(',')}`);
    console.log(`ok searching "${spelled.whole}" shows the results of "${api.spelledAs}" and says so: ${note}`);

    // A homophone picked by mistake (a character swapped for another read alike): the page offers what it reads
    // like, and a click searches that.
    const alikeOf = (c) => Object.keys(readings).find(o => o !== c && readings[o] === readings[c]);
    const typo = [...spelled.seed.replace(/\s/g, '')].map((c, i, all) => (i === all.length - 1 ? alikeOf(c) ?? c : c)).join('');
    const offer = (await (await page.request.get(new URL(`/search?q=${encodeURIComponent(typo)}&k=${defaultK}&user=${user}`, url).href)).json()).didYouMean;
    if (!offer) throw new Error(`the service offers nothing for "${typo}" (a homophone typo of "${spelled.seed}")`);
    await page.fill('#q', typo);
    await page.keyboard.press('Enter');
    await page.waitForFunction(want => { const m = document.querySelector('#meant'); return !m.hidden && m.textContent.includes(want); }, offer, { timeout: 20000 })
      .catch(async () => { throw new Error(`searching "${typo}" the page shows ${await page.$eval('#meant', m => m.outerHTML)}, status "${await page.$eval('#status', m => m.textContent)}", box "${await page.inputValue('#q')}"; the service offers "${offer}"`); });
    const searchedOffer = lastSearchQ();
    await page.click('#meant button');
    if (await searchedOffer !== offer || await page.inputValue('#q') !== offer) throw new Error(`clicking the offer searched "${await searchedOffer}"; expected "${offer}"`);
    await page.waitForFunction(() => document.querySelector('#meant').hidden, null, { timeout: 20000 });
    console.log(`ok searching "${typo}" offers "${offer}", and a click searches it`);
  } else console.log('skip pinyin: PAGE_PINYIN_FILE is not set');

  // ArrowDown highlights the first completion and ArrowUp wraps to the last and back; Enter searches the highlighted one.
  const highlighted = () => page.evaluate(() => {
    const id = document.querySelector('#q').getAttribute('aria-activedescendant');
    const o = id && document.getElementById(id);
    const selected = [...document.querySelectorAll('#completions [aria-selected="true"]')];
    return o && selected.length === 1 && selected[0] === o ? o.textContent : null;
  });
  // The keys and the click are tried on the sample queries' first character with the most completions.
  const firsts = [...new Set([typed, ...samples.queries.slice(0, 8).map(q => q.slice(0, 1))])];
  const counts = await Promise.all(firsts.map(async f => (await suggestions(f)).length));
  const several = firsts[counts.indexOf(Math.max(...counts))];
  const picked = await typeAndSee(several);
  const moves = [['ArrowDown', 0], ['ArrowUp', picked.length - 1], ['ArrowDown', 0], ['ArrowDown', 1 % picked.length]];
  for (const [key, want] of moves) {
    await page.keyboard.press(key);
    if (await highlighted() !== picked[want]) throw new Error(`after ${moves.map(m => m[0]).join(', ')} up to ${key}: "${await highlighted()}" highlighted, not "${picked[want]}" of ${JSON.stringify(picked)}`);
  }
  const chosen = picked[1 % picked.length];
  await page.screenshot({ path: shot.replace(/\.png$/, '-completions.png') });
  let searched = lastSearchQ();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#results li .title', { timeout: 20000 });
  if (await searched !== chosen || await page.inputValue('#q') !== chosen || await listShown())
    throw new Error(`ArrowDown and Enter searched "${await searched}" with "${await page.inputValue('#q')}" in the box (list shown: ${await listShown()}); expected "${chosen}"`);
  console.log(`ok ArrowDown and ArrowUp move the highlight over the ${picked.length} completions of "${several}", wrapping; Enter searches the highlighted "${chosen}" and closes the list`);

  // Escape closes the list and keeps the text; leaving the box or emptying it closes it too.
  await typeAndSee(several);
  await page.keyboard.press('Escape');
  if (await listShown() || await page.inputValue('#q') !== several) throw new Error(`after Escape the list is shown: ${await listShown()}, the box holds "${await page.inputValue('#q')}"`);
  await typeAndSee(several);
  await page.focus('#user');
  if (await listShown()) throw new Error('the list stays open after the box lost the focus');
  await typeAndSee(several);
  await page.press('#q', 'Backspace');
  if (await listShown() || await page.inputValue('#q') !== '') throw new Error(`the list stays open over an empty box ("${await page.inputValue('#q')}")`);
  console.log('ok Escape, leaving the box and emptying it close the list');

  // A click on a completion searches it.
  const clickable = await typeAndSee(several);
  const target = clickable[clickable.length - 1];
  searched = lastSearchQ();
  await page.click(`#completions [role="option"]:nth-child(${clickable.length})`);
  const clickedQ = await searched;
  await page.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent) && document.querySelector('#results li'), null, { timeout: 20000 });
  if (clickedQ !== target || await page.inputValue('#q') !== target || await listShown())
    throw new Error(`a click on "${target}" searched "${clickedQ}" with "${await page.inputValue('#q')}" in the box (list shown: ${await listShown()})`);
  console.log(`ok a click on the completion "${target}" searches it`);

  // A failed completion request leaves the list as it was; an answer still on its way when a search starts does not
  // open the list over the results.
  const before = await typeAndSee(several);
  await page.route('**/suggest?*', route => route.abort('connectionrefused'));
  const failed = page.waitForEvent('requestfailed', r => r.url().includes('/suggest?'), { timeout: 20000 });
  await page.type('#q', 'x');
  await failed;
  await page.waitForTimeout(100);
  if (!(await listShown()) || JSON.stringify(await listed()) !== JSON.stringify(before)) throw new Error(`after a failed request the list shows ${JSON.stringify(await listed())} (visible: ${await listShown()}), not ${JSON.stringify(before)}`);
  await page.unroute('**/suggest?*');
  await page.route('**/suggest?*', async route => { await new Promise(r => setTimeout(r, 600)); await route.continue(); });
  await page.fill('#q', '');
  const late = page.waitForResponse(r => r.url().includes('/suggest?'), { timeout: 20000 });
  await page.type('#q', several);
  await page.waitForRequest(r => r.url().includes('/suggest?'), { timeout: 20000 });
  await page.press('#q', 'Enter');
  await late;
  await page.waitForTimeout(100);
  if (await listShown()) throw new Error('a completion answer that came after the search opened the list');
  await page.unroute('**/suggest?*');
  console.log('ok a failed completion request leaves the list as it was, and a late one does not reopen it after a search');

  // The list may still hold the results of the search just before (the late completion's): wait for this one's.
  const searchedQuery = lastSearchQ();
  await page.fill('#q', query);
  await page.press('#q', 'Enter');
  if (await searchedQuery !== query) throw new Error(`Enter on "${query}" searched "${await searchedQuery}"`);
  await page.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent) && document.querySelector('#results li .title'), null, { timeout: 20000 });
  const titles = await page.$$eval('#results li .title', els => els.map(e => e.textContent));
  if (titles.length === 0) throw new Error('no results');
  console.log(`ok search "${query}" shows ${titles.length} results; first: ${titles[0]}`);

  // The address bar holds the search and the user, and that address opens the same results for the same user.
  {
    const address = new URL(page.url());
    if (address.searchParams.get('q') !== query || address.searchParams.get('user') !== user)
      throw new Error(`after searching "${query}" as user ${user} the address is ${address.search}`);
    const shownIds = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    const linked = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    linked.on('pageerror', e => errors.push(String(e)));
    await linked.goto(address.href, { waitUntil: 'networkidle' });
    await linked.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent) && document.querySelector('#results li .title'), null, { timeout: 20000 });
    const linkedIds = await linked.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    const linkedUser = await linked.$eval('#user', s => s.value);
    if (linkedUser !== user || JSON.stringify(linkedIds) !== JSON.stringify(shownIds))
      throw new Error(`the address ${address.search} opened as user "${linkedUser}" with ${linkedIds.join(',')}; the page showed ${shownIds.join(',')} for user ${user}`);
    await linked.close();
    console.log(`ok the address ${decodeURIComponent(address.search)} opens the same ${linkedIds.length} results for user ${user}`);
  }

  // The search's words are marked in the titles exactly where the service's highlights say.
  const withMarks = await (await page.request.get(new URL(`/search?q=${encodeURIComponent(query)}&k=${titles.length}&user=${user}&highlight=true`, url).href)).json();
  const marksShown = await page.$$eval('#results li .title', els => els.map(e => [...e.querySelectorAll('mark')].map(m => m.textContent)));
  const marksMeant = withMarks.results.map(r => (r.highlights ?? []).map(h => r.title.slice(h.start, h.start + h.length)));
  if (JSON.stringify(marksShown) !== JSON.stringify(marksMeant) || marksShown.flat().length === 0)
    throw new Error(`marked in the titles: ${JSON.stringify(marksShown)}; the service's highlights: ${JSON.stringify(marksMeant)}`);
  if (JSON.stringify(await page.$$eval('#results li .title', els => els.map(e => e.textContent))) !== JSON.stringify(withMarks.results.map(r => r.title)))
    throw new Error('a marked title does not read as the title');
  console.log(`ok the titles mark the search's words where the service says (${marksShown.flat().length} marks: ${marksShown.flat().slice(0, 4).join(', ')})`);

  // Sorting by price shows the service's price order; back to relevance, the first list returns.
  const idsShown = () => page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
  const relevanceIds = await idsShown();
  const byPrice = (await (await page.request.get(new URL(`/search?q=${encodeURIComponent(query)}&k=${titles.length}&user=${user}&sort=price_asc`, url).href)).json()).results;
  await page.selectOption('#sort', 'price_asc');
  await page.waitForFunction(want => JSON.stringify([...document.querySelectorAll('#results li .title')].map(e => e.dataset.id)) === want, JSON.stringify(byPrice.map(r => r.id)), { timeout: 20000 })
    .catch(async () => { throw new Error(`sorted by price the page shows ${(await idsShown()).join(',')}; the service ${byPrice.map(r => r.id).join(',')}`); });
  const prices = byPrice.filter(r => r.price != null).map(r => r.price);
  if (prices.some((p, i) => i > 0 && p < prices[i - 1])) throw new Error(`price_asc is not ascending: ${prices.join(',')}`);
  await page.selectOption('#sort', 'relevance');
  await page.waitForFunction(want => JSON.stringify([...document.querySelectorAll('#results li .title')].map(e => e.dataset.id)) === want, JSON.stringify(relevanceIds), { timeout: 20000 });
  console.log(`ok sorting by price shows ${byPrice.length} results cheapest first (¥${prices[0]} … ¥${prices[prices.length - 1]}), and relevance brings the ranking back`);

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

  // Sorted, the list pages through the candidates that hold every word of the query, often fewer than the window:
  // "more" is offered exactly when the service has a next page in that order (it was offered after the last one too,
  // and then added nothing). Sample queries joined in pairs make lists that end early.
  {
    const { defaultK: pageK } = await (await page.request.get(new URL('/page/config', url).href)).json();
    const some = samples.queries.slice(0, 4);
    const tried = [query, ...some.flatMap(a => some.filter(b => b !== a).map(b => `${a} ${b}`))];
    const sortedPage = (q, offset) => page.request.get(new URL(`/search?q=${encodeURIComponent(q)}&k=${pageK}&offset=${offset}&user=${user}&sort=price_asc`, url).href).then(r => r.json());
    const searchedIn = (q) => page.waitForResponse(r => r.url().includes('/search?') && new URL(r.url()).searchParams.get('q') === q, { timeout: 20000 });
    let sorted = searchedIn(query);
    await page.selectOption('#sort', 'price_asc');
    await sorted;
    let endsOnFullPage = 0;
    for (const q of tried) {
      const [first, next] = await Promise.all([sortedPage(q, 0), sortedPage(q, pageK)]);
      if (q !== query) {
        sorted = searchedIn(q);
        await page.fill('#q', q);
        await page.press('#q', 'Enter');
        await sorted;
      }
      await page.waitForFunction(() => !/searching/.test(document.querySelector('#status').textContent), null, { timeout: 20000 });
      const shownIds = await idsShown();
      if (JSON.stringify(shownIds) !== JSON.stringify(first.results.map(r => r.id))) throw new Error(`sorted "${q}": the page shows ${shownIds.join(',')}; the service ${first.results.map(r => r.id).join(',')}`);
      const more = await page.$eval('#more', b => !b.hidden);
      if (more !== next.results.length > 0) throw new Error(`sorted by price, "${q}" shows ${shownIds.length} of ${first.window} re-ranked candidates and "more" ${more ? 'is' : 'is not'} offered, but the next page holds ${next.results.length}`);
      if (first.results.length === pageK && next.results.length === 0 && first.window > pageK) endsOnFullPage++;
    }
    sorted = searchedIn(query);
    await page.fill('#q', query);
    await page.selectOption('#sort', 'relevance');
    await sorted;
    await page.waitForFunction(want => JSON.stringify([...document.querySelectorAll('#results li .title')].map(e => e.dataset.id)) === want, JSON.stringify(relevanceIds), { timeout: 20000 });
    console.log(`ok sorted by price, "more" is offered exactly when a next page follows (${tried.length} searches, ${endsOnFullPage} of them ending on a full page)`);
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

  // The price row: the results' range as placeholders; a range typed in filters every result to it, "more" keeps it,
  // and its chip removes it.
  if (counted.price) {
    const { min, max } = counted.price;
    const placeholders = await page.$$eval('#facets input.price', els => els.map(e => e.placeholder));
    if (JSON.stringify(placeholders) !== JSON.stringify([min.toFixed(0), max.toFixed(0)])) throw new Error(`price placeholders ${placeholders}; the service's range ${min}–${max}`);
    const lo = Math.floor(min), hi = Math.ceil((min + max) / 2);
    await page.fill('#price-min', String(lo));
    await page.fill('#price-max', String(hi));
    await page.click('#price-apply');
    await page.waitForSelector('#facets .chip.active[data-kind="price"]', { timeout: 20000 });
    const asked = searches[searches.length - 1];
    if (asked.get('priceMin') !== String(lo) || asked.get('priceMax') !== String(hi)) throw new Error(`the price filter asked for ${asked}`);
    const api = (await (await page.request.get(new URL(`/search?${asked}`, url).href)).json()).results;
    const shownIds = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    if (JSON.stringify(shownIds) !== JSON.stringify(api.map(r => r.id)) || api.some(r => r.price < lo || r.price > hi))
      throw new Error(`filtered to ¥${lo}–¥${hi} the page shows ${shownIds.join(',')}; the service ${api.map(r => `${r.id}:${r.price}`).join(',')}`);
    await page.click('#facets .chip.active[data-kind="price"]');
    await page.waitForSelector('#facets input.price', { timeout: 20000 });
    const back = await page.$$eval('#results li .title', els => els.map(e => e.dataset.id));
    if (JSON.stringify(back) !== JSON.stringify(unfiltered)) throw new Error(`after removing the price filter: ${back.join(',')}; expected ${unfiltered.join(',')}`);
    console.log(`ok a price range ¥${lo}–¥${hi} shows ${api.length} results, all in it, and its chip removes it`);
  }

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
