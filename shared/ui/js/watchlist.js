/* The watchlist panel: one row per tracked entry (a card on a phone), updated in place on every
   poll, sortable by its column headers (or the "Sort by" list on a phone). */
import { change } from "./?asset=js/api.js";
import { openDetail, selectedKey } from "./?asset=js/detail.js";
import { $, element, setAttr, setClass, setText, syncChildren } from "./?asset=js/dom.js";
import { direction, number, percent, signed } from "./?asset=js/format.js";
import { showError, status } from "./?asset=js/messages.js";
import { refresh, register } from "./?asset=js/poll.js";
import { drawSpark, makeSpark } from "./?asset=js/spark.js";
import {
  calmOrWild, exchangeName, freshness, fromHigh, health, largestFall, rangeSentence,
  sessionWords, skillSentence, splitsAndDividends, swings, trendWords,
} from "./?asset=js/words.js";

let painted = false;
let entries = [];
const sorting = { key: "symbol", ascending: true };

export function entryKey(entry) { return `${entry.symbol}/${entry.interval}`; }

/* Sort keys: a number or text; missing values go last whichever way. */
const SORT_KEYS = {
  symbol: (e) => `${e.symbol}/${e.interval}`,
  close: (e) => e.close,
  change: (e) => e.change_pct,
  forecast: (e) => (e.forecast ? e.forecast.rel_naive : null),  // best in testing first
  risk: (e) => (e.risk ? e.risk.volatility : null),
  year: (e) => (e.risk ? e.risk.from_high : null),
  health: (e) => (e.fetch ? `${e.fetch.status === "ok" ? 1 : 0}${e.fetch.time}` : null),
};

function sorted(list) {
  const keyOf = SORT_KEYS[sorting.key];
  const sign = sorting.ascending ? 1 : -1;
  return [...list].sort((a, b) => {
    const [x, y] = [keyOf(a), keyOf(b)];
    if (x == null || y == null) return (x == null) - (y == null);
    return sign * (x < y ? -1 : x > y ? 1 : 0) || entryKey(a).localeCompare(entryKey(b));
  });
}

function sortBy(key) {
  sorting.ascending = sorting.key === key ? !sorting.ascending : true;
  sorting.key = key;
  $("#sort-by").value = key;
  for (const th of document.querySelectorAll("#watchlist th[data-sort]")) {
    setAttr(th, "aria-sort", th.dataset.sort === key
      ? (sorting.ascending ? "ascending" : "descending") : null);
  }
  draw();
}

/* Send a change for the row's entry; its answer is said in the status line. */
export async function act(fields) {
  showError("");
  try {
    const result = await change(fields);
    status(result.message);
    await refresh();
  } catch (error) {
    showError(error.message);
  }
}

/* A cell with a main line and a secondary line beneath it. */
function twoLines(td) {
  td.append(element("span", { className: "main" }), element("span", { className: "sub" }));
  return td;
}

function lines(td, main, sub, className = "") {
  setText(td.children[0], main);
  setText(td.children[1], sub);
  setClass(td, className);
}

const LABELS = [...document.querySelectorAll("#watchlist thead th")].map((th) => th.textContent);

/* A row's cells and buttons are made once; a poll only changes their text. */
function buildRow(entry) {
  const { symbol, interval } = entry;
  const row = document.createElement("tr");
  const stock = row.insertCell();
  const open = element("button", { type: "button", className: "symbol-link", textContent: symbol });
  open.setAttribute("aria-label", `Chart of ${symbol} (${interval})`);
  open.addEventListener("click", () => openDetail(symbol, interval));
  const rules = element("a", { href: "#view-alerts", className: "rules-mark" });
  rules.hidden = true;
  stock.append(open, element("span", { className: "name" }),
    element("span", { className: "sub", textContent: interval }), rules);
  for (let i = 1; i < 9; i++) twoLines(row.insertCell());
  row.cells[3].replaceChildren(makeSpark());
  row.cells[8].append(element("span", {
    className: "sub adjusted",
    title: "Past prices are adjusted for splits and dividends: this says when they were last checked",
  }));
  const actions = row.insertCell();
  actions.className = "actions";
  const again = element("button", { type: "button", textContent: "Refresh" });
  again.setAttribute("aria-label", `Fetch ${symbol} (${interval}) now`);
  again.addEventListener("click", () => act({ action: "refresh", symbol, interval }));
  const remove = element("button", { type: "button", textContent: "Remove" });
  remove.setAttribute("aria-label", `Stop tracking ${symbol} (${interval})`);
  remove.addEventListener("click", () => act({ action: "untrack", symbol, interval }));
  actions.append(again, remove);
  [...row.cells].forEach((td, i) => td.setAttribute("data-label", LABELS[i]));
  return row;
}

