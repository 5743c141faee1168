// SearchRec demo page: search, similar items, user picker, and events sent back on click and purchase.
// Every text from the service goes in through textContent (never innerHTML), each in its own <bdi>, so markup in a
// title cannot run and a right-to-left override in a brand cannot reverse the price beside it.
'use strict';
const $ = (id) => document.getElementById(id);
let config = { eventsKey: null, defaultK: 10, maxQueryLength: 200, requestTimeoutMs: 10000 };

// A fetch that gives up after config.requestTimeoutMs and says in words what went wrong; the body as text.
async function getText(url) {
  const ms = config.requestTimeoutMs || 10000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  let r;
  try {
    r = await fetch(url, { signal: abort.signal });
  } catch (e) {
    if (abort.signal.aborted) throw new Error(`the service did not answer within ${ms / 1000} s`);
    throw new Error(`the service is not answering (${e.message}); is it running?`);
  } finally {
    clearTimeout(timer);
  }
  const text = await r.text();
  if (!r.ok) {
    let error = null;
    try { error = JSON.parse(text).error; } catch { /* not JSON: a proxy's page */ }
    throw new Error(error || `HTTP ${r.status}`);
  }
  return text;
}

async function getJson(url) { return JSON.parse(await getText(url)); }

// User ids are 64-bit integers. JSON.parse turns one past 2^53 into a neighbour (9007199254740993 becomes
// ...992), so the page keeps them as the digits the service wrote and never makes them a Number.
function userIdsOf(samplesText) {
  const list = /"userIds":\[([^\]]*)\]/.exec(samplesText);
  return list ? list[1].split(',').map(x => x.trim()).filter(x => /^\d+$/.test(x)) : [];
}

function status(text) { $('status').textContent = text; }
function currentUser() { return $('user').value; }

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

// Text from the catalog, isolated from its neighbours' direction.
const text = (s) => el('bdi', { textContent: s });

function meta(item) {
  const parts = [];
  if (item.brand) parts.push(text(item.brand));
  if (item.price != null) parts.push(text(`¥${item.price.toFixed(2)}`));
  if (item.category) parts.push(text(item.category));
  parts.push(text(`score ${typeof item.score === 'number' ? item.score.toFixed(3) : item.score}`));
  const m = el('div', { className: 'meta' });
  parts.forEach((p, i) => { if (i) m.append(' · '); m.append(p); });
  return m;
}

async function sendEvent(itemId, behavior) {
  const user = currentUser();
  if (!config.eventsKey) { status('read-only page: the service has no events key, so clicks and purchases are not sent'); return false; }
  if (!/^\d+$/.test(user)) return false;
  const post = () => fetch('/events', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Api-Key': config.eventsKey },
    body: `{"user":${user},"item":${JSON.stringify(itemId)},"behavior":${JSON.stringify(behavior)}}`,
  }).catch(e => ({ ok: false, status: e.message, json: async () => ({}) }));
  let r = await post();
  if (r.status === 403) {
    // The service restarted since the page loaded and made a new events key: fetch it and send once more.
    const fresh = await getJson('/page/config').catch(() => null);
    if (fresh && fresh.eventsKey && fresh.eventsKey !== config.eventsKey) {
      config = { ...config, ...fresh };
      r = await post();
    }
  }
  if (!r.ok) { const b = await r.json().catch(() => ({})); status(`event not stored: ${b.error || r.status}`); return false; }
  return true;
}

// Only the latest request of each kind may fill its part of the page: an earlier, slower answer is dropped.
// turn() starts a request and returns a function that says whether it is still the latest.
function turns() { let n = 0; return () => { const mine = ++n; return () => mine === n; }; }
const searchTurn = turns(), similarTurn = turns(), recsTurn = turns();

// The last search's parameters and how many of its results the list shows, for "more".
let lastSearch = null, shown = 0;

