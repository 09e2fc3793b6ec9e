/* What every view says about the page: the demo label while the demo provider serves made-up
   prices, and whether changes need the access token (and whether this tab holds one). */
import { $, setText } from "./?asset=js/dom.js";
import { askToken, forgetToken, storedToken } from "./?asset=js/token.js";

let tokenRequired = false;

export function showAbout(answer) {
  if (!answer || answer.demo === undefined) return;
  $("#demo-label").hidden = !answer.demo;
  tokenRequired = answer.token_required;
  showAccess();
}

/* "Read-only until you enter the access token" with a button to enter it, or, with one kept,
   a button to forget it. */
export function showAccess() {
  const line = $("#access");
  line.hidden = !tokenRequired;
  if (!tokenRequired) return;
  const held = Boolean(storedToken());
  setText($("#access-text"), held
    ? "Changes use the access token you entered in this tab."
    : "This page is read-only until you enter the access token.");
  setText($("#access-button"), held ? "Forget the token" : "Enter the token");
}

export function init() {
  $("#access-button").addEventListener("click", async () => {
    if (storedToken()) forgetToken();
    else await askToken("missing");
    showAccess();
  });
}