function updateRow(row, entry) {
  const [stock, close, moved, spark, forecast, riskCell, year, trend, healthCell] = row.cells;
  setAttr(row, "aria-selected", String(selectedKey() === entryKey(entry)));
  setText(stock.children[1], entry.name || "");
  const exchange = exchangeName(entry.exchange);
  setText(stock.children[2], [entry.interval, exchange].filter(Boolean).join(" \u00b7 "));
  setAttr(stock.children[2], "title", exchange
    ? `Traded on ${exchange} (${entry.exchange}): its sessions set when a close is due` : null);
  const rules = stock.children[3];
  rules.hidden = !entry.rules;
  setText(rules, entry.rules ? `\u{1F514} ${entry.rules} alert${entry.rules > 1 ? "s" : ""}` : "");
  setAttr(rules, "aria-label", entry.rules
    ? `${entry.rules} alert rule${entry.rules > 1 ? "s" : ""} watch ${entry.symbol}: see Alerts` : null);
  lines(close, number(entry.close), sessionWords(entry.session, entry.session_closed), "num");
  lines(moved, signed(entry.change), percent(entry.change_pct), `num ${direction(entry.change)}`);
  drawSpark(spark.firstChild, entry.spark || []);
  if (entry.forecast) {
    const skill = skillSentence(entry.forecast);
    lines(forecast, rangeSentence(entry.forecast.range, entry.interval, entry.timezone), skill.text,
      skill.warning ? "forecast warning" : "forecast");
  } else {
    lines(forecast, "not made yet", "a forecast follows the first fetch", "forecast");
  }
  const risk = entry.risk;
  if (risk) {
    lines(riskCell, swings(risk.volatility, true),
      risk.volatility == null ? "" : calmOrWild(risk.volatility_percentile, false));
    setAttr(riskCell, "title", risk.volatility == null ? null
      : `${swings(risk.volatility)}: ${calmOrWild(risk.volatility_percentile)}`);
    lines(year, fromHigh(risk, true), largestFall(risk.drawdown));
  } else {
    lines(riskCell, "not computed yet", "comes with the next forecast");
    setAttr(riskCell, "title", null);
    lines(year, "not computed yet", "");
  }
  lines(trend, trendWords(entry.trend50, 50), trendWords(entry.trend200, 200));
  setAttr(trend, "title", "The last close against the average close of the last 50 and 200 " +
    `sessions (moving averages${entry.sma50 == null ? "" : `: ${number(entry.sma50)}`}` +
    `${entry.sma200 == null ? "" : ` and ${number(entry.sma200)}`}).`);
  const state = health(entry.fetch);
  const fresh = freshness(entry.freshness);
  const detail = [state.failing && entry.fetch.error ? entry.fetch.error : "", fresh.text];
  lines(healthCell, state.text, detail.filter(Boolean).join(" \u00b7 "),
    state.failing || fresh.stale ? "health down" : "health");
  setText(healthCell.children[2], splitsAndDividends(entry.actions));
}

function draw() {
  syncChildren($("#watchlist tbody"), sorted(entries), entryKey, buildRow, updateRow);
  $("#watchlist-empty").hidden = entries.length > 0;
  $("#watchlist").hidden = entries.length === 0;
}

async function update(views) {
  entries = (await views.get("watchlist")).watchlist;
  draw();
  if (!painted) {
    painted = true;
    performance.mark("watchlist-painted");
  }
}

export function init() {
  for (const th of document.querySelectorAll("#watchlist th[data-sort]")) {
    const label = th.textContent;
    const button = element("button", { type: "button", className: "sort", textContent: label });
    button.addEventListener("click", () => sortBy(th.dataset.sort));
    th.replaceChildren(button);
  }
  $("#watchlist th[data-sort=symbol]").setAttribute("aria-sort", "ascending");
  $("#sort-by").addEventListener("change", (event) => {
    sorting.key = "";  // a choice from the list sorts ascending
    sortBy(event.target.value);
  });
}

register({ name: "watchlist", view: "watchlist", update });
