/* Stocks Manager page: reads the ui function's JSON views, polls them, and sends changes. */
"use strict";

const POLL_MS = 5000;
const TOKEN_KEY = "stocks-api-token";
const $ = (selector) => document.querySelector(selector);
const state = { selected: null, detailKey: null, charts: [], polling: null, painted: false };

/* -- talking to the ui function ------------------------------------------------------------ */

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function view(name, params = {}) {
  const query = new URLSearchParams({ view: name, ...params });
  const response = await fetch(`?${query}`, { headers: { Accept: "application/json" } });
  return answer(response);
}

async function change(fields) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch("./", { method: "POST", headers, body: JSON.stringify(fields) });
    if (response.status === 401 && attempt === 0 && await askToken()) continue;
    return answer(response);
  }
}

async function answer(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: said below */ }
  if (!response.ok) {
    const message = body && body.error ? body.error : `The server answered ${response.status}.`;
    throw new ApiError(response.status, message);
  }
  return body;
}

/* The token is asked once and kept for this tab only (sessionStorage), never in the page. */
function askToken() {
  const dialog = $("#token-dialog");
  const input = $("#token-input");
  input.value = "";
  dialog.returnValue = "";  // Escape and Cancel leave it empty: no token
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const ok = dialog.returnValue === "ok" && input.value.trim() !== "";
      if (ok) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      resolve(ok);
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
}

/* -- formatting ---------------------------------------------------------------------------- */

const number = (value, digits = 2) =>
  value == null || !Number.isFinite(value) ? "–" : value.toFixed(digits);
const percent = (value) =>
  value == null || !Number.isFinite(value) ? "–" : `${value > 0 ? "+" : ""}${value.toFixed(2)}%`;
const direction = (value) => (value > 0 ? "up" : value < 0 ? "down" : "");
const arrow = { up: "▲", down: "▼", flat: "▶" };

function when(iso, interval = "5min") {
  if (!iso) return "–";
  const text = new Date(iso).toISOString().replace("T", " ");
  return interval === "daily" ? text.slice(0, 10) : `${text.slice(0, 16)} UTC`;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function status(message) { $("#status").textContent = message; }
function updated(message) { $("#updated").textContent = message; }

function showError(message) {
  const box = $("#form-error");
  box.textContent = message;
  box.hidden = !message;
}

/* -- the watchlist ------------------------------------------------------------------------- */

function entryKey(entry) { return `${entry.symbol}/${entry.interval}`; }

/* Where the last close stands to its moving average: above reads as an up trend. */
function trend(value) {
  if (!value) return ["–", ""];
  return value === "above" ? ["▲ above", "up"] : ["▼ below", "down"];
}

function renderWatchlist(entries) {
  const body = $("#watchlist tbody");
  const rows = document.createDocumentFragment();
  for (const entry of entries) {
    const row = document.createElement("tr");
    row.dataset.key = entryKey(entry);
    row.setAttribute("aria-selected", String(state.selected === row.dataset.key));
    const open = document.createElement("button");
    open.type = "button";
    open.className = "symbol-link";
    open.textContent = entry.symbol;
    open.setAttribute("aria-label", `Chart of ${entry.symbol} (${entry.interval})`);
    open.addEventListener("click", () => openDetail(entry));
    row.insertCell().append(open);
    cell(row, entry.interval);
    cell(row, number(entry.close), "num");
    cell(row, percent(entry.change_pct), `num ${direction(entry.change_pct)}`);
    for (const days of [50, 200]) {
      const [text, className] = trend(entry[`trend${days}`]);
      const td = cell(row, text, className);
      td.title = entry[`sma${days}`] == null
        ? `fewer than ${days} days of history`
        : `${days}-day average ${number(entry[`sma${days}`])}`;
    }
    const forecast = entry.forecast;
    if (forecast) {
      cell(row, `${arrow[forecast.direction]} ${percent(forecast.change_pct)}`,
        forecast.direction === "flat" ? "" : forecast.direction);
      cell(row, number(forecast.rel_naive), `num ${direction(1 - forecast.rel_naive)}`);
      cell(row, modelText(entry.model, forecast.model));
    } else {
      cell(row, "not yet");
      cell(row, "–", "num");
      cell(row, entry.model);
    }
    const fetched = entry.fetch;
    const fetchCell = cell(row, fetched ? `${when(fetched.time)} · ${fetched.status}` : "not yet",
      fetched && fetched.status !== "ok" ? "down" : "");
    if (fetched && fetched.error) fetchCell.title = fetched.error;
    const actions = row.insertCell();
    actions.className = "actions";
    actions.append(
      actionButton("Refresh", `Fetch ${entry.symbol} (${entry.interval}) now`,
        () => act({ action: "refresh", symbol: entry.symbol, interval: entry.interval })),
      actionButton("Remove", `Stop tracking ${entry.symbol} (${entry.interval})`,
        () => act({ action: "untrack", symbol: entry.symbol, interval: entry.interval })),
    );
    rows.append(row);
  }
  body.replaceChildren(rows);
  $("#watchlist-empty").hidden = entries.length > 0;
}

/* The model that drew the forecast, and the entry's choice when that was another (auto). */
function modelText(asked, drew) {
  return asked === drew ? drew : `${drew} (${asked === "auto" ? "auto" : `asked ${asked}`})`;
}

function actionButton(text, label, handler) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = text;
  button.setAttribute("aria-label", label);
  button.addEventListener("click", handler);
  return button;
}