// The filters a chip set, and the query they belong to: a new query text starts without them.
const FILTERS = ['category', 'brand', 'priceMin', 'priceMax'];
let filters = { category: '', brand: '', priceMin: '', priceMax: '' }, filtersQuery = null;
const FACETS = [['category', '类目 category'], ['brand', '品牌 brand']];

// The address bar holds the search, the user, the order, explain and the filters, so a copied link opens the same
// results. Each search that changes it is a new step in the history: Back and Forward show the searches before and
// after. With no query (a user, order or explain picked while the box is empty) nothing is searched, so nothing is a
// step: the address names the picks in place of the entry that holds no search; only leaving a search shown (its
// entry has a q) is a step, so Back still finds that search.
function linkTo(q) {
  const link = new URLSearchParams(q ? { q } : {});
  if (currentUser() !== '') link.set('user', currentUser());
  if ($('sort').value !== 'relevance') link.set('sort', $('sort').value);
  if ($('explain').checked) link.set('explain', 'true');
  if (q) for (const kind of FILTERS) if (filters[kind]) link.set(kind, filters[kind]);
  const address = location.pathname + (link.size ? `?${link}` : '');
  if (address === location.pathname + location.search) return;
  if (q || new URLSearchParams(location.search).has('q')) history.pushState(null, '', address);
  else history.replaceState(null, '', address);
}

async function search(more = false) {
  if (more && !lastSearch) return;
  if (!more) endCompletions();
  const q = more ? lastSearch.get('q') : $('q').value.trim();
  // Nothing to search: the address still follows the user, order and explain picked, and the page shows no results,
  // as Back to an address without a search does (the last search's results under the new picks would not be theirs).
  if (!q) {
    if (more) return;
    linkTo('');
    searchTurn();
    lastSearch = null;
    clearResults();
    status('');
    return;
  }
  const latest = searchTurn();
  const params = more ? new URLSearchParams(lastSearch) : new URLSearchParams({ q, k: String(config.defaultK) });
  if (!more) {
    if (currentUser() !== '') params.set('user', currentUser());
    if ($('explain').checked) params.set('explain', 'true');
    if ($('sort').value !== 'relevance') params.set('sort', $('sort').value);
    if (q !== filtersQuery) { filters = Object.fromEntries(FILTERS.map(kind => [kind, ''])); filtersQuery = q; }
    for (const kind of FILTERS) if (filters[kind]) params.set(kind, filters[kind]);
    params.set('facets', 'true');
    params.set('highlight', 'true');
    linkTo(q);
  } else {
    // The next page keeps the filters (they are in lastSearch); its facets would be the first page's.
    params.set('offset', String(shown));
    params.delete('facets');
  }
  status(more ? 'more…' : 'searching…');
  const list = $('results');
  // A sorted list holds only the candidates with every word of the query, often fewer than the window: ask for one
  // result more than the page shows, so that "more" is offered only when a next page exists.
  const k = Number(params.get('k'));
  const peek = params.has('sort') && k < (config.maxK || 100);
  const asked = new URLSearchParams(params);
  if (peek) asked.set('k', String(k + 1));
  let res;
  try {
    res = await getJson(`/search?${asked}`);
  } catch (e) {
    if (!latest()) return;
    if (!more) {
      clearResults();
      showFacets(params, null);
    }
    status(`search failed: ${e.message}`);
    return;
  }
  if (!latest()) return;
  if (!more) {
    list.replaceChildren();
    $('empty').hidden = true;
    shown = 0;
    params.delete('offset');
    lastSearch = params;
    showFacets(params, res.facets);
    // Latin letters that found nothing as typed were searched as the Chinese they spell in pinyin.
    const spelled = $('spelled');
    spelled.hidden = !res.spelledAs;
    spelled.replaceChildren(...(res.spelledAs ? ['搜索的是 showing results for ', text(res.spelledAs), ' (', text(q), ' in pinyin)'] : []));
    // A completion that reads like the search (a homophone picked by mistake): offered, not imposed.
    const meant = $('meant');
    meant.hidden = !res.didYouMean;
    if (res.didYouMean) {
      const link = el('button', { type: 'button', className: 'link' }, text(res.didYouMean));
      link.addEventListener('click', () => { $('q').value = res.didYouMean; search(); });
      meant.replaceChildren('您是不是要找 did you mean ', link, '?');
    } else meant.replaceChildren();
  }
  const results = res.results.slice(0, k);
  for (const item of results) list.append(resultItem(item));
  shown += results.length;
  $('took').textContent = `${shown} in ${res.tookMs.toFixed(1)} ms`;
  // Another page exists while this one was full and the re-ranked candidates go on (sorted: when the extra one came).
  $('more').hidden = !(peek ? res.results.length > k : results.length === k && shown < res.window);
  const filtered = FILTERS.some(kind => lastSearch.has(kind));
  const note = filtered ? ' with these filters: remove one (×) to see more' : '';
  status(shown ? `generation ${res.generation}` : `no results for "${q}"${note}`);
  // The status line is small and grey: an empty search also says so where the results would be.
  $('empty').hidden = shown > 0;
  $('empty').replaceChildren(...(shown ? [] : ['no results for "', text(q), `"${note}`]));
}

