/* The track form: symbol, interval, model and exchange; Enter on any of them tracks. */
import { change } from "./?asset=js/api.js";
import { $ } from "./?asset=js/dom.js";
import { showError, status } from "./?asset=js/messages.js";
import { refresh } from "./?asset=js/poll.js";

async function track(event) {
  event.preventDefault();
  const symbol = $("#track-symbol").value.trim();
  const fields = { action: "track", symbol, interval: $("#track-interval").value };
  if ($("#track-model").value) fields.model = $("#track-model").value;
  if ($("#track-exchange").value) fields.exchange = $("#track-exchange").value;
  showError("");
  try {
    const result = await change(fields);
    status(result.message);
    $("#track-symbol").value = "";
    $("#track-exchange").value = "";  // the next symbol's exchange is its own
    await refresh();
  } catch (error) {
    showError(error.message);
    $("#track-symbol").focus();
  }
}

export function init() {
  const form = $("#track-form");
  form.addEventListener("submit", track);
  $("#track-symbol").addEventListener("input", () => showError(""));  // a new try: old error goes
  for (const select of form.querySelectorAll("select")) {
    /* Enter on a closed select tracks, as in a text field, instead of opening the list. */
    select.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.altKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
}
