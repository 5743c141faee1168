// SearchRec demo page: search, similar items, user picker, and events sent back on click and purchase.
'use strict';
const $ = (id) => document.getElementById(id);
let config = { eventsKey: null, defaultK: 10 };

async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

function status(text) { $('status').textContent = text; }
function currentUser() { return $('user').value; }

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

function meta(item) {
  const parts = [];
  if (item.brand) parts.push(item.brand);
  if (item.price != null) parts.push(`¥${item.price.toFixed(2)}`);
  if (item.category) parts.push(item.category);
  parts.push(`score ${typeof item.score === 'number' ? item.score.toFixed(3) : item.score}`);
  return parts.join(' · ');
}

async function sendEvent(itemId, behavior) {
  const user = currentUser();
  if (!config.eventsKey || user === '') return false;
  const r = await fetch('/events', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Api-Key': config.eventsKey },
    body: JSON.stringify({ user: Number(user), item: itemId, behavior }),
  });
  if (!r.ok) { const b = await r.json().catch(() => ({})); status(`event not stored: ${b.error || r.status}`); return false; }
  return true;
}

async function search() {
  const q = $('q').value.trim();
  if (!q) return;
  const params = new URLSearchParams({ q, k: String(config.defaultK) });
  if (currentUser() !== '') params.set('user', currentUser());
  if ($('explain').checked) params.set('explain', 'true');
  status('searching…');
  try {
    const res = await getJson(`/search?${params}`);
    $('took').textContent = `${res.results.length} in ${res.tookMs.toFixed(1)} ms`;
    const list = $('results');
    list.replaceChildren();
    for (const item of res.results) {
      const title = el('span', { className: 'title', textContent: item.title });
      title.dataset.id = item.id;
      title.addEventListener('click', () => openItem(item));
      const buy = el('button', { className: 'buy', textContent: '购买 buy' });
      buy.addEventListener('click', async () => {
        if (await sendEvent(item.id, 'buy')) {
          await search();
          await loadRecs();
          status(`purchase of ${item.id} sent as user ${currentUser()}; results updated`);
        }
      });
      const m = el('div', { className: 'meta', textContent: meta(item) }, buy);
      const li = el('li', {}, title, m);
      if (item.explain) {
        const num = (x, d) => (typeof x === 'number' ? x.toFixed(d) : String(x));
        li.append(el('div', { className: 'explain-list', textContent: item.explain.map(f => `${f.feature}=${num(f.value, 2)} (${f.contribution >= 0 ? '+' : ''}${num(f.contribution, 3)})`).join('  ') }));
      }
      list.append(li);
    }
    status(res.results.length ? `generation ${res.generation}` : 'no results');
  } catch (e) { status(`search failed: ${e.message}`); }
}

function card(item, onClick) {
  const c = el('div', { className: 'card' }, el('div', { textContent: item.title }),
    el('div', { className: 'meta', textContent: item.price != null ? `¥${item.price.toFixed(2)}` : '' }));
  if (item.source) c.append(el('span', { className: 'source', textContent: item.source }));
  c.dataset.id = item.id;
  c.addEventListener('click', () => onClick(item));
  return c;
}

async function openItem(item) {
  await sendEvent(item.id, 'pv');
  const params = new URLSearchParams({ k: '8' });
  if (currentUser() !== '') params.set('user', currentUser());
  try {
    const res = await getJson(`/items/${encodeURIComponent(item.id)}/similar?${params}`);
    $('similar-title').textContent = item.title;
    $('similar').replaceChildren(...res.results.map(s => card(s, openItem)));
    $('similar-section').hidden = false;
    status(`${res.results.length} similar items for ${item.id}`);
  } catch (e) { status(`similar failed: ${e.message}`); }
}

async function loadRecs() {
  const user = currentUser();
  if (user === '') { $('recs-section').hidden = true; return; }
  try {
    const res = await getJson(`/users/${user}/recommendations?k=8`);
    $('recs').replaceChildren(...res.results.map(s => card(s, openItem)));
    $('recs-section').hidden = false;
  } catch (e) { status(`recommendations failed: ${e.message}`); }
}

async function init() {
  try { config = await getJson('/page/config'); } catch { /* defaults */ }
  try {
    const s = await getJson('/samples');
    for (const u of s.userIds.slice(0, 20)) $('user').append(el('option', { value: String(u), textContent: `user ${u}` }));
    const p = $('samples');
    p.append('try: ');
    for (const q of s.queries.slice(0, 8)) {
      const a = el('a', { textContent: q });
      a.addEventListener('click', () => { $('q').value = q; search(); });
      p.append(a);
    }
  } catch (e) { status(`could not load samples: ${e.message}`); }
  if (!config.eventsKey) status('read-only page: the service has no EventsKey, so clicks are not sent');
  $('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
  $('user').addEventListener('change', () => { loadRecs(); search(); });
  $('explain').addEventListener('change', search);
}
init();
