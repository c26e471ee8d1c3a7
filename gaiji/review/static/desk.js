// gaiji review desk — vanilla JS, no external assets. Every text from the server is put on
// the page with textContent (never innerHTML), so nothing a user typed can become markup.
"use strict";
(function () {
  const root = document.getElementById("app");
  const CSRF = root.dataset.csrf;
  const ME = root.dataset.reviewer;
  const $ = (id) => document.getElementById(id);

  const state = {
    filter: "todo",
    order: "usage",
    items: [],          // queue rows in display order
    counts: {},
    twoPerson: true,
    current: null,      // id shown
    item: null,         // its JSON
    cards: [],          // cards displayed (candidates or search results)
    mode: "candidates",
    selected: -1,
    zoom: 8,
    cache: new Map(),   // id -> item JSON (preloaded)
    busy: false,
    touched: false,     // the reviewer chose something on this gaiji
    noMatch: false,     // the choice is 該当なし (no card): preselected from a 該当なし view
    lastDecided: null,  // gaiji of this reviewer's latest decision on this page (for undo)
    confirming: null,   // the open confirmation: {resolve}
  };

  // ---------- helpers ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function requestId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function api(path, body) {
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
      body: JSON.stringify(body),
    };
    const response = await fetch(path, { credentials: "same-origin", ...options });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      if (response.status === 401) { window.location.href = "/login"; }
      throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    }
    return data;
  }

  let toastTimer = null;
  function toast(text, isError) {
    const t = $("toast");
    t.textContent = text;
    t.className = isError ? "show error" : "show";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.className = ""; }, isError ? 6000 : 1800);
  }

  function fmt(x, digits) {
    return x === null || x === undefined ? "–" : Number(x).toFixed(digits);
  }

  function codeLine(c) {
    return [c.ucs, c.ivs].filter(Boolean).join(" ");
  }

  function radicalsText(c) {
    const rs = (c.radicals || []).map((r) => `${r[0]}+${r[1]}`).join(", ");
    const total = c.total_strokes ? ` · ${c.total_strokes}画` : "";
    return rs + total;
  }

  // ---------- confirmation (該当なし, settling) ----------
  function confirmBox(text) {
    // an in-page dialog: Enter confirms, Esc cancels; nothing else happens while it is open
    return new Promise((resolve) => {
      $("confirm-text").textContent = text;
      $("confirm-box").hidden = false;
      $("confirm-ok").focus();
      state.confirming = { resolve };
    });
  }

  function closeConfirm(answer) {
    if (!state.confirming) return;
    const { resolve } = state.confirming;
    state.confirming = null;
    $("confirm-box").hidden = true;
    resolve(answer);
  }

  // ---------- queue ----------
  async function loadQueue(opts) {
    const data = await api(`/api/queue?state=${encodeURIComponent(state.filter)}&order=${encodeURIComponent(state.order)}`);
    state.items = data.items;
    state.counts = data.counts;
    state.twoPerson = data.two_person;
    $("two-person").checked = data.two_person;
    for (const [k, v] of Object.entries(data.counts)) {
      const node = $(`count-${k}`);
      if (node) node.textContent = v;
    }
    $("count-all").textContent = data.total;
    for (const chip of document.querySelectorAll(".chip")) {
      chip.classList.toggle("active", chip.dataset.state === state.filter);
    }
    renderQueue();
    if (opts && opts.showFirst) {
      if (state.items.length) await show(state.items[0].id);
      else showEmpty();
    }
  }

  function renderQueue() {
    const list = $("queue-list");
    const rows = state.items.map((row) =>
      el("li", { class: `q ${row.state}${row.id === state.current ? " current" : ""}`, dataset: { id: row.id } },
        el("button", { type: "button", onclick: () => show(row.id) },
          el("span", { class: "qid" }, row.id),
          el("span", { class: "qtop" }, row.top || ""),
          el("span", { class: "qmeta" }, `${row.usage}× · ${fmt(row.confidence, 2)}`),
          el("span", { class: `badge ${row.state}` }, row.state + (row.mine ? " ✓me" : "")))));
    list.replaceChildren(...rows);
    scrollQueueToCurrent();
  }

  function scrollQueueToCurrent() {
    const node = document.querySelector(`#queue-list li.current`);
    if (node) node.scrollIntoView({ block: "nearest" });
  }

  function indexOfCurrent() {
    return state.items.findIndex((r) => r.id === state.current);
  }

  // ---------- one gaiji ----------
  async function fetchItem(id) {
    const data = await api(`/api/item/${encodeURIComponent(id)}`);
    state.cache.set(id, data);
    return data;
  }

  function preloadImages(item) {
    const urls = [item.image_url];
    for (const c of item.candidates) { if (c.image_url) urls.push(c.image_url, c.overlay_url); }
    for (const v of item.views) { if (v.image_url) urls.push(v.image_url, v.overlay_url); }
    for (const u of urls) { const img = new Image(); img.src = u; }
  }

  async function prefetch(id) {
    if (!id || state.cache.has(id)) return;
    try { preloadImages(await fetchItem(id)); } catch (e) { /* shown when opened */ }
  }

  async function show(id) {
    state.current = id;
    for (const li of document.querySelectorAll("#queue-list li")) {
      li.classList.toggle("current", li.dataset.id === id);
    }
    scrollQueueToCurrent();
    const cached = state.cache.get(id);
    if (cached) render(cached);
    let fresh;
    try {
      fresh = await fetchItem(id);
    } catch (e) {
      toast(e.message, true);
      return;
    }
    if (state.current !== id) return;
    if (!cached) render(fresh);
    else if (JSON.stringify(cached) !== JSON.stringify(fresh)) rerenderKeepingChoice(fresh);
    const i = indexOfCurrent();
    if (i >= 0 && i + 1 < state.items.length) prefetch(state.items[i + 1].id);
    if (i > 0) prefetch(state.items[i - 1].id);
  }

  function showEmpty() {
    state.current = null;
    state.item = null;
    $("item").classList.add("empty");
    $("f-id").textContent = "Nothing in this queue";
    $("cards").replaceChildren();
    $("views").replaceChildren();
    $("gaiji-img").removeAttribute("src");
  }

  function render(item) {
    state.item = item;
    $("item").classList.remove("empty");
    const gl = item.glyph;
    const img = $("gaiji-img");
    img.alt = `gaiji ${item.id}`;
    img.dataset.w = gl.width || "";
    img.dataset.h = gl.height || "";
    img.onload = () => { if (!img.dataset.zoomed) fitZoom(); };
    img.dataset.zoomed = "";
    img.src = item.image_url;
    if (img.complete && img.naturalWidth) fitZoom();
    $("f-id").textContent = item.id;
    $("f-code").textContent = gl.code;
    $("f-source").textContent = gl.source;
    $("f-size").textContent = gl.width && gl.height ? `${gl.width}×${gl.height} px` : "";
    $("f-reading").textContent = gl.reading;
    $("f-usage").textContent = gl.usage_count;
    $("f-note").textContent = gl.note;
    const badge = $("f-state");
    badge.textContent = item.state + (item.final ? " (final)" : "");
    badge.className = `state badge ${item.state}`;
    renderViews(item);
    // a third reviewer's choice on a disagreement settles it; a party's choice revises theirs
    $("accept-verb").textContent = settles(item) ? "Settle with" : (item.state === "decided" && !item.mine ? "Confirm" : "Accept");
    $("undo").disabled = !(item.can_undo || state.lastDecided);
    $("comment").value = "";
    state.mode = "candidates";
    setCards(candidateCards(item), "Candidates");
    preselect(item);
    state.touched = false;
  }

  function rerenderKeepingChoice(item) {
    // newer data arrived (another reviewer decided meanwhile): show it, but keep what this
    // reviewer already chose, typed or searched for
    const chosen = state.cards[state.selected];
    const touched = state.touched;
    const cls = currentClass();
    const comment = $("comment").value;
    const mode = state.mode;
    const searchCards = state.cards;
    const title = $("cards-title").textContent;
    render(item);
    if (!touched) return;
    if (mode === "search") { setCards(searchCards, title); state.mode = "search"; }
    const i = chosen ? state.cards.findIndex((c) => c.mj === chosen.mj) : -1;
    if (i >= 0) select(i);
    setClass(cls);
    $("comment").value = comment;
    state.touched = true;
  }

  function settles(item) {
    // a disagreement is settled by someone outside it (or by anyone when one person suffices)
    return item.state === "disputed" && (!item.mine || !item.two_person);
  }

  function candidateCards(item) {
    const cards = item.candidates.slice();
    for (const v of item.views) {
      if (v.mj && !cards.some((c) => c.mj === v.mj)) {
        cards.push({ mj: v.mj, char: v.char, ucs: v.ucs, ivs: v.ivs, image_url: v.image_url,
                     overlay_url: v.overlay_url, from_view: v.reviewer, known: true });
      }
    }
    return cards;
  }

  function preselect(item) {
    // a reviewer checking someone else's decision starts from that decision, whatever it is
    // (該当なし included); on a disagreement nothing is preselected: settling is a choice
    const others = item.views.filter((v) => v.reviewer !== ME);
    const mine = item.views.find((v) => v.reviewer === ME);
    const base = mine || (item.state !== "disputed" ? others[0] : null);
    if (item.state === "disputed" && !mine) {
      setClass("字形一致");
      select(-1);
    } else if (base && !base.mj) {
      setClass("字形一致");
      selectNoMatch();
    } else if (base) {
      setClass(base.identification_class);
      const i = state.cards.findIndex((c) => c.mj === base.mj);
      select(i >= 0 ? i : (state.cards.length ? 0 : -1));
    } else {
      setClass("字形一致");
      select(state.cards.length ? 0 : -1);
    }
  }

  function renderViews(item) {
    const box = $("views");
    if (!item.views.length) { box.replaceChildren(); return; }
    const title = item.state === "disputed"
      ? "Disagreement — both views" + (item.settled_by ? "" : " (settle by accepting one, or the other side agrees)")
      : "Decisions so far";
    const settling = settles(item);
    const cards = item.views.map((v) =>
      el("div", { class: `view${v.reviewer === ME ? " mine" : ""}`, dataset: { reviewer: v.reviewer } },
        el("div", { class: "who" }, v.reviewer, el("time", {}, v.at.replace("T", " ").replace("Z", " UTC"))),
        v.image_url ? el("img", { src: v.image_url, alt: v.char || v.mj, width: 64, height: 64 }) : el("div", { class: "none" }, "該当なし"),
        v.overlay_url ? el("img", { src: v.overlay_url, alt: "overlay", width: 64, height: 64, class: "ov" }) : null,
        el("div", { class: "mj" }, v.mj || "—", " ", el("span", { class: "char" }, v.char || "")),
        el("div", { class: "cls" }, v.identification_class),
        v.comment ? el("div", { class: "cmt" }, v.comment) : null,
        settling ? el("button", { type: "button", class: "settle-with", onclick: () => settleWithView(v) },
          `Settle with ${v.reviewer}'s view`) : null));
    box.replaceChildren(el("h3", { class: item.state === "disputed" ? "dispute" : "" }, title), el("div", { class: "view-row" }, ...cards));
  }

  function setCards(cards, title) {
    state.cards = cards;
    $("cards-title").textContent = title;
    const nodes = cards.map((c, i) => {
      const evidence = Object.entries(c.evidence || {}).map(([k, v]) => el("li", {}, `${k}: ${v}`));
      return el("article", { class: "card", dataset: { index: i, mj: c.mj }, onclick: () => { select(i); state.touched = true; } },
        el("div", { class: "key" }, i < 9 ? String(i + 1) : ""),
        el("div", { class: "pics" },
          c.image_url ? el("img", { src: c.image_url, alt: c.char || c.mj, width: 128, height: 128, class: "cand" })
                      : el("div", { class: "nopic" }, "no glyph"),
          c.overlay_url ? el("img", { src: c.overlay_url, alt: `overlay ${c.mj}`, width: 128, height: 128, class: "ov" }) : null),
        el("div", { class: "mj" }, c.mj, c.from_view ? ` (${c.from_view})` : ""),
        el("div", { class: "char" }, c.char || "", el("span", { class: "code" }, codeLine(c))),
        el("div", { class: "readings" }, (c.readings || []).join("・")),
        el("div", { class: "rs" }, radicalsText(c)),
        c.score !== undefined ? el("div", { class: "score" },
          `score ${fmt(c.score, 3)} · conf ${fmt(c.confidence, 3)}${c.auto_accept ? " · auto" : ""}`) : null,
        evidence.length ? el("ul", { class: "evidence" }, ...evidence) : null);
    });
    $("cards").replaceChildren(...nodes);
    select(cards.length ? 0 : -1);
  }

  function selectNoMatch() {
    select(-1);
    state.noMatch = true;
    $("accept-what").textContent = "該当なし";
    $("nomatch").classList.add("selected");
  }

  function select(i) {
    state.selected = i;
    state.noMatch = false;
    $("nomatch").classList.remove("selected");
    for (const card of document.querySelectorAll("#cards .card")) {
      card.classList.toggle("selected", Number(card.dataset.index) === i);
    }
    const c = state.cards[i];
    $("accept-what").textContent = c ? `${c.mj} ${c.char || ""}` : "";
    const node = document.querySelector(`#cards .card[data-index="${i}"]`);
    if (node) node.scrollIntoView({ block: "nearest" });
  }

  function setClass(value) {
    for (const r of document.querySelectorAll('input[name="cls"]')) r.checked = r.value === value;
  }

  function currentClass() {
    const r = document.querySelector('input[name="cls"]:checked');
    return r ? r.value : "字形一致";
  }

  // ---------- zoom ----------
  function applyZoom() {
    const img = $("gaiji-img");
    if (!img.naturalWidth) return;
    img.style.width = `${img.naturalWidth * state.zoom}px`;
    img.style.height = `${img.naturalHeight * state.zoom}px`;
    $("zoom-label").textContent = `×${state.zoom}`;
  }

  function fitZoom() {
    const img = $("gaiji-img");
    const side = Math.max(img.naturalWidth, img.naturalHeight) || 1;
    state.zoom = Math.max(1, Math.min(32, Math.floor(256 / side)));
    applyZoom();
  }

  function zoomBy(factor) {
    $("gaiji-img").dataset.zoomed = "1";
    state.zoom = Math.max(1, Math.min(32, factor === 0 ? 1 : Math.round(state.zoom * factor) || 1));
    applyZoom();
  }

  // ---------- deciding ----------
  async function send(path, body) {
    if (!state.item || state.busy) return;
    const id = state.item.id;
    state.busy = true;  // only while the request is in flight: no double submissions
    let result;
    try {
      result = await api(path, { gaiji_id: id, request_id: requestId(), ...body });
    } catch (e) {
      toast(e.message, true);
      return;
    } finally {
      state.busy = false;
    }
    if (result.event.kind !== "undo") state.lastDecided = id;
    $("undo").disabled = false;
    toast(`Saved ${id}: ${body.mj || "該当なし"} ${body.class} → ${result.item.state} (#${result.event.seq})`);
    await advance(id, result.item);
  }

  async function decide(mj, cls) {
    if (!state.item) return;
    if (!mj && !(await confirmBox(`${state.item.id}: 該当なし — no MJ character is this gaiji. Record it?`))) return;
    await send("/api/decide", { mj: mj, class: cls, comment: $("comment").value, confirm: !mj });
  }

  async function settle(basis, mj, cls) {
    const item = state.item;
    const what = `${mj || "該当なし"} ${cls}`;
    const text = basis === "third"
      ? `${item.id}: settle the disagreement with a third view, ${what}? Both views are set aside.`
      : `${item.id}: settle the disagreement with ${basis}'s view, ${what}? The other view is set aside.`;
    if (!(await confirmBox(text))) return;
    await send("/api/settle", { basis: basis, mj: mj, class: cls, comment: $("comment").value, confirm: true });
  }

  function settleWithView(v) {
    const i = state.cards.findIndex((c) => c.mj === v.mj);
    if (v.mj) select(i); else selectNoMatch();
    setClass(v.mj ? v.identification_class : "字形一致");
    settle(v.reviewer, v.mj, v.identification_class);
  }

  function settleWithChoice(mj, cls) {
    const view = state.item.views.find((v) => v.mj === mj && v.identification_class === cls);
    if (view) { settle(view.reviewer, mj, cls); return; }
    if (!$("comment").value.trim()) {
      toast("A third view needs a comment saying why (c), or settle with one of the views", true);
      $("comment").focus();
      return;
    }
    settle("third", mj, cls);
  }

  async function undo() {
    const id = state.item && state.item.can_undo ? state.item.id : state.lastDecided;
    if (!id || state.busy) { toast("Nothing of yours to undo here", true); return; }
    if (!state.item || state.item.id !== id) await show(id);
    state.busy = true;
    let result;
    try {
      result = await api("/api/undo", { gaiji_id: id, request_id: requestId() });
    } catch (e) {
      toast(e.message, true);
      return;
    } finally {
      state.busy = false;
    }
    state.lastDecided = null;
    toast(`Undone on ${id} → ${result.item.state} (#${result.event.seq})`);
    state.cache.delete(id);
    await show(id);
    loadQueue();
  }

  async function advance(id, row) {
    state.cache.delete(id);
    const i = state.items.findIndex((r) => r.id === id);
    const keep = state.filter === "all" || (state.filter === "todo" ? row.todo : row.state === state.filter);
    let nextId = null;
    if (i >= 0) {
      if (keep) { state.items[i] = row; nextId = state.items[i + 1] ? state.items[i + 1].id : null; }
      else { state.items.splice(i, 1); nextId = state.items[i] ? state.items[i].id : null; }
    }
    renderQueue();
    refreshCounts();
    if (state.current !== id) return;  // the reviewer already moved on
    if (nextId) await show(nextId);
    else { await loadQueue({ showFirst: true }); }
  }

  async function refreshCounts() {
    try {
      const data = await api("/api/counts");
      $("two-person").checked = data.two_person;
      for (const [k, v] of Object.entries(data.counts)) {
        const node = $(`count-${k}`);
        if (node) node.textContent = v;
      }
    } catch (e) { /* next refresh */ }
  }

  function accept() {
    if (!state.item) return;
    const c = state.cards[state.selected];
    const mj = state.noMatch ? null : (c ? c.mj : undefined);
    if (mj === undefined) {
      toast(settles(state.item) ? "Settle: choose one of the views, or a candidate (1–9) as a third view"
                                : "Choose a candidate first (1–9), or search (/)", true);
      return;
    }
    const cls = mj ? currentClass() : "該当なし";
    if (settles(state.item)) settleWithChoice(mj, cls);
    else decide(mj, cls);
  }

  function noMatch() {
    if (!state.item) return;
    if (settles(state.item)) { selectNoMatch(); settleWithChoice(null, "該当なし"); }
    else decide(null, "該当なし");
  }

  async function search(q) {
    if (!q.trim()) return;
    try {
      const gid = state.item ? state.item.id : "";
      const data = await api(`/api/search?q=${encodeURIComponent(q)}&gaiji_id=${encodeURIComponent(gid)}`);
      state.mode = "search";
      state.touched = true;
      setCards(data.results, data.results.length ? `Search results for “${data.query}” (Esc: back)` : `No MJ glyph for “${data.query}”`);
      $("search").blur();
    } catch (e) { toast(e.message, true); }
  }

  function move(delta) {
    const i = indexOfCurrent();
    const next = state.items[i + delta];
    if (next) show(next.id);
  }

  // ---------- wiring ----------
  document.addEventListener("keydown", (ev) => {
    if (state.confirming) {
      if (ev.key === "Escape") { ev.preventDefault(); closeConfirm(false); }
      else if (ev.key === "Enter") { ev.preventDefault(); closeConfirm(true); }
      return;
    }
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName) &&
      document.activeElement.type !== "radio" && document.activeElement.type !== "checkbox";
    if (ev.key === "Escape") {
      if (typing) document.activeElement.blur();
      else if (state.mode === "search" && state.item) { state.mode = "candidates"; setCards(candidateCards(state.item), "Candidates"); preselect(state.item); }
      return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    if (/^[1-9]$/.test(k)) { const i = Number(k) - 1; if (i < state.cards.length) { select(i); state.touched = true; } }
    else if (k === "a") accept();
    else if (k === "n") noMatch();
    else if (k === "u") undo();
    else if (k === "/") { $("search").focus(); $("search").select(); }
    else if (k === "j") move(1);
    else if (k === "k") move(-1);
    else if (k === "c") $("comment").focus();
    else if (k === "g") { setClass("字形一致"); state.touched = true; }
    else if (k === "d") { setClass("デザイン差"); state.touched = true; }
    else if (k === "s") { setClass("類似"); state.touched = true; }
    else if (k === "+" || k === "=") zoomBy(2);
    else if (k === "-") zoomBy(0.5);
    else if (k === "0") zoomBy(0);
    else return;
    ev.preventDefault();
  });

  $("comment").addEventListener("input", () => { state.touched = true; });
  for (const r of document.querySelectorAll('input[name="cls"]')) r.addEventListener("change", () => { state.touched = true; });
  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search($("search").value); });
  $("accept").addEventListener("click", accept);
  $("nomatch").addEventListener("click", noMatch);
  $("undo").addEventListener("click", undo);
  $("confirm-ok").addEventListener("click", () => closeConfirm(true));
  $("confirm-cancel").addEventListener("click", () => closeConfirm(false));
  $("zoom-in").addEventListener("click", () => zoomBy(2));
  $("zoom-out").addEventListener("click", () => zoomBy(0.5));
  $("zoom-true").addEventListener("click", () => zoomBy(0));
  $("order").addEventListener("change", (ev) => { state.order = ev.target.value; loadQueue({ showFirst: true }); });
  for (const chip of document.querySelectorAll(".chip")) {
    chip.addEventListener("click", () => { state.filter = chip.dataset.state; loadQueue({ showFirst: true }); });
  }
  $("two-person").addEventListener("change", async (ev) => {
    const on = ev.target.checked;
    if (!window.confirm(on ? "Require a second reviewer for every decision?" : "Make single decisions final without a second reviewer?")) {
      ev.target.checked = !on; return;
    }
    try { await api("/api/settings", { two_person: on }); await loadQueue(); }
    catch (e) { toast(e.message, true); ev.target.checked = !on; }
  });
  setInterval(() => { if (!state.busy) refreshCounts(); }, 15000);

  loadQueue({ showFirst: true }).catch((e) => toast(e.message, true));
})();
