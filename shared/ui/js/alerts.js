/* The alerts view: what fired (newest first), every rule, and where delivered alerts can be read
   (the local webhook receiver, under make run). */
import { $, element, setAttr, setClass, setText, syncChildren } from "./?asset=js/dom.js";
import { DASH, dateTime, shortDate } from "./?asset=js/format.js";
import { register } from "./?asset=js/poll.js";
import { deleteButton, ruleWords } from "./?asset=js/rules.js";

const EMPTY = "empty";

/* Rows of `items` in a table whose cells come from `cells(item)` ([label, text, className]);
   a cell that is a DOM node is placed as it is. */
function syncRows(selector, items, keyOf, cells, empty) {
  const rows = items.length ? items : [EMPTY];
  syncChildren($(`${selector} tbody`), rows, (item) => (item === EMPTY ? EMPTY : keyOf(item)),
    (item) => {
      const row = document.createElement("tr");
      if (item === EMPTY) {
        row.append(element("td", { colSpan: 5, className: "muted", textContent: empty }));
      }
      return row;
    },
    (row, item) => {
      if (item === EMPTY) return;
      cells(item).forEach(([label, content, className], i) => {
        const cell = row.cells[i] || row.insertCell();
        setAttr(cell, "data-label", label);
        setClass(cell, className || "");
        if (typeof content === "string") setText(cell, content);
        else if (cell.firstChild !== content) cell.replaceChildren(content);
      });
    });
}

const PRICE_KINDS = ["above", "below", "move", "band"];

/* When it happened: a daily bar's session date, else the moment (a deadline, a failure). */
function whenText(alert) {
  return alert.interval === "daily" && PRICE_KINDS.includes(alert.kind)
    ? shortDate(alert.time) : dateTime(alert.time);
}

function valueText(alert) {
  if (alert.value == null) return DASH;
  return alert.kind === "move" ? `${alert.value > 0 ? "+" : ""}${alert.value.toFixed(2)}%`
    : alert.kind === "failing" ? `${alert.value} failures` : alert.value.toFixed(2);
}

const buttons = new Map();  // one Delete button per rule, kept across polls (focus survives)

function buttonFor(rule) {
  if (!buttons.has(rule.rule)) buttons.set(rule.rule, deleteButton(rule));
  return buttons.get(rule.rule);
}

async function update(views) {
  const data = await views.get("alerts");
  const inbox = $("#alerts-inbox");
  inbox.hidden = !data.inbox;
  if (data.inbox) setAttr(inbox.querySelector("a"), "href", data.inbox);
  syncRows("#alert-history", data.alerts, (alert) => alert.alert_id, (alert) => [
    ["When", whenText(alert)], ["Stock", `${alert.symbol} (${alert.interval})`],
    ["What happened", alert.message, "wrap"], ["Value", valueText(alert), "num"],
    ["Noticed", dateTime(alert.fired_at)],
  ], "No alert has fired yet.");
  syncRows("#alert-rules", data.rules, (rule) => rule.rule, (rule) => [
    ["Stock", `${rule.symbol} (${rule.interval})`], ["Alert when", ruleWords(rule), "wrap"],
    ["Note", rule.note || DASH], ["Since", dateTime(rule.created)],
    ["Actions", buttonFor(rule), "actions"],
  ], "No rules yet: open a stock in the watchlist to add one.");
}

register({ name: "alerts", view: "alerts", update });
