// hw3 mark: the marking page's behaviour. Everything shown from data goes through textContent,
// never innerHTML; answers themselves are rendered (and escaped) by the server.
"use strict";
(function () {
  const token = document.querySelector('meta[name="hw3-token"]').content;

  async function post(url, body, type) {
    const r = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": type || "application/json", "X-Hw3-Token": token},
      body: type ? body : JSON.stringify(body),
    });
    const data = await r.json().catch(() => ({error: "the server answered " + r.status}));
    if (!r.ok) throw new Error(data.error || ("error " + r.status));
    return data;
  }

  // ---------------------------------------------------------------- index page: CSV import
  const imp = document.getElementById("import");
  if (imp) {
    imp.addEventListener("change", async () => {
      const out = document.getElementById("import-result");
      try {
        const res = await post("/api/import", await imp.files[0].text(), "text/csv");
        out.textContent = "Imported " + res.imported + " marks.";
        setTimeout(() => location.reload(), 600);
      } catch (e) { out.textContent = "Not imported: " + e.message; }
    });
    return;
  }

  // ---------------------------------------------------------------- question page
  const app = document.getElementById("app");
  const question = app.dataset.question;
  const possible = parseFloat(app.dataset.possible);
  const cards = Array.from(document.querySelectorAll(".answer"));
  const errorBox = document.getElementById("error");
  let state = null, current = 0;

  const fmt = (x) => String(Math.round(x * 100) / 100);
  const signed = (x) => (x > 0 ? "+" : "") + fmt(x);

  function show(s) {
    state = s;
    errorBox.textContent = "";
    document.getElementById("progress").textContent =
      s.progress.marked + " of " + s.progress.total + " marked";
    document.getElementById("overall").textContent =
      "(all questions: " + s.overall.marked + " of " + s.overall.total + ")";
    const list = document.getElementById("items");
    list.replaceChildren();
    s.items.forEach((it, i) => {
      const li = document.createElement("li");
      li.dataset.item = it.id;
      const key = document.createElement("kbd");
      key.textContent = i < 9 ? String(i + 1) : "";
      const pts = document.createElement("b");
      pts.textContent = signed(it.points);
      const text = document.createElement("span");
      text.textContent = it.text;
      const edit = document.createElement("button");
      edit.type = "button"; edit.textContent = "edit"; edit.className = "link";
      edit.addEventListener("click", () => editItem(li, it));
      li.append(key, " ", pts, " ", text, " ", edit);
      list.append(li);
    });
    for (const card of cards) {
      const a = s.answers[card.dataset.key] || {score: null, comment: "", applied: []};
      const score = card.querySelector("[data-score]");
      score.textContent = a.score === null ? "not marked" : fmt(a.score) + " / " + fmt(possible);
      card.classList.toggle("marked", a.score !== null);
      const ul = card.querySelector("[data-items]");
      ul.replaceChildren();
      s.items.forEach((it, i) => {
        const li = document.createElement("li");
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox"; box.checked = a.applied.includes(it.id);
        box.dataset.item = it.id;
        box.addEventListener("change", () => apply(card, it.id, box.checked));
        const t = document.createElement("span");
        t.textContent = (i < 9 ? "[" + (i + 1) + "] " : "") + signed(it.points) + " " + it.text;
        label.append(box, " ", t);
        li.append(label);
        li.classList.toggle("on", box.checked);
        ul.append(li);
      });
      const ta = card.querySelector("[data-comment]");
      if (document.activeElement !== ta) ta.value = a.comment;
    }
  }

  function fail(e) { errorBox.textContent = "Not saved: " + e.message; }

  async function refresh() {
    try {
      const r = await fetch("/api/q/" + encodeURIComponent(question), {credentials: "same-origin"});
      if (r.ok) show(await r.json());
    } catch (e) { /* offline for a moment: the next poll retries */ }
  }

  async function apply(card, item, on) {
    try { show(await post("/api/apply", {question, answer: card.dataset.key, item, on})); }
    catch (e) { fail(e); }
  }

  function editItem(li, it) {
    const form = document.createElement("form");
    form.className = "item-form";
    const pts = document.createElement("input");
    pts.type = "number"; pts.step = "any"; pts.value = it.points; pts.name = "points";
    const text = document.createElement("input");
    text.type = "text"; text.value = it.text; text.name = "text"; text.maxLength = 300;
    const save = document.createElement("button");
    save.type = "submit"; save.textContent = "Save";
    const del = document.createElement("button");
    del.type = "button"; del.textContent = "Delete";
    form.append(pts, text, save, del);
    li.replaceChildren(form);
    text.focus();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try { show(await post("/api/items/" + it.id, {question, points: pts.value, text: text.value})); }
      catch (e) { fail(e); }
    });
    del.addEventListener("click", async () => {
      if (!confirm("Delete this item from every answer?")) return;
      try { show(await post("/api/items/" + it.id, {question, delete: true})); }
      catch (e) { fail(e); }
    });
  }

  document.getElementById("new-item").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    try {
      show(await post("/api/items", {question, points: f.points.value, text: f.text.value}));
      f.reset();
      f.points.blur(); f.text.blur();
    } catch (e) { fail(e); }
  });

  for (const card of cards) {
    const ta = card.querySelector("[data-comment]");
    let timer = null;
    const save = async () => {
      clearTimeout(timer);
      try { show(await post("/api/comment", {question, answer: card.dataset.key, comment: ta.value})); }
      catch (e) { fail(e); }
    };
    ta.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(save, 700); });
    ta.addEventListener("change", save);
    ta.addEventListener("focus", () => select(cards.indexOf(card), false));
    card.addEventListener("click", (ev) => {
      if (!ev.target.closest("input, textarea, button, a")) select(cards.indexOf(card), false);
    });
  }

  function select(i, scroll) {
    if (!cards.length) return;
    current = Math.max(0, Math.min(cards.length - 1, i));
    cards.forEach((c, j) => c.classList.toggle("current", j === current));
    if (scroll !== false) cards[current].scrollIntoView({block: "center"});
  }

  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    const typing = t.matches && t.matches("input, textarea, select");
    if (typing) {
      if (ev.key === "Escape") t.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "j" || ev.key === "ArrowDown") { select(current + 1); ev.preventDefault(); }
    else if (ev.key === "k" || ev.key === "ArrowUp") { select(current - 1); ev.preventDefault(); }
    else if (ev.key === "u") {
      const k = cards.findIndex((c, j) => j > current && !c.classList.contains("marked"));
      const any = cards.findIndex((c) => !c.classList.contains("marked"));
      select(k >= 0 ? k : any >= 0 ? any : current); ev.preventDefault();
    } else if (ev.key === "c") {
      cards[current].querySelector("[data-comment]").focus(); ev.preventDefault();
    } else if (/^[1-9]$/.test(ev.key) && state) {
      const it = state.items[parseInt(ev.key, 10) - 1];
      if (!it) return;
      const a = state.answers[cards[current].dataset.key];
      apply(cards[current], it.id, !(a && a.applied.includes(it.id)));
      ev.preventDefault();
    }
  });

  select(0, false);
  refresh();
  // Another TA may be marking the same question: pick up their clicks now and then.
  setInterval(() => { if (!document.hidden) refresh(); }, 5000);
})();
