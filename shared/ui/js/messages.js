/* The page's two message lines: the status of the last change, and the form's error. */
import { $ } from "./?asset=js/dom.js";

export function status(message) { $("#status").textContent = message; }

export function showError(message) {
  const box = $("#form-error");
  box.textContent = message;
  box.hidden = !message;
}