async function act(fields) {
  showError("");
  try {
    const result = await change(fields);
    status(result.message);
    await refresh();
  } catch (error) {
    showError(error.message);
  }
}

async function track(event) {
  event.preventDefault();
  const symbol = $("#track-symbol").value.trim();
  const fields = { action: "track", symbol, interval: $("#track-interval").value };
  if ($("#track-model").value) fields.model = $("#track-model").value;
  showError("");
  try {
    const result = await change(fields);
    status(result.message);
    $("#track-symbol").value = "";
    await refresh();
  } catch (error) {
    showError(error.message);
    $("#track-symbol").focus();
  }
}

/* -- one symbol ---------------------------------------------------------------------------- */

async function openDetail(entry) {
  state.selected = entryKey(entry);
  state.detailKey = null;
  for (const row of document.querySelectorAll("#watchlist tbody tr")) {
    row.setAttribute("aria-selected", String(row.dataset.key === state.selected));
  }
  const section = $("#detail");
  section.hidden = false;
  $("#detail-heading").textContent = `${entry.symbol} (${entry.interval})`;
  await loadDetail();
  $("#detail-heading").focus();
}

function closeDetail() {
  const key = state.selected;
  state.selected = null;
  state.detailKey = null;
  destroyCharts();
  $("#detail").hidden = true;
  const row = key && document.querySelector(`#watchlist tr[data-key="${CSS.escape(key)}"] button`);
  if (row) row.focus();
}

async function loadDetail() {
  if (!state.selected) return;
  const [symbol, interval] = state.selected.split("/");
  let data;
  try {
    data = await view("symbol", { symbol, interval });
  } catch (error) {
    $("#detail-summary").textContent = error.message;
    destroyCharts();
    return;
  }
  const key = JSON.stringify([data.prices.time.at(-1), data.run && data.run.time]);
  if (key === state.detailKey) return;  // nothing new: keep the chart (and its cursor) as it is
  state.detailKey = key;
  renderDetail(data);
}

function renderDetail(data) {
  const run = data.run;
  const model = data.forecast ? data.forecast.model : null;
  $("#detail-heading").textContent =
    `${data.symbol} (${data.interval})${model ? `: forecast by ${model}` : ""}`;
  const last = data.prices.close.at(-1);
  $("#detail-summary").textContent = data.forecast
    ? `Last close ${number(last)}; the ${model} forecast for the next ${data.forecast.time.length} ` +
      `${data.interval === "daily" ? "trading days" : "bars"} ends at ` +
      `${number(data.forecast.yhat.at(-1))} (shaded: its forecast interval).`
    : `Last close ${number(last)}; no forecast yet.`;
  renderMetrics(run);
  drawCharts(data);
}

function renderMetrics(run) {
  const list = $("#metrics");
  list.replaceChildren();
  $("#reason").textContent = run && run.reason ? `Model choice — ${run.reason}` : "";
  if (!run) return;
  const items = [
    ["model", run.model], ["vs naive (rel. MAE)", number(run.rel_naive, 3)],
    ["vs drift (rel. MAE)", number(run.rel_drift, 3)], ["MAPE", number(run.mape, 3)],
    ["MASE", number(run.mase, 3)], ["interval coverage", number(run.coverage, 2)],
    ["horizon", String(run.horizon)], ["trained on", `${run.train_points} bars`],
    ["fit", `${number(run.fit_seconds, 2)} s`], ["forecast at", when(run.time)],
  ];
  for (const [term, value] of items) {
    const pair = document.createElement("div");
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = value;
    pair.append(dt, dd);
    list.append(pair);
  }
}

function destroyCharts() {
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
}

/* Prices and forecast share one x axis of bar numbers, so closed hours (nights, weekends,
   holidays) take no room: the forecast continues the last bar instead of flaring at the edge. */