// An empty results area: no list, notes, timing, "more" or chips.
function clearResults() {
  $('results').replaceChildren();
  $('empty').hidden = true;
  $('empty').replaceChildren();
  $('spelled').hidden = true;
  $('meant').hidden = true;
  $('took').textContent = '';
  $('more').hidden = true;
  $('facets').replaceChildren();
  $('facets').hidden = true;
}

// Chips under the search bar: per facet, the active filter (a click removes it) or the values of the re-ranked
// candidates with their counts (a click filters by one). With facets null (a failed search) only active filters show.
// The price row: the active range as a chip that removes it, or two boxes (the results' own range as placeholders)
// and a button that filters by what they hold. Null when there is neither a range nor an active filter.
function priceRow(params, range, apply) {
  const min = params.get('priceMin') ?? '', max = params.get('priceMax') ?? '';
  const label = el('span', { className: 'facet-name', textContent: '价格 price' });
  if (min || max) {
    const chip = el('button', { type: 'button', className: 'chip active', title: 'remove this filter' },
      text(`¥${min || '0'} – ${max ? '¥' + max : '…'}`), el('span', { className: 'remove', textContent: ' ×' }));
    chip.setAttribute('aria-pressed', 'true');
    chip.dataset.kind = 'price';
    chip.addEventListener('click', () => apply('', ''));
    return el('div', { className: 'facet' }, label, chip);
  }
  if (!range) return null;
  const box = (id, placeholder, name) => el('input', { id, type: 'number', min: '0', step: 'any', inputMode: 'decimal', className: 'price', placeholder, ariaLabel: name });
  const lo = box('price-min', range.min.toFixed(0), 'lowest price');
  const hi = box('price-max', range.max.toFixed(0), 'highest price');
  const go = el('button', { type: 'button', className: 'apply', id: 'price-apply', textContent: '确定 apply' });
  const submit = () => {
    const a = lo.value.trim(), b = hi.value.trim();
    if (!a && !b) return;
    if ((a && !(Number(a) >= 0)) || (b && !(Number(b) >= 0)) || (a && b && Number(a) > Number(b))) { status('price: give a lowest and a highest price, 0 or more, the lowest not above the highest'); return; }
    apply(a, b);
  };
  go.addEventListener('click', submit);
  for (const b of [lo, hi]) b.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); submit(); } });
  return el('div', { className: 'facet' }, label, '¥', lo, '–', '¥', hi, go);
}

