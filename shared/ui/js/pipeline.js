/* The pipeline panel: recent runs, recent failures and dead letters, updated in place. */
import { $, element, setClass, setText, syncChildren } from "./?asset=js/dom.js";
import { DASH, number, when } from "./?asset=js/format.js";
import { register } from "./?asset=js/poll.js";

const EMPTY = "empty";

/* A table's rows from `items`, each row's cells from `texts(item)` ([text, className] pairs);
   `empty` is the one row shown when there are none. */
function syncTable(selector, items, keyOf, texts, columns, empty) {
  const rows = items.length ? items : [EMPTY];
  syncChildren($(`${selector} tbody`), rows, (item) => (item === EMPTY ? EMPTY : keyOf(item)),
    (item) => {
      const row = document.createElement("tr");
      if (item === EMPTY) {
        row.append(element("td", { colSpan: columns, className: "muted", textContent: empty }));
      } else {
        const labels = [...document.querySelectorAll(`${selector} thead th`)];
        for (let i = 0; i < columns; i++) row.insertCell().dataset.label = labels[i].textContent;
      }
      return row;
    },
    (row, item) => {
      if (item === EMPTY) return;
      texts(item).forEach(([text, className], i) => {
        setText(row.cells[i], text);
        setClass(row.cells[i], className || "");
      });
    });
}

const runKey = (run) => `${run.time}/${run.function}/${run.symbol}/${run.interval ?? ""}`;
/* A successful fetch that dropped impossible provider rows says so: the rest was stored. */
const statusCell = (run) => {
  if (run.status !== "ok") return [run.status, "down"];
  return run.dropped ? [`ok, ${run.dropped} dropped`, "warn"] : ["ok", "up"];
};

async function update(views) {
  const pipeline = await views.get("pipeline");
  syncTable("#runs", pipeline.runs, runKey, (run) => [
    [when(run.time)], [run.function], [run.symbol || DASH], statusCell(run),
    [String(run.points ?? DASH), "num"], [number(run.seconds, 2), "num"],
  ], 6, "No runs yet.");
  syncTable("#errors", pipeline.errors, runKey, (run) => [
    [when(run.time)], [run.function], [run.symbol || DASH], statusCell(run),
    [run.error || run.warning || "", "wrap"],
  ], 5, "No errors or warnings.");
  syncTable("#dead-letters", pipeline.dead_letters, (letter) => `${letter.time}/${letter.event_id}`,
    (letter) => [
      [when(letter.time)], [letter.type], [letter.trigger],
      [letter.code ? String(letter.code) : DASH, "num"], [letter.error || "", "wrap"],
    ], 5, "No dead letters.");
}

register({ name: "pipeline", view: "pipeline", update });