function drawCharts(data) {
  destroyCharts();
  const prices = data.prices;
  const forecast = data.forecast || { time: [], yhat: [], yhat_lower: [], yhat_upper: [] };
  const n = prices.time.length;
  const h = forecast.time.length;
  const times = prices.time.concat(forecast.time);
  const xs = times.map((_, i) => i);
  const gap = (count) => new Array(count).fill(null);
  const joined = (values) => (h ? gap(n - 1).concat([prices.close[n - 1]], values) : gap(n));
  const label = (i) => {
    const t = times[Math.min(Math.max(Math.round(i), 0), times.length - 1)];
    const text = new Date(t * 1000).toISOString().replace("T", " ");
    return data.interval === "daily" ? text.slice(0, 10) : text.slice(5, 16);
  };
  const width = Math.max($("#price-chart").clientWidth, 280);
  const axis = { values: (u, splits) => splits.map(label), space: 80 };
  const cursor = { sync: { key: "stocks-detail" } };
  const modelName = data.forecast ? data.forecast.model : "forecast";
  const price = new uPlot({
    width, height: Math.round(Math.min(360, width * 0.55)),
    scales: { x: { time: false } },
    cursor,
    legend: { live: true },
    series: [
      { label: "time", value: (u, i) => (i == null ? "–" : label(i)) },
      { label: "close", stroke: "#1a5fb4", width: 1.5 },
      { label: `forecast (${modelName})`, stroke: "#e66100", width: 2, dash: [6, 4] },
      { label: "lower", stroke: "rgba(230,97,0,0.4)", width: 1 },
      { label: "upper", stroke: "rgba(230,97,0,0.4)", width: 1 },
    ],
    bands: [{ series: [4, 3], fill: "rgba(230,97,0,0.18)" }],
    axes: [axis, { size: 60 }],
  }, [xs, prices.close.concat(gap(h)), joined(forecast.yhat), joined(forecast.yhat_lower),
    joined(forecast.yhat_upper)], $("#price-chart"));
  const volume = new uPlot({
    width, height: 110,
    scales: { x: { time: false } },
    cursor,
    legend: { show: false },
    series: [{}, { label: "volume", fill: "rgba(26,95,180,0.35)", stroke: "#1a5fb4",
      paths: uPlot.paths.bars({ size: [0.8, 40] }) }],
    axes: [axis, { size: 60, values: (u, splits) => splits.map(compact) }],
  }, [xs, prices.volume.concat(gap(h))], $("#volume-chart"));
  state.charts = [price, volume];
}

function compact(value) {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)}k`;
  return String(value);
}

/* -- the pipeline -------------------------------------------------------------------------- */

function emptyRow(columns, text) {
  const row = document.createElement("tr");
  const td = cell(row, text, "muted");
  td.colSpan = columns;
  return row;
}

function renderRuns(selector, runs, withError) {
  const rows = document.createDocumentFragment();
  if (!runs.length) rows.append(emptyRow(withError ? 5 : 6, withError ? "No errors." : "No runs yet."));
  for (const run of runs) {
    const row = document.createElement("tr");
    cell(row, when(run.time));
    cell(row, run.function);
    cell(row, run.symbol || "–");
    cell(row, run.status, run.status === "ok" ? "up" : "down");
    if (withError) {
      cell(row, run.error || "", "wrap");
    } else {
      cell(row, String(run.points ?? "–"), "num");
      cell(row, number(run.seconds, 2), "num");
    }
    rows.append(row);
  }
  $(`${selector} tbody`).replaceChildren(rows);
}

function renderDeadLetters(letters) {
  const rows = document.createDocumentFragment();
  if (!letters.length) rows.append(emptyRow(5, "No dead letters."));
  for (const letter of letters) {
    const row = document.createElement("tr");
    cell(row, when(letter.time));
    cell(row, letter.type);
    cell(row, letter.trigger);
    cell(row, letter.code ? String(letter.code) : "–", "num");
    cell(row, letter.error || "", "wrap");
    rows.append(row);
  }
  $("#dead-letters tbody").replaceChildren(rows);
}

/* -- polling ------------------------------------------------------------------------------- */

async function refresh() {
  try {
    const pipelineAnswer = view("pipeline");  // asked at once, drawn after the watchlist
    pipelineAnswer.catch(() => {});  // its failure is reported when it is awaited below
    renderWatchlist((await view("watchlist")).watchlist);
    if (!state.painted) {
      state.painted = true;
      performance.mark("watchlist-painted");
    }
    const pipeline = await pipelineAnswer;
    renderRuns("#runs", pipeline.runs, false);
    renderRuns("#errors", pipeline.errors, true);
    renderDeadLetters(pipeline.dead_letters);
    await loadDetail();
    updated(`Updated ${new Date().toISOString().slice(11, 19)} UTC; refreshing every ${POLL_MS / 1000} s.`);
  } catch (error) {
    updated(`Could not update: ${error.message}`);
  }
}

function start() {
  $("#track-form").addEventListener("submit", track);
  $("#detail-close").addEventListener("click", closeDetail);
  $("#token-cancel").addEventListener("click", () => $("#token-dialog").close());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.selected && !$("#token-dialog").open) closeDetail();
  });
  let resizing;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { state.detailKey = null; loadDetail(); }, 200);
  });
  refresh();
  state.polling = setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
}

start();
