/* Talking to the ui function: its JSON views (public) and its changes (token when one is set). */
import { showAccess } from "./?asset=js/about.js";
import { askToken, forgetToken, storedToken } from "./?asset=js/token.js";

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/* One of the JSON views: `view("watchlist")`, `view("symbol", { symbol, interval })`. */
export async function view(name, params = {}) {
  const query = new URLSearchParams({ view: name, ...params });
  const response = await fetch(`?${query}`, { headers: { Accept: "application/json" } });
  return answer(response);
}

/* A change (track, untrack, refresh); on 401 the token is asked for and the change sent again. */
export async function change(fields) {
  for (let attempt = 0; ; attempt++) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const token = storedToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch("./", { method: "POST", headers, body: JSON.stringify(fields) });
    if (response.status !== 401) {
      showAccess();
      return answer(response);
    }
    if (token) forgetToken();  // rejected: never sent again
    const reason = token ? "wrong" : "missing";
    if (attempt < 2 && await askToken(reason)) continue;
    showAccess();
    throw new ApiError(401, READ_ONLY[reason]);
  }
}

const READ_ONLY = {
  missing: "This page is read-only until you enter the access token.",
  wrong: "Wrong access token (it has been forgotten): this page is read-only until you enter " +
    "the right one.",
};

async function answer(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: said below */ }
  if (response.ok) return body;
  const message = body && body.error ? body.error : `The server answered ${response.status}.`;
  throw new ApiError(response.status, message);
}
