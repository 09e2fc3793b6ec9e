/* The "moving together" panel: which tracked stocks' daily moves went together over the last
   year, as the most and least related pairs in words and the whole table, shaded. */
import { $, element, setText, syncChildren } from "./?asset=js/dom.js";
import { number } from "./?asset=js/format.js";
import { register } from "./?asset=js/poll.js";

/* Plain words for a correlation. */
export function together(value) {
  if (value == null) return "too few common sessions";
  if (value >= 0.7) return "move together strongly";
  if (value >= 0.4) return "often move together";
  if (value > -0.4) return "mostly move independently";
  if (value > -0.7) return "often move opposite";
  return "move opposite strongly";
}

/* A cell's shade: blue for together, orange for opposite, stronger the closer to 1 or -1. */
function shade(value) {
  if (value == null) return "";
  const alpha = Math.min(Math.abs(value), 1) * 0.55;
  return value >= 0 ? `rgba(26,95,180,${alpha.toFixed(2)})` : `rgba(198,70,0,${alpha.toFixed(2)})`;
}

const PAIRS_SHOWN = 3;

async function update(views) {
  const data = await views.get("correlation");
  setText($("#correlation-explanation"), data.explanation);
  const pairs = data.pairs;
  $("#correlation-empty").hidden = pairs.length > 0;
  const chosen = pairs.length <= 2 * PAIRS_SHOWN ? pairs
    : [...pairs.slice(0, PAIRS_SHOWN), ...pairs.slice(-PAIRS_SHOWN)];
  syncChildren($("#correlation-pairs"), chosen, (p) => `${p.a}/${p.b}`,
    () => element("li"),
    (li, p) => setText(li, `${p.a} and ${p.b} ${together(p.correlation)} ` +
      `(${number(p.correlation)})`));
  const head = $("#correlation-matrix thead tr");
  const symbols = data.symbols;
  const header = ["", ...symbols];
  syncChildren(head, header, (s) => `h/${s}`, (s) => {
    const th = element("th", { scope: "col", textContent: s });
    if (!s) th.append(element("span", { className: "visually-hidden", textContent: "stock" }));
    return th;
  }, () => {});
  const rows = symbols.map((symbol, i) => ({ symbol, name: data.names[i], values: data.matrix[i] }));
  syncChildren($("#correlation-matrix tbody"), rows, (r) => `${r.symbol}/${symbols.join(",")}`,
    (r) => {
      const tr = element("tr");
      tr.append(element("th", { scope: "row", textContent: r.symbol, title: r.name || "" }));
      for (let i = 0; i < symbols.length; i++) tr.insertCell();
      return tr;
    },
    (tr, r) => {
      r.values.forEach((value, i) => {
        const td = tr.cells[i + 1];
        setText(td, r.symbol === symbols[i] ? "\u2014" : number(value));
        td.style.background = r.symbol === symbols[i] ? "" : shade(value);
        td.title = r.symbol === symbols[i] ? "" : `${r.symbol} and ${symbols[i]} ${together(value)}`;
      });
    });
  $("#correlation-matrix").hidden = symbols.length < 2;
}

register({ name: "correlation", view: "correlation", update });