function showFacets(params, facets) {
  const q = params.get('q');
  const again = (kind, value) => {
    filters = { ...filters, [kind]: value };
    filtersQuery = q;
    $('q').value = q;
    search();
  };
  const rows = [];
  for (const [kind, label] of FACETS) {
    const chips = [];
    const active = params.get(kind);
    if (active) {
      const chip = el('button', { type: 'button', className: 'chip active', title: 'remove this filter' }, text(active), el('span', { className: 'remove', textContent: ' ×' }));
      chip.setAttribute('aria-pressed', 'true');
      chip.dataset.kind = kind;
      chip.dataset.value = active;
      chip.addEventListener('click', () => again(kind, ''));
      chips.push(chip);
    } else {
      for (const f of (facets && facets[kind]) || []) {
        const chip = el('button', { type: 'button', className: 'chip' }, text(f.value), el('span', { className: 'count', textContent: String(f.count) }));
        chip.dataset.kind = kind;
        chip.dataset.value = f.value;
        chip.addEventListener('click', () => again(kind, f.value));
        chips.push(chip);
      }
    }
    if (chips.length) rows.push(el('div', { className: 'facet' }, el('span', { className: 'facet-name', textContent: label }), ...chips));
  }
  const price = priceRow(params, facets && facets.price, (min, max) => { filters = { ...filters, priceMin: min, priceMax: max }; filtersQuery = q; $('q').value = q; search(); });
  if (price) rows.push(price);
  $('facets').replaceChildren(...rows);
  $('facets').hidden = rows.length === 0;
}

// A title with the search's words marked (the service's highlights: offsets into the title, as JavaScript counts them).
function markedTitle(item) {
  if (!item.highlights || item.highlights.length === 0) return text(item.title);
  const b = el('bdi');
  let at = 0;
  for (const { start, length } of item.highlights) {
    if (start < at || start + length > item.title.length) return text(item.title);
    if (start > at) b.append(item.title.slice(at, start));
    b.append(el('mark', { textContent: item.title.slice(start, start + length) }));
    at = start + length;
  }
  if (at < item.title.length) b.append(item.title.slice(at));
  return b;
}

function resultItem(item) {
  const title = el('button', { type: 'button', className: 'title' }, markedTitle(item));
  title.dataset.id = item.id;
  title.addEventListener('click', () => openItem(item));
  // Named with the title (the visible words first), so a screen reader's list of buttons tells the ten apart.
  const buy = el('button', { type: 'button', className: 'buy', textContent: '购买 buy' });
  buy.setAttribute('aria-label', `购买 buy ${item.title}`);
  buy.addEventListener('click', async () => {
    if (currentUser() === '') { status('pick a user (用户) to buy as: anonymous visits send no events'); return; }
    if (await sendEvent(item.id, 'buy')) {
      await search();
      await loadRecs();
      status(`purchase of ${item.id} sent as user ${currentUser()}; results updated`);
    }
  });
  const m = meta(item);
  m.append(buy);
  const li = el('li', {}, title, m);
  if (item.explain) {
    const num = (x, d) => (typeof x === 'number' ? x.toFixed(d) : x == null ? 'unknown' : String(x));
    li.append(el('div', { className: 'explain-list', textContent: item.explain.map(f => `${f.feature}=${num(f.value, 2)} (${f.contribution >= 0 ? '+' : ''}${num(f.contribution, 3)})`).join('  ') }));
  }
  return li;
}

// A card opens with a click, or with Enter or Space when it has the keyboard focus.
function card(item, onClick) {
  const c = el('div', { className: 'card', tabIndex: 0 }, el('div', {}, text(item.title)),
    el('div', { className: 'meta' }, text(item.price != null ? `¥${item.price.toFixed(2)}` : '')));
  c.setAttribute('role', 'button');
  if (item.source) c.append(el('span', { className: 'source', textContent: item.source }));
  c.dataset.id = item.id;
  c.addEventListener('click', () => onClick(item));
  c.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onClick(item); }
  });
  return c;
}

