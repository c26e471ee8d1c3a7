// gaiji review desk — vanilla JS, no external assets. Every text from the server is put on
// the page with textContent (never innerHTML), so nothing a user typed can become markup.
"use strict";
(function () {
  const root = document.getElementById("app");
  const CSRF = root.dataset.csrf;
  const ME = root.dataset.reviewer;
  const $ = (id) => document.getElementById(id);

  // ---------- language: Japanese by default, English available ----------
  const TEXT = {
    ja: {
      title: "外字レビュー", "st.todo": "要対応", "st.pending": "未判定", "st.decided": "確認待ち",
      "st.disputed": "意見相違", "st.auto-accepted": "自動採用", "st.checked": "確定", "st.all": "全件",
      twoPerson: "二人確認", admin: "管理者", signOut: "ログアウト",
      "ord.usage": "使用件数順", "ord.confidence": "確信度の低い順", "ord.set": "登録順",
      "conf.any": "確信度: すべて", "conf.low": "確信度 0.5 未満", "conf.mid": "確信度 0.5–0.9",
      "conf.high": "確信度 0.9 以上", "conf.none": "候補なし", "src.any": "出典: すべて",
      "spot.open": "自動採用を抜き取り確認", "f.code": "コード", "f.source": "出典", "f.size": "大きさ",
      "f.reading": "よみ", "f.usage": "使用件数", "f.note": "備考", "f.state": "状態",
      "f.corpus": "他団体の提案", corpusConflict: (b) => `他団体の提案が割れています（証拠のみ）: ${b}`,
      corpusProposed: (mj, ch, b) => `${mj} ${ch} を提案（証拠のみ）— ${b}`,
      "lg.both": "両方", "lg.gaiji": "外字のみ", "lg.cand": "候補のみ", cls: "同定区分",
      comment: "コメント (c)", undo: "取り消し",
      searchPh: "検索 (/) よみ・よみ+部首・MJ番号・戸籍:番号・J+XXXX・字・U+XXXX・辶+2",
      keysShort: "1–9 選択 · ←→ 移動 · a 採用 · n 該当なし · u 取消 · v 並べて比較 · / 検索 · j/k 次/前 · ? ヘルプ",
      ok: "確定する", cancel: "やめる", close: "閉じる",
      "spot.title": "自動採用の抜き取り確認", "spot.hint": "表示された外字と採用字形を見比べてください。疑わしいものはクリック（または番号キー）で外します。抽出は表示の前に記録され、閉じても同じ抽出がまた表示されます。",
      "spot.n": "件数", "spot.sample": "抽出し直す", "spot.confirm": "表示中をすべて確認",
      "help.title": "キー操作",
      candidates: "候補", shown: (n, t) => `${n} / ${t} 件`,
      accept: "採用", confirm: "確認", settleWith: "決着",
      state: { pending: "未判定", "auto-accepted": "自動採用", decided: "確認待ち", checked: "確定", disputed: "意見相違" },
      final: "（確定）", nothing: "この一覧は空です",
      views: "これまでの判定", dispute: "意見相違 — 二つの見解",
      disputeHint: "（第三者がどちらかの見解で決着、または当事者が相手に合わせる）",
      settleBtn: (who) => `${who} の見解で決着`,
      noGlyph: "字形なし", nomatchWord: "該当なし",
      saved: (id, what, st, seq) => `${id}: ${what} → ${st}（#${seq}）`,
      undone: (id, st, seq) => `${id}: 取り消しました → ${st}（#${seq}）`,
      confirmNoMatch: (id) => `${id}: 該当なし（MJに同じ字はない）として記録しますか？`,
      confirmSettleView: (id, who, what) => `${id}: ${who} の見解「${what}」で決着させますか？もう一方の見解は退けられます。`,
      confirmSettleThird: (id, what) => `${id}: 第三の見解「${what}」で決着させますか？二つの見解はどちらも退けられます。`,
      thirdNeedsReason: "第三の見解で決着させるには、理由をコメント (c) に書いてください。または一方の見解を選んでください。",
      chooseFirst: "先に候補を選んでください（1–9）。または検索（/）。",
      settleChoose: "決着: 一方の見解のボタンを押すか、候補を選んで第三の見解にしてください。",
      nothingToUndo: "ここで取り消せる自分の判定はありません",
      results: (q, total, page, pages) => `「${q}」の検索結果 ${total} 件（${page}/${pages} ページ、PageUp/PageDown で移動、Esc で候補へ）`,
      noResults: (q) => `「${q}」に当たる MJ 字形はありません`,
      matched: { mj: "MJ番号", koseki: "戸籍統一文字番号", touki: "登記統一文字番号", juki: "住基コード", reading: "", "reading+radical": "", set: "追加文字セット" },
      readAs: (note) => `（${note} として検索）`,
      readKinds: {
        "reading+radical": (r) => `よみ ${r.reading} + 部首 ${r.radical}`, reading: (r) => `よみ ${r.reading}`,
        mj: (r) => `MJ番号 ${r.number}`, koseki: (r) => `戸籍統一文字番号 ${r.number}`,
        juki: (r) => `住基ネット統一文字コード ${r.number}`,
        "mj-or-koseki": (r) => `MJ${r.number} と 戸籍統一文字番号 ${r.number} の両方`,
      },
      variantQ: (ch, p) => `文字は「${ch}」でほぼ確実です（${p}）。どの字形ですか？ 字形だけを並べています（Esc で全候補）。`,
      variantTitle: (ch) => `「${ch}」の字形`,
      noMatchQ: (p) => `照合の判断: MJ に同じ字がない可能性 ${p}。確かめて該当なしなら n。`,
      editedAs: (ch, mj, how) => `${({ mirrored: "左右反転", "turned upside down": "上下逆さ（180°回転）", "flipped upside down": "上下反転" })[how] || how}すると ${ch}（${mj}）に見えます。外字作成時の操作ミスかもしれません。`,
      lookalike: (ch, mj) => `注意: MJ には 1位とほとんど同じ形の別の字 ${ch}（${mj}）があります。違いの細部を確かめてください。`,
      pinned: "比較用に固定", pinHint: "v で固定",
      conf: (p) => `確信度 ${p}`, readingMatched: (r) => `よみ「${r}」が一致`, score: (x) => `総合点 ${x}`, auto: "自動採用",
      ev: {
        image_score: (v) => v >= 0.9 ? "形がよく一致" : v >= 0.75 ? "形がおおむね一致" : "形の一致は弱い",
        image_similarity: (v) => v >= 0.9 ? "形がよく一致" : v >= 0.75 ? "形がおおむね一致" : "形の一致は弱い",
        rerank_score: (v) => v >= 0.9 ? "細部まで一致" : v >= 0.7 ? "細部は一部違う" : "細部に違いが多い",
        reading_score: (v) => v >= 0.99 ? "よみが一致" : v > 0 ? "よみが一部一致" : "よみは不一致",
        reading_match: (v) => v >= 1 ? "よみが一致" : "よみは不一致",
        radical_strokes_score: (v) => v >= 0.99 ? "部首・画数が一致" : v >= 0.5 ? "部首・画数が近い" : "部首・画数が違う",
        gap: (v) => v >= 0.1 ? "2位以下との差が大きい" : v >= 0 ? "2位以下と僅差" : "上位の候補より低い",
      },
      spotRemaining: (n) => `未確認の自動採用 ${n} 件`, spotDone: (n, d) => `${n} 件を確認しました` + (d ? `。外した ${d} 件は個別に見てください` : ""),
      spotNone: "抜き取る自動採用はもうありません",
      spotRedraw: (n) => `表示中の ${n} 件は抽出済みとして記録されています。確認せずに抽出し直すと、この ${n} 件は監査で未決として数えられ、個別に判断されるまで残ります。抽出し直しますか？`,
      spotAudit: (a) => !a.sampled && a.verdict !== "broken" ? "無作為の抜き取り確認はまだ記録されていません。抜き取るたびに、この外字群での自動採用の正しさが測られます。" :
        `これまでの無作為抜き取り ${a.sampled} 件：正しい ${a.right}・誤り ${a.wrong}・未決 ${a.open}。` +
        (a.wrong_outside_samples ? `抜き取り以外で誤りと判った自動採用 ${a.wrong_outside_samples} 件も数に入れて、` : "") +
        `正解率は 95 % の確からしさで ${pctFine(a.precision_lower95)} 以上。` +
        (a.verdict === "kept" ? `較正の約束（誤り ${pctFine(a.promise_max_error)} 以下）はこの外字群でも守られています。` :
         a.verdict === "broken" ? `較正の約束（誤り ${pctFine(a.promise_max_error)} 以下）より誤りが多いため、自動採用をすべて確認してください。` :
         a.more_needed ? `あと ${a.more_needed} 件が誤りなしなら、較正の約束（誤り ${pctFine(a.promise_max_error)} 以下）がこの外字群で示せます。` : ""),
      confirmSpot: (n) => `表示中の ${n} 件の自動採用を、あなたの確認として記録しますか？`,
      ruleOn: "これ以降の判定は、別の担当者の確認で確定するようにしますか？",
      ruleOff: "これ以降の判定を、一人の判定で確定するようにしますか？（それまでの判定は、判定時の規則のままです）",
    },
    en: {
      title: "Gaiji review", "st.todo": "To do", "st.pending": "Pending", "st.decided": "Awaiting check",
      "st.disputed": "Disagreements", "st.auto-accepted": "Auto-accepted", "st.checked": "Checked", "st.all": "All",
      twoPerson: "two-person rule", admin: "admin", signOut: "Sign out",
      "ord.usage": "usage count (most first)", "ord.confidence": "confidence (lowest first)", "ord.set": "set order",
      "conf.any": "confidence: any", "conf.low": "confidence < 0.5", "conf.mid": "confidence 0.5–0.9",
      "conf.high": "confidence ≥ 0.9", "conf.none": "no candidates", "src.any": "source: any",
      "spot.open": "Spot-check auto-accepted", "f.code": "Code", "f.source": "Source", "f.size": "Size",
      "f.reading": "Reading", "f.usage": "Usage", "f.note": "Note", "f.state": "State",
      "f.corpus": "Other municipalities", corpusConflict: (b) => `conflict (evidence only): ${b}`,
      corpusProposed: (mj, ch, b) => `proposed ${mj} ${ch} (evidence only) — ${b}`,
      "lg.both": "both", "lg.gaiji": "only in the gaiji", "lg.cand": "only in the candidate", cls: "class",
      comment: "Comment (c)", undo: "Undo",
      searchPh: "search (/): reading, reading + radical, MJ number, koseki:number, J+XXXX, character, U+XXXX, 辶+2",
      keysShort: "1–9 choose · ←→ move · a accept · n 該当なし · u undo · v side by side · / search · j/k next/prev · ? help",
      ok: "Confirm", cancel: "Cancel", close: "Close",
      "spot.title": "Spot-check of auto-accepted gaiji", "spot.hint": "Compare each gaiji with the glyph accepted for it. Click (or press its number) to leave out any you doubt. The sample is recorded before it is shown; closing the box brings the same sample back next time.",
      "spot.n": "how many", "spot.sample": "Sample again", "spot.confirm": "Confirm all shown",
      "help.title": "Keys",
      candidates: "Candidates", shown: (n, t) => `${n} of ${t}`,
      accept: "Accept", confirm: "Confirm", settleWith: "Settle with",
      state: { pending: "pending", "auto-accepted": "auto-accepted", decided: "awaiting check", checked: "checked", disputed: "disagreement" },
      final: " (final)", nothing: "Nothing in this queue",
      views: "Decisions so far", dispute: "Disagreement — both views",
      disputeHint: " (a third reviewer settles it with one view, or one side agrees)",
      settleBtn: (who) => `Settle with ${who}'s view`,
      noGlyph: "no glyph", nomatchWord: "no match (該当なし)",
      saved: (id, what, st, seq) => `Saved ${id}: ${what} → ${st} (#${seq})`,
      undone: (id, st, seq) => `Undone on ${id} → ${st} (#${seq})`,
      confirmNoMatch: (id) => `${id}: record 該当なし — no MJ character is this gaiji?`,
      confirmSettleView: (id, who, what) => `${id}: settle the disagreement with ${who}'s view, ${what}? The other view is set aside.`,
      confirmSettleThird: (id, what) => `${id}: settle with a third view, ${what}? Both views are set aside.`,
      thirdNeedsReason: "A third view needs a comment saying why (c), or settle with one of the views",
      chooseFirst: "Choose a candidate first (1–9), or search (/)",
      settleChoose: "Settle: press one view's button, or choose a candidate as a third view",
      nothingToUndo: "Nothing of yours to undo here",
      results: (q, total, page, pages) => `Search results for “${q}”: ${total} (page ${page}/${pages}, PageUp/PageDown, Esc: back)`,
      noResults: (q) => `No MJ glyph for “${q}”`,
      matched: { mj: "MJ number", koseki: "koseki number", touki: "touki number", juki: "juki code", reading: "", "reading+radical": "", set: "added set" },
      readAs: (note) => ` (read as ${note})`,
      readKinds: {
        "reading+radical": (r) => `reading ${r.reading} + radical ${r.radical}`, reading: (r) => `reading ${r.reading}`,
        mj: (r) => `MJ number ${r.number}`, koseki: (r) => `koseki number ${r.number}`,
        juki: (r) => `juki code ${r.number}`,
        "mj-or-koseki": (r) => `both MJ${r.number} and koseki number ${r.number}`,
      },
      variantQ: (ch, p) => `The character is almost surely ${ch} (${p}); which variant? Only its variants are shown (Esc: all candidates).`,
      variantTitle: (ch) => `Variants of ${ch}`,
      noMatchQ: (p) => `The matcher thinks no MJ glyph is this character (${p}). If so, press n.`,
      editedAs: (ch, mj, how) => `It looks like ${ch} (${mj}) ${how}: a slip in the gaiji editor?`,
      lookalike: (ch, mj) => `Note: MJ also has ${ch} (${mj}), another character drawn almost like rank 1. Check the detail that tells them apart.`,
      pinned: "pinned for comparison", pinHint: "v pins",
      conf: (p) => `confidence ${p}`, readingMatched: (r) => `reading ${r} matches`, score: (x) => `score ${x}`, auto: "auto-accepted",
      ev: {
        image_score: (v) => v >= 0.9 ? "shape matches closely" : v >= 0.75 ? "shape mostly matches" : "shape matches weakly",
        image_similarity: (v) => v >= 0.9 ? "shape matches closely" : v >= 0.75 ? "shape mostly matches" : "shape matches weakly",
        rerank_score: (v) => v >= 0.9 ? "details match" : v >= 0.7 ? "some details differ" : "many details differ",
        reading_score: (v) => v >= 0.99 ? "reading matches" : v > 0 ? "reading partly matches" : "reading differs",
        reading_match: (v) => v >= 1 ? "reading matches" : "reading differs",
        radical_strokes_score: (v) => v >= 0.99 ? "radical and strokes match" : v >= 0.5 ? "radical and strokes close" : "radical and strokes differ",
        gap: (v) => v >= 0.1 ? "well ahead of the next candidate" : v >= 0 ? "close to the next candidate" : "behind a better candidate",
      },
      spotRemaining: (n) => `${n} auto-accepted not yet checked by you`, spotDone: (n, d) => `Confirmed ${n}` + (d ? `; look at the ${d} left out one by one` : ""),
      spotNone: "No auto-accepted gaiji left to spot-check",
      spotRedraw: (n) => `The ${n} shown are on record as drawn. Drawing again without closing them leaves these ${n} open in the audit until each is decided alone. Draw again?`,
      spotAudit: (a) => !a.sampled && a.verdict !== "broken" ? "No random spot-check recorded yet: each one measures how often auto-accepts are right on this set." :
        `Random spot-checks so far: ${a.sampled} shown — ${a.right} right, ${a.wrong} wrong, ${a.open} open; ` +
        (a.wrong_outside_samples ? `with the ${a.wrong_outside_samples} auto-accepts found wrong outside them, ` : "") +
        `precision at least ${pctFine(a.precision_lower95)} (95 %). ` +
        (a.verdict === "kept" ? `Calibration's promise (at most ${pctFine(a.promise_max_error)} wrong) holds on this set.` :
         a.verdict === "broken" ? `More are wrong than calibration promised (at most ${pctFine(a.promise_max_error)}): review every auto-accept.` :
         a.more_needed ? `${a.more_needed} more, all right, would show calibration's promise (at most ${pctFine(a.promise_max_error)} wrong) on this set.` : ""),
      confirmSpot: (n) => `Record your check of the ${n} auto-accepted gaiji shown?`,
      ruleOn: "Require a second reviewer for every decision from now on?",
      ruleOff: "Make single decisions final without a second reviewer, from now on? (Earlier decisions keep the rule they were made under.)",
    },
  };
  const params = new URLSearchParams(window.location.search);
  let LANG = params.get("lang") || localStorage.getItem("gaiji-lang") || "ja";
  if (!TEXT[LANG]) LANG = "ja";
  const T = () => TEXT[LANG];

  function applyLanguage() {
    document.documentElement.lang = LANG;
    for (const node of document.querySelectorAll("[data-i18n]")) {
      const v = T()[node.dataset.i18n];
      if (typeof v === "string") node.textContent = v;
    }
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = T()[node.dataset.i18nPlaceholder];
    }
    $("lang").textContent = LANG === "ja" ? "English" : "日本語";
  }

  const state = {
    filter: "todo", order: "usage", confidence: "", source: "",
    items: [], counts: {}, twoPerson: true,
    current: null, item: null,
    cards: [], mode: "candidates", selected: -1,
    search: null,        // {q, page, pages, total}
    pinned: null,        // card pinned for side-by-side comparison
    ovSize: 256,         // overlay resolution shown in the compare panel
    zoom: 8, cache: new Map(), busy: false, touched: false,
    noMatch: false, lastDecided: null, confirming: null,
    spot: [], spotSample: null, spotDoubt: new Set(),
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

  const fmt = (x, d) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));
  const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(Number(x) * 100)}%`);
  const pctFine = (x) => (x === null || x === undefined ? "–" : `${+(Number(x) * 100).toFixed(1)}%`);
  const codeLine = (c) => [c.ucs, c.ivs].filter(Boolean).join(" ");
  const stateWord = (s) => T().state[s] || s;
  const choiceWord = (mj, cls) => `${mj || T().nomatchWord}${mj ? " " + cls : ""}`;
  // a choice is an MJ entry or an added reference set's entry (SET:ID); null is 該当なし
  const inSet = (c) => !!(c && c.ref_set && c.ref_set !== "MJ");
  const keyOf = (c) => (inSet(c) ? `${c.ref_set}:${c.ref_id}` : (c && c.mj) || null);
  const labelOf = (c) => (inSet(c) ? `${c.ref_set} ${c.ref_id}` : (c && c.mj) || "");
  const choiceOf = (c) => (!keyOf(c) ? null : inSet(c) ? { ref_set: c.ref_set, ref_id: c.ref_id } : { mj: c.mj });

  function radicalsText(c) {
    const rs = (c.radicals || []).map((r) => `${r[0]}+${r[1]}`).join(", ");
    return rs + (c.total_strokes ? ` · ${c.total_strokes}画` : "");
  }

  function evidenceWords(c) {
    // evidence in words a reviewer understands; raw column names never reach the page
    const ev = c.evidence || {};
    const words = [];
    for (const [k, raw] of Object.entries(ev)) {
      if (k === "reading_matched") { if (raw) words.push(T().readingMatched(raw)); continue; }
      if (k === "reading_score" && ev.reading_matched) continue;  // said by reading_matched
      const f = T().ev[k];
      const v = Number(raw);
      if (f && !Number.isNaN(v)) words.push(f(v));
    }
    return words;
  }

  // ---------- confirmation dialog (該当なし, settling, batch) ----------
  function confirmBox(text) {
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
  function queueUrl() {
    const q = new URLSearchParams({ state: state.filter, order: state.order });
    if (state.confidence) q.set("confidence", state.confidence);
    if (state.source) q.set("source", state.source);
    return `/api/queue?${q}`;
  }

  async function loadQueue(opts) {
    const data = await api(queueUrl());
    state.items = data.items;
    state.counts = data.counts;
    state.twoPerson = data.two_person;
    $("two-person").checked = data.two_person;
    setCounts(data.counts, data.total);
    const select = $("filter-source");
    if (select.options.length === 1 && data.sources.length > 1) {
      for (const s of data.sources) select.append(el("option", { value: s }, s));
    }
    $("queue-shown").textContent = T().shown(data.shown, data.total);
    for (const chip of document.querySelectorAll(".chip")) {
      chip.classList.toggle("active", chip.dataset.state === state.filter);
    }
    renderQueue();
    if (opts && opts.showFirst) {
      if (state.items.length) await show(state.items[0].id);
      else showEmpty();
    }
  }

  function setCounts(counts, total) {
    for (const [k, v] of Object.entries(counts)) {
      const node = $(`count-${k}`);
      if (node) node.textContent = v;
    }
    if (total !== undefined) $("count-all").textContent = total;
  }

  function renderQueue() {
    const rows = state.items.map((row) =>
      el("li", { class: `q ${row.state}${row.id === state.current ? " current" : ""}`, dataset: { id: row.id } },
        el("button", { type: "button", onclick: () => show(row.id) },
          el("span", { class: "qid" }, row.id),
          el("span", { class: "qtop" }, row.top || ""),
          el("span", { class: "qmeta" }, `${row.usage}× · ${fmt(row.confidence, 2)}`),
          el("span", { class: `badge ${row.state}` }, stateWord(row.state) + (row.mine ? " ✓" : "")))));
    $("queue-list").replaceChildren(...rows);
    const node = document.querySelector("#queue-list li.current");
    if (node) node.scrollIntoView({ block: "nearest" });
  }

  const indexOfCurrent = () => state.items.findIndex((r) => r.id === state.current);

  // ---------- one gaiji ----------
  async function fetchItem(id) {
    const data = await api(`/api/item/${encodeURIComponent(id)}`);
    state.cache.set(id, data);
    return data;
  }

  function preloadImages(item) {
    const urls = [item.image_url];
    for (const c of item.candidates) { if (c.image_url) urls.push(c.image_url, c.overlay_url); }
    if (item.candidates[0] && item.candidates[0].overlay_url) urls.push(`${item.candidates[0].overlay_url}?px=${state.ovSize}`);
    for (const v of item.views) { if (v.image_url) urls.push(v.image_url, v.overlay_url); }
    for (const u of urls) { const img = new Image(); img.src = u; }
  }

  async function prefetch(id) {
    if (!id || state.cache.has(id)) return;
    try { preloadImages(await fetchItem(id)); } catch (e) { /* shown when opened */ }
  }

  async function show(id) {
    state.current = id;
    for (const li of document.querySelectorAll("#queue-list li")) li.classList.toggle("current", li.dataset.id === id);
    const cached = state.cache.get(id);
    if (cached) render(cached);
    let fresh;
    try { fresh = await fetchItem(id); } catch (e) { toast(e.message, true); return; }
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
    $("f-id").textContent = T().nothing;
    $("cards").replaceChildren();
    $("views").replaceChildren();
    $("compare").replaceChildren();
    $("banner").hidden = true;
    $("gaiji-img").removeAttribute("src");
  }

  function settles(item) {
    // a disagreement is settled by someone outside it (or by anyone when one person suffices)
    return item.state === "disputed" && (!item.mine || !item.two_person);
  }

  function render(item) {
    state.item = item;
    $("item").classList.remove("empty");
    const gl = item.glyph;
    const img = $("gaiji-img");
    img.alt = `gaiji ${item.id}`;
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
    // a proposal from other municipalities (gaiji corpus propose): evidence, not a decision
    const corpus = item.corpus;
    $("f-corpus").textContent = !corpus ? "" : corpus.kind === "conflict"
      ? T().corpusConflict(corpus.basis) : T().corpusProposed(corpus.decision || corpus.mj, corpus.char, corpus.basis);
    const badge = $("f-state");
    badge.textContent = stateWord(item.state) + (item.final ? T().final : "");
    badge.className = `state badge ${item.state}`;
    renderViews(item);
    $("accept-verb").textContent = settles(item) ? T().settleWith
      : (item.state === "decided" && !item.mine ? T().confirm : T().accept);
    $("undo").disabled = !(item.can_undo || state.lastDecided);
    $("comment").value = "";
    state.pinned = null;
    state.search = null;
    renderBanner(item);
    if (item.variant_question && !item.views.length) {
      showVariants(item);
    } else {
      state.mode = "candidates";
      setCards(candidateCards(item), T().candidates);
      preselect(item);
    }
    state.touched = false;
  }

  function renderBanner(item) {
    const box = $("banner");
    if (item.variant_question) {
      const vq = item.variant_question;
      box.textContent = T().variantQ(vq.char, pct(vq.ucs_confidence));
      box.className = "banner variant";
      box.hidden = false;
    } else if (item.suggest_no_match) {
      const e = item.edited;
      box.textContent = T().noMatchQ(pct(item.no_match)) + (e ? " " + T().editedAs(e.char, e.mj, e.how) : "");
      box.className = "banner nomatch";
      box.hidden = false;
    } else if (item.lookalike) {
      box.textContent = T().lookalike(item.lookalike.char, item.lookalike.mj);
      box.className = "banner";
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  function showVariants(item) {
    const vq = item.variant_question;
    state.mode = "variants";
    setCards(vq.siblings, T().variantTitle(vq.char));
    const i = state.cards.findIndex((c) => item.candidates[0] && c.mj === item.candidates[0].mj);
    select(i >= 0 ? i : 0);
    setClass("字形一致");
  }

  function rerenderKeepingChoice(item) {
    // newer data arrived (another reviewer decided meanwhile): show it, but keep what this
    // reviewer already chose, typed or searched for
    const chosen = state.cards[state.selected];
    const { touched, mode, search, noMatch } = state;
    const cls = currentClass();
    const comment = $("comment").value;
    const cards = state.cards;
    const title = $("cards-title").textContent;
    render(item);
    if (!touched) return;
    if (mode !== "candidates") { setCards(cards, title); state.mode = mode; state.search = search; }
    const i = chosen ? state.cards.findIndex((c) => keyOf(c) === keyOf(chosen)) : -1;
    if (noMatch) selectNoMatch(); else if (i >= 0) select(i);
    setClass(cls);
    $("comment").value = comment;
    state.touched = true;
  }

  function candidateCards(item) {
    const cards = item.candidates.slice();
    for (const v of item.views) {
      if (keyOf(v) && !cards.some((c) => keyOf(c) === keyOf(v))) {
        cards.push({ mj: v.mj, ref_set: v.ref_set, ref_id: v.ref_id, font_name: v.font_name,
                     char: v.char, ucs: v.ucs, ivs: v.ivs, image_url: v.image_url,
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
    } else if (base && !keyOf(base)) {
      setClass("字形一致");
      selectNoMatch();
    } else if (base) {
      setClass(base.identification_class);
      const i = state.cards.findIndex((c) => keyOf(c) === keyOf(base));
      select(i >= 0 ? i : (state.cards.length ? 0 : -1));
    } else {
      setClass("字形一致");
      select(state.cards.length ? 0 : -1);
    }
  }

  function renderViews(item) {
    const box = $("views");
    if (!item.views.length) { box.replaceChildren(); return; }
    const disputed = item.state === "disputed";
    const title = disputed ? T().dispute + (item.settled_by ? "" : T().disputeHint) : T().views;
    const settling = settles(item);
    const cards = item.views.map((v) =>
      el("div", { class: `view${v.reviewer === ME ? " mine" : ""}`, dataset: { reviewer: v.reviewer } },
        el("div", { class: "who" }, v.reviewer, el("time", {}, v.at.replace("T", " ").replace("Z", " UTC"))),
        v.image_url ? el("img", { src: v.image_url, alt: v.char || labelOf(v), width: 48, height: 48 })
                    : el("div", { class: "none" }, "該当なし"),
        v.overlay_url ? el("img", { src: v.overlay_url, alt: "overlay", width: 48, height: 48, class: "ov" }) : null,
        el("div", { class: "mj" }, labelOf(v) || "—", " ", el("span", { class: "char" }, v.char || "")),
        el("div", { class: "cls" }, v.identification_class),
        v.comment ? el("div", { class: "cmt" }, v.comment) : null,
        settling ? el("button", { type: "button", class: "settle-with", onclick: () => settleWithView(v) },
          T().settleBtn(v.reviewer)) : null));
    box.replaceChildren(el("h3", { class: disputed ? "dispute" : "" }, title), el("div", { class: "view-row" }, ...cards));
  }

  function setCards(cards, title) {
    state.cards = cards;
    $("cards-title").textContent = title;
    $("page-info").textContent = "";
    const nodes = cards.map((c, i) => {
      const words = evidenceWords(c);
      const matched = c.matched_as ? T().matched[c.matched_as] : "";
      return el("article", { class: `card${inSet(c) ? " in-set" : ""}`, dataset: { index: i, mj: keyOf(c) },
                             onclick: () => { select(i); state.touched = true; } },
        el("div", { class: "key" }, i < 9 ? String(i + 1) : ""),
        el("div", { class: "pics" },
          c.image_url ? el("img", { src: c.image_url, alt: c.char || labelOf(c), width: 64, height: 64, class: "cand" })
                      : el("div", { class: "nopic" }, T().noGlyph),
          c.overlay_url ? el("img", { src: c.overlay_url, alt: `overlay ${labelOf(c)}`, width: 64, height: 64, class: "ov" }) : null),
        el("div", { class: "mj" }, labelOf(c), c.from_view ? ` (${c.from_view})` : "",
          c.font_name ? el("span", { class: "font", title: "font" }, ` ${c.font_name}`) : null,
          matched ? el("span", { class: "matched" }, matched) : null),
        el("div", {}, el("span", { class: "char" }, c.char || ""), el("span", { class: "code" }, codeLine(c))),
        el("div", { class: "readings" }, (c.readings || []).join("・")),
        el("div", { class: "rs" }, radicalsText(c), c.koseki ? ` · 戸籍 ${c.koseki}` : "", c.juki ? ` · ${c.juki}` : ""),
        c.confidence !== undefined && c.confidence !== null ? el("div", { class: "words",
          title: [T().conf(pct(c.confidence)), ...words].join(" · ") },
          [T().conf(pct(c.confidence)), ...words].join(" · ") + (c.auto_accept ? ` · ${T().auto}` : "")) : null);
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
      card.classList.toggle("pinned", !!state.pinned && card.dataset.mj === keyOf(state.pinned));
    }
    const c = state.cards[i];
    $("accept-what").textContent = c ? `${labelOf(c)} ${c.char || ""}` : "";
    const node = document.querySelector(`#cards .card[data-index="${i}"]`);
    if (node) node.scrollIntoView({ block: "nearest" });
    renderCompare();
  }

  // ---------- the large, aligned overlay; two candidates side by side ----------
  function compareBox(c, label, pinned) {
    const size = state.ovSize;
    const shown = 184;
    const scale = size >= 512 ? 2 : 1;  // zoomed in: twice the frame, scroll to look around
    return el("div", { class: `compare-one${pinned ? " pinned" : ""}`, dataset: { mj: keyOf(c) } },
      el("div", { class: "frame" },
        c.overlay_url ? el("img", { src: `${c.overlay_url}?px=${size}`, alt: `overlay ${labelOf(c)}`,
                                    width: shown * scale, height: shown * scale, class: "ov-large" })
                      : el("div", { class: "nopic" }, T().noGlyph)),
      el("div", { class: "cap" }, `${label}${labelOf(c)} ${c.char || ""}`));
  }

  function renderCompare() {
    const box = $("compare");
    const c = state.cards[state.selected];
    const parts = [];
    if (c) parts.push(compareBox(c, "", false));
    if (state.pinned && (!c || keyOf(state.pinned) !== keyOf(c))) parts.push(compareBox(state.pinned, "📌 ", true));
    box.replaceChildren(...parts);
  }

  function togglePin() {
    const c = state.cards[state.selected];
    state.pinned = !c || (state.pinned && keyOf(state.pinned) === keyOf(c)) ? null : c;
    select(state.selected);
  }

  function zoomOverlay(up) {
    const steps = [128, 256, 512];
    const i = steps.indexOf(state.ovSize);
    state.ovSize = steps[Math.max(0, Math.min(steps.length - 1, i + (up ? 1 : -1)))];
    renderCompare();
  }

  function setClass(value) {
    for (const r of document.querySelectorAll('input[name="cls"]')) r.checked = r.value === value;
  }

  function currentClass() {
    const r = document.querySelector('input[name="cls"]:checked');
    return r ? r.value : "字形一致";
  }

  // ---------- zoom of the gaiji ----------
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
    state.zoom = Math.max(1, Math.min(32, Math.floor(176 / side)));
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
    state.lastDecided = id;
    $("undo").disabled = false;
    toast(T().saved(id, choiceWord(labelOf(body), body.class), stateWord(result.item.state), result.event.seq));
    await advance(id, result.item);
  }

  // choice: { mj } or { ref_set, ref_id } (an added set's entry), null for 該当なし
  async function decide(choice, cls) {
    if (!state.item) return;
    if (!choice && !(await confirmBox(T().confirmNoMatch(state.item.id)))) return;
    await send("/api/decide", { mj: null, ...(choice || {}), class: cls, comment: $("comment").value, confirm: !choice });
  }

  async function settle(basis, choice, cls) {
    const item = state.item;
    const what = choiceWord(labelOf(choice), cls);
    const text = basis === "third" ? T().confirmSettleThird(item.id, what) : T().confirmSettleView(item.id, basis, what);
    if (!(await confirmBox(text))) return;
    await send("/api/settle", { basis: basis, mj: null, ...(choice || {}), class: cls, comment: $("comment").value, confirm: true });
  }

  function settleWithView(v) {
    const i = state.cards.findIndex((c) => keyOf(c) === keyOf(v));
    if (keyOf(v)) { select(i); setClass(v.identification_class); } else { selectNoMatch(); }
    settle(v.reviewer, choiceOf(v), v.identification_class);
  }

  function settleWithChoice(choice, cls) {
    const view = state.item.views.find((v) => keyOf(v) === keyOf(choice) && v.identification_class === cls);
    if (view) { settle(view.reviewer, choice, cls); return; }
    if (!$("comment").value.trim()) { toast(T().thirdNeedsReason, true); $("comment").focus(); return; }
    settle("third", choice, cls);
  }

  async function undo() {
    if (state.busy) return;  // the decision is still on its way: undo once it is recorded
    const id = state.item && state.item.can_undo ? state.item.id : state.lastDecided;
    if (!id) { toast(T().nothingToUndo, true); return; }
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
    toast(T().undone(id, stateWord(result.item.state), result.event.seq));
    state.cache.delete(id);
    await loadQueue();
    await show(id);
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
    else await loadQueue({ showFirst: true });
  }

  async function refreshCounts() {
    try {
      const data = await api("/api/counts");
      $("two-person").checked = data.two_person;
      setCounts(data.counts, data.total);
    } catch (e) { /* next refresh */ }
  }

  function accept() {
    if (!state.item) return;
    const c = state.cards[state.selected];
    const choice = state.noMatch ? null : (c ? choiceOf(c) : undefined);
    if (choice === undefined) { toast(settles(state.item) ? T().settleChoose : T().chooseFirst, true); return; }
    const cls = choice ? currentClass() : "該当なし";
    if (settles(state.item)) settleWithChoice(choice, cls);
    else decide(choice, cls);
  }

  function noMatch() {
    if (!state.item) return;
    if (settles(state.item)) { selectNoMatch(); settleWithChoice(null, "該当なし"); }
    else decide(null, "該当なし");
  }

  // ---------- search: counted, paged, every result reachable by keyboard ----------
  async function search(q, page) {
    if (!q.trim()) return;
    try {
      const gid = state.item ? state.item.id : "";
      const data = await api(`/api/search?q=${encodeURIComponent(q)}&page=${page || 1}&gaiji_id=${encodeURIComponent(gid)}`);
      state.mode = "search";
      state.touched = true;
      state.search = { q: data.query, page: data.page, pages: data.pages, total: data.total };
      setCards(data.results, data.total ? T().results(data.query, data.total, data.page, data.pages)
                                        : T().noResults(data.query));
      const readAs = data.read_as && T().readKinds[data.read_as.kind];
      $("page-info").textContent = readAs ? T().readAs(readAs(data.read_as)) : (data.note ? T().readAs(data.note) : "");
      $("search").blur();
    } catch (e) { toast(e.message, true); }
  }

  function turnPage(delta) {
    const s = state.search;
    if (state.mode !== "search" || !s) return;
    const page = s.page + delta;
    if (page >= 1 && page <= s.pages) search(s.q, page);
  }

  function backToCandidates() {
    if (!state.item) return;
    state.mode = "candidates";
    state.search = null;
    setCards(candidateCards(state.item), T().candidates);
    preselect(state.item);
  }

  function move(delta) {
    const i = indexOfCurrent();
    const next = state.items[i + delta];
    if (next) show(next.id);
  }

  // ---------- batch spot-check of auto-accepted rows ----------
  // the desk draws each sample and records it before it is shown (gaiji.review.audit counts it
  // from the draw): reopening shows the sample not yet closed; a new one is drawn only when asked
  async function openSpot() {
    let data;
    try { data = await api("/api/spotcheck"); } catch (e) { toast(e.message, true); return; }
    if (!data.items.length) { await drawSpot(); return; }
    showSpot(data);
  }

  async function drawSpot() {
    const n = Math.max(1, Math.min(48, Number($("spot-n").value) || 12));
    let data;
    try { data = await api("/api/spotcheck/draw", { n: n }); } catch (e) { toast(e.message, true); return; }
    showSpot(data);
  }

  async function resampleSpot() {
    const waiting = (state.spot || []).length;
    if (waiting) {
      $("spot-box").hidden = true;
      const ok = await confirmBox(T().spotRedraw(waiting));
      $("spot-box").hidden = false;
      if (!ok) return;
    }
    await drawSpot();
  }

  function showSpot(data) {
    state.spot = data.items;
    state.spotSample = data.sample;
    state.spotDoubt = new Set();
    $("spot-remaining").textContent = T().spotRemaining(data.remaining);
    $("spot-audit").textContent = data.audit ? T().spotAudit(data.audit) : "";
    $("spot-audit").classList.toggle("warn", !!data.audit && data.audit.verdict === "broken");
    const tiles = data.items.map((it, i) =>
      el("div", { class: "spot", dataset: { id: it.id, index: i }, onclick: () => toggleDoubt(i) },
        el("span", { class: "n" }, i < 9 ? `${i + 1} ` : ""), el("b", {}, it.id), ` ${it.mj || ""} `,
        el("span", { class: "char" }, it.char || ""), el("br"),
        el("img", { src: it.image_url, alt: it.id }),
        it.mj_url ? el("img", { src: it.mj_url, alt: it.mj }) : null,
        it.overlay_url ? el("img", { src: it.overlay_url, alt: "overlay" }) : null));
    $("spot-grid").replaceChildren(...tiles);
    $("spot-box").hidden = false;
    $("spot-confirm").disabled = !data.items.length;
    if (!data.items.length) toast(T().spotNone);
  }

  function toggleDoubt(i) {
    const it = state.spot[i];
    if (!it) return;
    if (state.spotDoubt.has(it.id)) state.spotDoubt.delete(it.id); else state.spotDoubt.add(it.id);
    const node = document.querySelector(`#spot-grid .spot[data-index="${i}"]`);
    if (node) node.classList.toggle("doubt", state.spotDoubt.has(it.id));
  }

  async function confirmSpot() {
    const ids = state.spot.map((it) => it.id).filter((id) => !state.spotDoubt.has(id));
    // the ones left out are recorded by the desk as closed unconfirmed: they are looked at alone
    if (!state.spot.length || !state.spotSample) return;
    $("spot-box").hidden = true;
    if (ids.length && !(await confirmBox(T().confirmSpot(ids.length)))) { $("spot-box").hidden = false; return; }
    try {
      const data = await api("/api/spotcheck", { sample: state.spotSample, ids: ids, confirm: true, request_id: requestId() });
      toast(T().spotDone(data.confirmed.length, data.left_out.length));
    } catch (e) { toast(e.message, true); }
    state.spot = [];
    state.spotSample = null;
    await loadQueue();
  }

  const modalOpen = () => !$("spot-box").hidden || !$("help-box").hidden;

  // ---------- wiring ----------
  document.addEventListener("keydown", (ev) => {
    if (state.confirming) {
      if (ev.key === "Escape") { ev.preventDefault(); closeConfirm(false); }
      else if (ev.key === "Enter") { ev.preventDefault(); closeConfirm(true); }
      return;
    }
    if (!$("help-box").hidden) {
      if (ev.key === "Escape" || ev.key === "?") { ev.preventDefault(); $("help-box").hidden = true; }
      return;
    }
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName) &&
      document.activeElement.type !== "radio" && document.activeElement.type !== "checkbox";
    if (!$("spot-box").hidden) {
      if (typing) return;
      if (ev.key === "Escape") { ev.preventDefault(); $("spot-box").hidden = true; }
      else if (ev.key === "Enter") { ev.preventDefault(); confirmSpot(); }
      else if (/^[1-9]$/.test(ev.key)) { ev.preventDefault(); toggleDoubt(Number(ev.key) - 1); }
      return;
    }
    if (ev.key === "Escape") {
      if (typing) document.activeElement.blur();
      else if (state.mode !== "candidates" && state.item) backToCandidates();
      return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    if (/^[1-9]$/.test(k)) { const i = Number(k) - 1; if (i < state.cards.length) { select(i); state.touched = true; } }
    else if (k === "ArrowRight" || k === "ArrowDown") { if (state.selected + 1 < state.cards.length) { select(state.selected + 1); state.touched = true; } }
    else if (k === "ArrowLeft" || k === "ArrowUp") { if (state.selected > 0) { select(state.selected - 1); state.touched = true; } }
    else if (k === "PageDown") turnPage(1);
    else if (k === "PageUp") turnPage(-1);
    else if (k === "a") accept();
    else if (k === "n") noMatch();
    else if (k === "u") undo();
    else if (k === "v") togglePin();
    else if (k === "b") openSpot();
    else if (k === "?") $("help-box").hidden = false;
    else if (k === "/") { $("search").focus(); $("search").select(); }
    else if (k === "j") move(1);
    else if (k === "k") move(-1);
    else if (k === "c") $("comment").focus();
    else if (k === "g") { setClass("字形一致"); state.touched = true; }
    else if (k === "d") { setClass("デザイン差"); state.touched = true; }
    else if (k === "s") { setClass("類似"); state.touched = true; }
    else if (k === "[") zoomOverlay(false);
    else if (k === "]") zoomOverlay(true);
    else if (k === "+" || k === "=") zoomBy(2);
    else if (k === "-") zoomBy(0.5);
    else if (k === "0") zoomBy(0);
    else return;
    ev.preventDefault();
  });

  $("comment").addEventListener("input", () => { state.touched = true; });
  for (const r of document.querySelectorAll('input[name="cls"]')) r.addEventListener("change", () => { state.touched = true; });
  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search($("search").value, 1); });
  $("accept").addEventListener("click", accept);
  $("nomatch").addEventListener("click", noMatch);
  $("undo").addEventListener("click", undo);
  $("confirm-ok").addEventListener("click", () => closeConfirm(true));
  $("confirm-cancel").addEventListener("click", () => closeConfirm(false));
  $("zoom-in").addEventListener("click", () => zoomBy(2));
  $("zoom-out").addEventListener("click", () => zoomBy(0.5));
  $("zoom-true").addEventListener("click", () => zoomBy(0));
  $("ov-in").addEventListener("click", () => zoomOverlay(true));
  $("ov-out").addEventListener("click", () => zoomOverlay(false));
  $("spot-open").addEventListener("click", openSpot);
  $("spot-sample").addEventListener("click", resampleSpot);
  $("spot-confirm").addEventListener("click", confirmSpot);
  $("spot-close").addEventListener("click", () => { $("spot-box").hidden = true; });
  $("help-open").addEventListener("click", () => { $("help-box").hidden = false; });
  $("help-close").addEventListener("click", () => { $("help-box").hidden = true; });
  $("lang").addEventListener("click", () => {
    LANG = LANG === "ja" ? "en" : "ja";
    localStorage.setItem("gaiji-lang", LANG);
    applyLanguage();
    loadQueue().then(() => { if (state.item) render(state.item); });
  });
  $("order").addEventListener("change", (ev) => { state.order = ev.target.value; loadQueue({ showFirst: true }); });
  $("filter-confidence").addEventListener("change", (ev) => { state.confidence = ev.target.value; loadQueue({ showFirst: true }); });
  $("filter-source").addEventListener("change", (ev) => { state.source = ev.target.value; loadQueue({ showFirst: true }); });
  for (const chip of document.querySelectorAll(".chip")) {
    chip.addEventListener("click", () => { state.filter = chip.dataset.state; loadQueue({ showFirst: true }); });
  }
  $("two-person").addEventListener("change", async (ev) => {
    const on = ev.target.checked;
    const text = on ? T().ruleOn : T().ruleOff;
    if (!(await confirmBox(text))) { ev.target.checked = !on; return; }
    try { await api("/api/settings", { two_person: on }); await loadQueue(); }
    catch (e) { toast(e.message, true); ev.target.checked = !on; }
  });
  setInterval(() => { if (!state.busy && !modalOpen()) refreshCounts(); }, 15000);

  applyLanguage();
  loadQueue({ showFirst: true }).catch((e) => toast(e.message, true));
})();
