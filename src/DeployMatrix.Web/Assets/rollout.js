// The rollout page, live: listens to its event stream (one "figures" event a second, JSON in snake_case) and puts
// the figures in place, without reloading. Text goes in as text (textContent), never as markup.
"use strict";
(function () {
  const root = document.querySelector("section.rollout[data-events]");
  if (!root || !window.EventSource) {
    return;
  }

  const field = (name) => root.querySelector(`[data-field="${name}"]`);
  const num = (value) => String(Math.round(value * 100) / 100);
  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  };
  const set = (name, text) => { const node = field(name); if (node) node.textContent = text; };

  // Must match RolloutPage.razor's Left, StageOf and StageClass.
  const left = (f) => f.seconds_left === undefined || f.seconds_left === null
    ? "no window running"
    : f.seconds_left > 0 ? `${num(f.seconds_left)} s left in this window` : "window over: judging";
  const stageOf = (v) => v.percent !== undefined && v.percent !== null ? `${v.percent}%` : v.verdict === "note" ? "rollout" : "end";
  const stageClass = (f, i) => f.state === "succeeded" || i < f.stage_index ? "done" : i === f.stage_index ? (f.finished ? "stopped" : "current") : "todo";

  function render(f) {
    const state = field("state");
    state.textContent = f.state;
    state.className = `badge rollout ${f.state}`;
    set("stage", String(f.stage));
    set("left", left(f));
    set("updated", f.updated_at);
    set("read-at", f.read_at);
    set("reason", f.reason ? `Reason: ${f.reason}` : "");
    set("next", f.next ? `Next: ${f.next}` : "");
    set("metrics-error", f.metrics_error || "");
    field("driven").hidden = !f.driven_here;
    field("ended").hidden = !f.finished;
    root.querySelectorAll("form[data-action]").forEach((form) => { form.hidden = !f.actions.includes(form.dataset.action); });

    const stages = field("stages");
    stages.replaceChildren(...f.stages.map((percent, i) => {
      const li = el("li", `${percent}%`, `stage ${stageClass(f, i)}`);
      li.dataset.percent = String(percent);
      if (percent !== 0 && percent !== 100) li.append(el("span", ` · ${num(f.window_seconds)} s`, "muted small"));
      return li;
    }));

    const split = field("split");
    split.dataset.split = f.split.map((s) => `${s.revision}=${s.percent}`).join(", ");
    split.replaceChildren(...f.split.map((s, i) => {
      const segment = el("span", null, `segment s${i % 6}`);
      segment.style.width = `${s.percent}%`;
      segment.title = `${s.revision} ${s.percent}%`;
      return segment;
    }));

    field("revisions").replaceChildren(...f.revisions.map((r) => {
      const row = el("tr");
      row.dataset.revision = r.revision;
      const head = el("th", `${r.role} `);
      head.scope = "row";
      head.append(el("code", r.revision));
      row.append(head, ...[`${r.percent}%`, r.total_requests, r.requests, r.failed, `${num(r.error_rate_percent)}%`, num(r.p50_ms), num(r.p95_ms), num(r.p99_ms)].map((v) => el("td", v)));
      return row;
    }));

    field("verdicts").replaceChildren(...f.verdicts.map((v) => {
      const row = el("tr", null, `verdict ${v.verdict}`);
      if (v.percent !== undefined && v.percent !== null) row.dataset.percent = String(v.percent);
      const badge = el("td");
      badge.append(el("span", v.verdict, `badge verdict ${v.verdict}`));
      row.append(el("td", v.at), el("td", stageOf(v)), badge, el("td", v.detail));
      return row;
    }));

    // A new chart each second: the same address with a changing query, so the browser fetches it again.
    const chart = field("chart");
    const url = new URL(root.dataset.chart, window.location.href);
    url.searchParams.set("at", f.read_at);
    chart.src = url.pathname + url.search;
    root.dataset.updates = String(Number(root.dataset.updates || "0") + 1);
  }

  const events = new EventSource(root.dataset.events);
  events.addEventListener("figures", (e) => { render(JSON.parse(e.data)); set("live", "· live"); });
  events.addEventListener("problem", (e) => { set("metrics-error", JSON.parse(e.data).message || ""); });
  events.onerror = () => set("live", "· reconnecting");
})();
