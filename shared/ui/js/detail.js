/* One symbol's panel: its chart with the forecast band, the model's metrics and its reason. */
import { $, element, setText } from "./?asset=js/dom.js";
import { compact, number, when } from "./?asset=js/format.js";
import { refresh, register } from "./?asset=js/poll.js";

const state = { selected: null, shownKey: null, charts: [] };

export function selectedKey() { return state.selected; }

export async function openDetail(symbol, interval) {
  state.selected = `${symbol}/${interval}`;
  state.shownKey = null;
  for (const row of document.querySelectorAll("#watchlist tbody tr")) {
    row.setAttribute("aria-selected", String(row.dataset.key === state.selected));
  }
  $("#detail").hidden = false;
  $("#detail-heading").textContent = `${symbol} (${interval})`;
  $("#detail-heading").focus();
  await refresh();
}

function closeDetail() {
  const key = state.selected;
  state.selected = null;
  state.shownKey = null;
  destroyCharts();
  $("#detail").hidden = true;
  for (const row of document.querySelectorAll("#watchlist tbody tr")) {
    row.setAttribute("aria-selected", "false");
  }
  const button = key && document.querySelector(`#watchlist tr[data-key="${CSS.escape(key)}"] button`);
  if (button) button.focus();
}

async function update(views) {
  if (!state.selected) return;
  const key = state.selected;
  const [symbol, interval] = key.split("/");
  let data;
  try {
    data = await views.get("symbol", { symbol, interval });
  } catch (error) {
    if (state.selected !== key) return;
    setText($("#detail-summary"), error.message);
    destroyCharts();
    state.shownKey = null;
    return;
  }
  if (state.selected !== key) return;  // closed or another opened meanwhile
  const shown = JSON.stringify([key, data.prices.time.at(-1), data.run && data.run.time]);
  if (shown === state.shownKey) return;  // nothing new: keep the chart (and its cursor) as it is
  state.shownKey = shown;
  render(data);
}

function render(data) {
  const run = data.run;
  const model = data.forecast ? data.forecast.model : null;
  setText($("#detail-heading"),
    `${data.symbol} (${data.interval})${model ? `: forecast by ${model}` : ""}`);
  const last = data.prices.close.at(-1);
  setText($("#detail-summary"), data.forecast
    ? `Last close ${number(last)}; the ${model} forecast for the next ${data.forecast.time.length} ` +
      `${data.interval === "daily" ? "trading days" : "bars"} ends at ` +
      `${number(data.forecast.yhat.at(-1))} (shaded: its forecast interval).`
    : `Last close ${number(last)}; no forecast yet.`);
  renderMetrics(run);
  drawCharts(data);
}

function renderMetrics(run) {
  const list = $("#metrics");
  setText($("#reason"), run && run.reason ? `Model choice \u2014 ${run.reason}` : "");
  list.replaceChildren();
  if (!run) return;
  const items = [
    ["model", run.model], ["vs naive (rel. MAE)", number(run.rel_naive, 3)],
    ["vs drift (rel. MAE)", number(run.rel_drift, 3)], ["MAPE", number(run.mape, 3)],
    ["MASE", number(run.mase, 3)], ["interval coverage", number(run.coverage, 2)],
    ["horizon", String(run.horizon)], ["trained on", `${run.train_points} bars`],
    ["fit", `${number(run.fit_seconds, 2)} s`], ["forecast at", when(run.time)],
  ];
  for (const [term, value] of items) {
    list.append(element("div", {}, element("dt", { textContent: term }),
      element("dd", { textContent: value })));
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
  const priceBox = $("#price-chart");
  const width = Math.max(priceBox.clientWidth, 280);
  const axis = { values: (u, splits) => splits.map(label), space: 80 };
  const cursor = { sync: { key: "stocks-detail" } };
  const modelName = data.forecast ? data.forecast.model : "forecast";
  const price = new uPlot({
    width, height: Math.round(Math.min(360, width * 0.55)),
    scales: { x: { time: false } },
    cursor,
    legend: { live: true },
    series: [
      { label: "time", value: (u, i) => (i == null ? "\u2013" : label(i)) },
      { label: "close", stroke: "#1a5fb4", width: 1.5 },
      { label: `forecast (${modelName})`, stroke: "#e66100", width: 2, dash: [6, 4] },
      { label: "lower", stroke: "rgba(230,97,0,0.4)", width: 1 },
      { label: "upper", stroke: "rgba(230,97,0,0.4)", width: 1 },
    ],
    bands: [{ series: [4, 3], fill: "rgba(230,97,0,0.18)" }],
    axes: [axis, { size: 60 }],
  }, [xs, prices.close.concat(gap(h)), joined(forecast.yhat), joined(forecast.yhat_lower),
    joined(forecast.yhat_upper)], priceBox);
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
  priceBox.chart = price;  // for tests: the drawn chart's data
}

export function init() {
  $("#detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.selected && !$("#token-dialog").open) closeDetail();
  });
  let resizing;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { state.shownKey = null; refresh(); }, 200);
  });
}

register({ name: "detail", update });
