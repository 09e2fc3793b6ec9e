/* The access token: asked in a dialog, kept for this tab only (sessionStorage), forgotten when
   the server rejects it. */
import { $ } from "./?asset=js/dom.js";

const TOKEN_KEY = "stocks-api-token";
const REASONS = {
  missing: "This page is read-only until you enter the access token (STOCKS_API_TOKEN).",
  wrong: "That token was wrong: it has been forgotten. Enter the access token again.",
};

export function storedToken() { return sessionStorage.getItem(TOKEN_KEY); }
export function forgetToken() { sessionStorage.removeItem(TOKEN_KEY); }

let asking = null;

/* Ask for the token; resolves true when one was entered (and kept), false on Cancel or Escape.
   Changes refused while the dialog is open wait for the same answer. */
export function askToken(reason = "missing") {
  if (asking) return asking;
  const dialog = $("#token-dialog");
  const input = $("#token-input");
  $("#token-reason").textContent = REASONS[reason];
  input.value = "";
  dialog.returnValue = "";  // Escape and Cancel leave it empty: no token
  asking = new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const ok = dialog.returnValue === "ok" && input.value.trim() !== "";
      if (ok) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      asking = null;
      resolve(ok);
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
  return asking;
}

export function init() {
  $("#token-cancel").addEventListener("click", () => $("#token-dialog").close());
}
