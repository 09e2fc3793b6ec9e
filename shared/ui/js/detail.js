/* One symbol's panel: what to expect in plain words (range, skill, risk), its chart over a
   chosen range with the forecast band, and how the forecast did in testing. */
import { drawCharts } from "./?asset=js/charts.js";
import { $, element, setAttr, setClass, setText } from "./?asset=js/dom.js";
import { dateTime, number, percent, shortDate } from "./?asset=js/format.js";
import { refresh, register } from "./?asset=js/poll.js";
import {
  calmOrWild, exchangeName, fromHigh, fromLow, rangeSentence, skillSentence, swings,
} from "./?asset=js/words.js";

const PHONE = window.matchMedia("(max-width: 40rem)");
const state = { selected: null, shownKey: null, charts: [], range: PHONE.matches ? "1M" : "1Y" };

export function selectedKey() { return state.selected; }

export async function openDetail(symbol, interval) {
  state.selected = `${symbol}/${interval}`;
  state.shownKey = null;
  for (const row of document.querySelectorAll("#watchlist tbody tr")) {
    row.setAttribute("aria-selected", String(row.dataset.key === state.selected));
  }
  destroyCharts();  // nothing of the symbol shown before stays while this one loads
  for (const id of ["detail-name", "detail-summary", "detail-range", "detail-skill", "reason"]) {
    setText($(`#${id}`), "");
  }
  $("#risk").replaceChildren();
  $("#metrics").replaceChildren();
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
  const range = state.range;
  const [symbol, interval] = key.split("/");
  let data;
  try {
    data = await views.get("symbol", { symbol, interval, range });
  } catch (error) {
    if (state.selected !== key) return;
    setText($("#detail-summary"), error.message);
    destroyCharts();
    state.shownKey = null;
    return;
  }
  if (state.selected !== key || state.range !== range) return;  // changed meanwhile
  const shown = JSON.stringify([key, range, data.prices.time.at(-1), data.run && data.run.time]);
  if (shown === state.shownKey) return;  // nothing new: keep the chart (and its cursor) as it is
  state.shownKey = shown;
  render(data);
}

function render(data) {
  const figures = data.figures;
  setText($("#detail-heading"), `${data.symbol} (${data.interval})`);
  setText($("#detail-name"), [data.name, exchangeName(data.exchange)].filter(Boolean).join(" \u00b7 "));
  const close = data.prices.close;
  const last = close.at(-1);
  const before = close.length > 1 ? close.at(-2) : null;
  const step = data.interval === "daily" ? "session" : "bar";
  const moved = before ? `, ${last >= before ? "up" : "down"} ${number(Math.abs(last - before))} ` +
    `(${percent((last / before - 1) * 100)}) from the ${step} before` : "";
  const asOf = data.interval === "daily" ? shortDate(data.day) : dateTime(data.day, data.timezone);
  setText($("#detail-summary"), `Last close ${number(last)} as of ${asOf}${moved}.`);
  if (figures) {
    const skill = skillSentence(figures);
    const range = rangeSentence(figures.range, data.interval, data.timezone);
    setText($("#detail-range"), `The ${figures.model} forecast: ${range} ` +
      "(the shaded band on the chart).");
    setText($("#detail-skill"), `${skill.text}.`);
    setClass($("#detail-skill"), skill.warning ? "warning" : "");
  } else {
    setText($("#detail-range"), "No forecast yet: one follows the first fetch.");
    setText($("#detail-skill"), "");
    setClass($("#detail-skill"), "");
  }
  renderFigures($("#risk"), riskItems(data, figures));
  renderFigures($("#metrics"), metricItems(data.run));
  setText($("#reason"), data.run && data.run.reason ? `Why this model: ${data.run.reason}` : "");
  destroyCharts();
  state.charts = drawCharts(data, $("#price-chart"), $("#volume-chart"));
  setText($("#chart-note"), data.interval === "daily" ? "Daily closes, adjusted for splits and dividends."
    : `Times in the exchange's zone (${data.timezone}); nights and weekends take no room.`);
}

/* [plain label, value, one-line explanation with the technical name] */
function riskItems(data, figures) {
  const explain = data.explanations;
  const range = ["Forecast range", figures ? rangeSentence(figures.range, data.interval,
    data.timezone) : "no forecast yet", explain.range];
  const risk = data.risk;
  if (!risk) return [range, ["Risk figures", "not computed yet", "They come with the next forecast."]];
  const percentile = risk.volatility_percentile;
  return [
    range,
    ["Swings", swings(risk.volatility), explain.volatility],
    ["Calm or wild", risk.volatility == null ? "too little history" : calmOrWild(percentile),
      explain.volatility_percentile],
    ["Largest fall this year", risk.drawdown == null ? "too little history"
      : `${(risk.drawdown * 100).toFixed(1)}%`, explain.drawdown],
    ["52-week high", risk.high_52w == null ? "less than a year of history"
      : `${number(risk.high_52w)}: now ${fromHigh(risk)}`, explain.from_high],
    ["52-week low", risk.low_52w == null ? "less than a year of history"
      : `${number(risk.low_52w)}: now ${fromLow(risk)}`, explain.from_low],
  ];
}

function metricItems(run) {
  if (!run) return [];
  const coverage = run.coverage == null ? "\u2013" : `${Math.round(run.coverage * 100)}%`;
  const aim = Math.round((run.interval_width || 0.8) * 100);
  return [
    ["Typical error", run.mape == null ? "\u2013" : `${number(run.mape, 1)}%`,
      "Average miss, in % of the price, on past data the model did not see (MAPE)."],
    ["Error vs doing nothing", number(run.rel_naive),
      "Below 1 beats the naive forecast, \"tomorrow equals today\" (relative MAE vs naive)."],
    ["Error vs a straight line", number(run.rel_drift),
      "Below 1 beats extending the average past trend (relative MAE vs drift)."],
    ["Error in typical daily moves", number(run.mase),
      "The miss measured in the stock's usual one-day move (MASE)."],
    [`Band meant to hold ${aim}% of outcomes`, `held ${coverage} in testing`,
      "How often the real price fell inside the shaded band (interval coverage)."],
    ["Forecasts ahead", `${run.horizon} ${run.interval === "daily" ? "sessions" : "bars"}`,
      "How far the forecast reaches (horizon)."],
    ["Learned from", `${run.train_points} bars`, "The history the model was fitted on."],
    ["Made", dateTime(run.time), `Model: ${run.model}; fitted in ${number(run.fit_seconds, 2)} s.`],
  ];
}

function renderFigures(list, items) {
  list.replaceChildren(...items.map(([term, value, explanation]) => element("li", {},
    element("span", { className: "term", textContent: term }),
    element("span", { className: "value", textContent: value }),
    element("span", { className: "explain", textContent: explanation || "" }))));
}

function destroyCharts() {
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
}

function chooseRange(range) {
  state.range = range;
  state.shownKey = null;
  for (const button of document.querySelectorAll(".chart-ranges button")) {
    setAttr(button, "aria-pressed", String(button.dataset.range === range));
  }
}

export function init() {
  $("#detail-close").addEventListener("click", closeDetail);
  for (const button of document.querySelectorAll(".chart-ranges button")) {
    button.addEventListener("click", () => {
      chooseRange(button.dataset.range);
      refresh();
    });
  }
  chooseRange(state.range);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.selected && !$("#token-dialog").open) closeDetail();
  });
  let resizing;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { state.shownKey = null; refresh(); }, 200);
  });
}

register({ name: "detail", view: "watchlist", update });
