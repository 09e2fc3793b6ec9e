/* The watchlist panel: one row per tracked entry, updated in place on every poll. */
import { change } from "./?asset=js/api.js";
import { openDetail, selectedKey } from "./?asset=js/detail.js";
import { $, element, setAttr, setClass, setText, syncChildren } from "./?asset=js/dom.js";
import { DASH, direction, number, percent, when } from "./?asset=js/format.js";
import { refresh, register } from "./?asset=js/poll.js";
import { showError, status } from "./?asset=js/messages.js";

const ARROW = { up: "\u25b2", down: "\u25bc", flat: "\u25b6" };
let painted = false;

export function entryKey(entry) { return `${entry.symbol}/${entry.interval}`; }

/* Where the last close stands to its moving average: above reads as an up trend. */
function trend(value) {
  if (!value) return [DASH, ""];
  return value === "above" ? [`${ARROW.up} above`, "up"] : [`${ARROW.down} below`, "down"];
}

/* The model that drew the forecast, and the entry's choice when that was another (auto). */
function modelText(asked, drew) {
  return asked === drew ? drew : `${drew} (${asked === "auto" ? "auto" : `asked ${asked}`})`;
}

function actionButton(text, handler) {
  return element("button", { type: "button", textContent: text, onclick: handler });
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

/* A row's cells and buttons are made once; a poll only changes their text. */
function buildRow(entry) {
  const { symbol, interval } = entry;
  const row = document.createElement("tr");
  const open = element("button", { type: "button", className: "symbol-link", textContent: symbol });
  open.setAttribute("aria-label", `Chart of ${symbol} (${interval})`);
  open.addEventListener("click", () => openDetail(symbol, interval));
  row.insertCell().append(open);
  for (let i = 0; i < 9; i++) row.insertCell();
  const actions = row.insertCell();
  actions.className = "actions";
  const refreshButton = actionButton("Refresh", () => act({ action: "refresh", symbol, interval }));
  refreshButton.setAttribute("aria-label", `Fetch ${symbol} (${interval}) now`);
  const remove = actionButton("Remove", () => act({ action: "untrack", symbol, interval }));
  remove.setAttribute("aria-label", `Stop tracking ${symbol} (${interval})`);
  actions.append(refreshButton, remove);
  return row;
}

function fill(td, text, className = "", title = null) {
  setText(td, text);
  setClass(td, className);
  setAttr(td, "title", title);
}

function updateRow(row, entry) {
  const cells = row.cells;
  setAttr(row, "aria-selected", String(selectedKey() === entryKey(entry)));
  fill(cells[1], entry.interval);
  fill(cells[2], number(entry.close), "num");
  fill(cells[3], percent(entry.change_pct), `num ${direction(entry.change_pct)}`);
  [50, 200].forEach((days, i) => {
    const [text, className] = trend(entry[`trend${days}`]);
    const average = entry[`sma${days}`];
    fill(cells[4 + i], text, className, average == null
      ? `fewer than ${days} days of history`
      : `${days}-day average ${number(average)}`);
  });
  const forecast = entry.forecast;
  if (forecast) {
    fill(cells[6], `${ARROW[forecast.direction]} ${percent(forecast.change_pct)}`,
      forecast.direction === "flat" ? "" : forecast.direction);
    fill(cells[7], number(forecast.rel_naive), `num ${direction(1 - forecast.rel_naive)}`);
    fill(cells[8], modelText(entry.model, forecast.model));
  } else {
    fill(cells[6], "not yet");
    fill(cells[7], DASH, "num");
    fill(cells[8], entry.model);
  }
  const fetched = entry.fetch;
  fill(cells[9], fetched ? `${when(fetched.time)} \u00b7 ${fetched.status}` : "not yet",
    fetched && fetched.status !== "ok" ? "down" : "", fetched && fetched.error ? fetched.error : null);
}

async function update(views) {
  const { watchlist } = await views.get("watchlist");
  syncChildren($("#watchlist tbody"), watchlist, entryKey, buildRow, updateRow);
  $("#watchlist-empty").hidden = watchlist.length > 0;
  if (!painted) {
    painted = true;
    performance.mark("watchlist-painted");
  }
}

register({ name: "watchlist", update });