async function openItem(item) {
  const latest = similarTurn();
  if (currentUser() !== '') await sendEvent(item.id, 'pv');
  const params = new URLSearchParams({ k: '8' });
  if (currentUser() !== '') params.set('user', currentUser());
  try {
    const res = await getJson(`/items/${encodeURIComponent(item.id)}/similar?${params}`);
    if (!latest()) return;
    $('similar-title').replaceChildren(text(item.title));
    $('similar').replaceChildren(...res.results.map(s => card(s, openItem)));
    $('similar-section').hidden = false;
    // On a phone the row is below ten results: bring it to the reader.
    $('similar-section').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    status(`${res.results.length} similar items for ${item.id}`);
  } catch (e) { if (latest()) status(`similar failed: ${e.message}`); }
}

async function loadRecs() {
  const latest = recsTurn();
  const user = currentUser();
  if (user === '') { $('recs-section').hidden = true; return; }
  try {
    const res = await getJson(`/users/${encodeURIComponent(user)}/recommendations?k=8`);
    if (!latest()) return;
    $('recs').replaceChildren(...res.results.map(s => card(s, openItem)));
    $('recs-section').hidden = false;
  } catch (e) { if (latest()) status(`recommendations failed: ${e.message}`); }
}

// Completions of what the shopper types (GET /suggest), a moment after the last key; the last request wins. A failed
// one leaves the list as it was: completions are a convenience, the search still works. The page draws the list
// itself (a WAI-ARIA combobox) rather than a <datalist>: the browser filters a datalist by what was typed, and the
// service matches ignoring spaces, punctuation and traditional characters (連衣 completes to 连衣裙), so it hid those.
const suggestTurn = turns();
let suggestTimer = null;
let completions = [], active = -1;
// Escape closes the list until the next key (or ArrowDown), so focusing the box again does not reopen it.
let dismissed = false;

function showCompletions() {
  const box = $('q');
  const open = completions.length > 0 && !dismissed && document.activeElement === box && box.value.trim() !== '';
  $('completions').hidden = !open;
  box.setAttribute('aria-expanded', String(open));
  if (!open) highlight(-1);
}

function highlight(i) {
  const options = $('completions').children;
  if (active >= 0 && options[active]) options[active].setAttribute('aria-selected', 'false');
  active = i;
  if (i < 0) { $('q').removeAttribute('aria-activedescendant'); return; }
  options[i].setAttribute('aria-selected', 'true');
  $('q').setAttribute('aria-activedescendant', options[i].id);
  options[i].scrollIntoView({ block: 'nearest' });
}

function setCompletions(texts) {
  active = -1;
  $('q').removeAttribute('aria-activedescendant');
  completions = texts;
  $('completions').replaceChildren(...texts.map((t, i) => {
    const o = el('li', { id: `completion-${i}` }, text(t));
    o.setAttribute('role', 'option');
    o.setAttribute('aria-selected', 'false');
    return o;
  }));
  showCompletions();
}

// A search (or a pick) ends the completions: an answer still on its way must not open the list over the results.
function endCompletions() {
  clearTimeout(suggestTimer);
  suggestTurn();
  setCompletions([]);
}

function pick(i) {
  $('q').value = completions[i];
  search();
}

async function suggest() {
  const q = $('q').value.trim();
  const latest = suggestTurn();
  if (!q) { setCompletions([]); return; }
  try {
    const res = await getJson('/suggest?' + new URLSearchParams({ q, k: '8' }));
    if (latest()) setCompletions(res.suggestions.map(s => s.text));
  } catch { /* see above */ }
}

function completionKeys(ev) {
  // While an input method composes (pinyin), its own keys choose and commit the characters.
  if (ev.isComposing) return;
  const n = completions.length;
  const open = !$('completions').hidden;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    if (n === 0) return;
    ev.preventDefault();
    if (!open) { dismissed = false; showCompletions(); }
    // Wraps both ways; from no highlight, down starts at the first and up at the last.
    const down = ev.key === 'ArrowDown';
    highlight(active < 0 ? (down ? 0 : n - 1) : (active + (down ? 1 : n - 1)) % n);
  } else if (ev.key === 'Enter' && open && active >= 0) {
    ev.preventDefault();
    pick(active);
  } else if (ev.key === 'Escape' && open) {
    // Only closes the list: without this the search box would also clear its text.
    ev.preventDefault();
    dismissed = true;
    showCompletions();
  }
}

