/* Alert rules: the kinds in words, and the open stock's rules panel (in its detail), where a
   rule is added or deleted. The rules themselves live in the alerts function (view "alerts"). */
import { change } from "./?asset=js/api.js";
import { selectedKey } from "./?asset=js/detail.js";
import { $, element, setText, syncChildren } from "./?asset=js/dom.js";
import { dateTime } from "./?asset=js/format.js";
import { showError, status } from "./?asset=js/messages.js";
import { refresh, register } from "./?asset=js/poll.js";

/* Each kind: what the form asks, the field its number goes in (none for band), its default. */
export const KINDS = {
  above: { label: "closes above", field: "level", name: "Price", step: "any" },
  below: { label: "closes below", field: "level", name: "Price", step: "any" },
  move: { label: "moves at least, in one session", field: "percent", name: "Percent", step: "any" },
  band: { label: "closes outside the forecast's 80% band", field: null },
  stale: { label: "has no new data, minutes after the close", field: "minutes", name: "Minutes",
    step: "1", value: "90" },
  failing: { label: "fails to fetch, times in a row", field: "failures", name: "Times",
    step: "1", value: "3" },
};

/* The rule in words without the stock it names (where the stock is said already). */
export const ruleWords = (rule) =>
  rule.description.replace(`${rule.symbol} (${rule.interval}): `, "");

/* Delete a rule, then say so and poll again. */
export async function deleteRule(rule) {
  showError("");
  try {
    status((await change({ action: "delete-rule", rule: rule.rule })).message);
    await refresh();
  } catch (error) {
    showError(error.message);
  }
}

export function deleteButton(rule) {
  const button = element("button", { type: "button", textContent: "Delete" });
  button.setAttribute("aria-label", `Delete the alert: ${rule.description}`);
  button.addEventListener("click", () => deleteRule(rule));
  return button;
}

function ruleItem(rule) {
  const item = element("li");
  item.append(element("span", { className: "rule-text" }), " ", deleteButton(rule));
  return item;
}

function fillItem(item, rule) {
  const made = rule.created ? ` (since ${dateTime(rule.created)})` : "";
  const note = rule.note ? `: \u201c${rule.note}\u201d` : "";
  const words = ruleWords(rule);
  setText(item.querySelector(".rule-text"),
    `${words[0].toUpperCase()}${words.slice(1)}${note}${made}`);
}

function chooseKind() {
  const kind = KINDS[$("#rule-kind").value];
  const number = $("#rule-number");
  $("#rule-number-label").hidden = !kind.field;
  number.required = Boolean(kind.field) && !kind.value;
  number.step = kind.step || "any";
  number.value = kind.value || "";
  setText($("#rule-number-name"), kind.name || "");
}

async function addRule(event) {
  event.preventDefault();
  const key = selectedKey();
  if (!key) return;
  const [symbol, interval] = key.split("/");
  const kind = $("#rule-kind").value;
  const fields = { action: "add-rule", symbol, interval, kind };
  const number = $("#rule-number").value.trim();
  if (KINDS[kind].field && number) fields[KINDS[kind].field] = Number(number);
  const note = $("#rule-note").value.trim();
  if (note) fields.note = note;
  showError("");
  try {
    const result = await change(fields);
    status(result.message);
    $("#rule-note").value = "";
    chooseKind();  // the number back to the kind's default
    await refresh();
  } catch (error) {
    showError(error.message);
  }
}

async function update(views) {
  const key = selectedKey();
  if (!key) return;
  const [symbol, interval] = key.split("/");
  const { rules } = await views.get("alerts", { symbol });
  const mine = rules.filter((rule) => rule.interval === interval);
  setText($("#rules-heading"), `Alerts for ${symbol} (${interval})`);
  syncChildren($("#detail-rules"), mine, (rule) => rule.rule, ruleItem, fillItem);
  $("#detail-rules-empty").hidden = mine.length > 0;
}

export function init() {
  const kinds = $("#rule-kind");
  kinds.replaceChildren(...Object.entries(KINDS).map(([value, kind]) =>
    element("option", { value, textContent: kind.label })));
  kinds.addEventListener("change", chooseKind);
  chooseKind();
  $("#rule-form").addEventListener("submit", addRule);
}

register({ name: "rules", view: "watchlist", update });