async function init() {
  // Listen before the first await: Enter pressed while the settings load would otherwise submit the form the
  // browser's way (a page load of /?q=…, the text lost).
  $('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
  $('more').addEventListener('click', () => search(true));
  $('q').addEventListener('input', () => {
    dismissed = false;
    highlight(-1);
    showCompletions();
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 120);
  });
  $('q').addEventListener('keydown', completionKeys);
  $('q').addEventListener('focus', showCompletions);
  $('q').addEventListener('blur', showCompletions);
  // Keeps the focus in the box on a press, so the list is still there for the click (blur would hide it first).
  $('completions').addEventListener('mousedown', (ev) => ev.preventDefault());
  $('completions').addEventListener('click', (ev) => {
    const option = ev.target.closest('[role="option"]');
    if (option) pick([...$('completions').children].indexOf(option));
  });
  $('user').addEventListener('change', () => { loadRecs(); search(); });
  $('explain').addEventListener('change', () => search());
  $('sort').addEventListener('change', () => search());
  let problem = null;
  try { config = { ...config, ...(await getJson('/page/config')) }; } catch (e) { problem = e.message; }
  $('q').maxLength = config.maxQueryLength;
  try {
    const raw = await getText('/samples');
    const s = JSON.parse(raw);
    for (const u of userIdsOf(raw).slice(0, 20)) $('user').append(el('option', { value: u, textContent: `user ${u}` }));
    const p = $('samples');
    p.append('try: ');
    for (const q of s.queries.slice(0, 8)) {
      const a = el('button', { type: 'button', className: 'sample' }, text(q));
      a.addEventListener('click', () => { $('q').value = q; search(); });
      p.append(a);
    }
  } catch (e) { problem = problem || e.message; }
  if (problem) status(`the page could not load its settings: ${problem}`);
  else if (!config.eventsKey) status('read-only page: the service has no events key, so clicks and purchases are not sent');
  // A link to /?q=…[&user=…][&sort=…][&explain=true][&category=…] (the form's own address without script, or one the page wrote)
  // opens with that search, unless a search was typed while the page loaded.
  const link = new URLSearchParams(location.search);
  openLink(link, link.has('q') && !$('q').value);
  // Back and Forward: the page shows the search its address now holds (no search: an empty page).
  window.addEventListener('popstate', () => openLink(new URLSearchParams(location.search), true));
}

// Sets the user, the order, explain, the filters and the query a link names, then searches. A user not among the samples is
// added to the picker, and the service judges the id (and the filters).
function openLink(link, searchIt) {
  const linkedUser = (link.get('user') || '').trim();
  if (linkedUser && ![...$('user').options].some(o => o.value === linkedUser)) $('user').append(el('option', { value: linkedUser, textContent: `user ${linkedUser}` }));
  if (currentUser() !== linkedUser) { $('user').value = linkedUser; loadRecs(); }
  const sort = link.get('sort') || 'relevance';
  if ([...$('sort').options].some(o => o.value === sort)) $('sort').value = sort;
  $('explain').checked = /^(true|1|yes)$/i.test(link.get('explain') || '');
  if (!searchIt) return;
  const q = (link.get('q') || '').trim().slice(0, config.maxQueryLength);
  endCompletions();
  $('q').value = q;
  if (!q) { searchTurn(); clearResults(); status(''); return; }
  filters = Object.fromEntries(FILTERS.map(kind => [kind, link.get(kind) || '']));
  filtersQuery = q;
  search();
}

init();
