/* The page's views (watchlist, moving together, alerts, pipeline), chosen by the address's #hash
   (#view-<name>, the id of the view's element), so each can be linked to and the browser's Back
   button works. Only the shown view is polled. */
import { $ } from "./?asset=js/dom.js";

export const VIEWS = ["watchlist", "correlation", "alerts", "pipeline"];
const listeners = [];

export function currentView() {
  const name = location.hash.replace(/^#(view-)?/, "");
  return VIEWS.includes(name) ? name : "watchlist";
}

export function isShown(view) { return currentView() === view; }

export function onViewChange(listener) { listeners.push(listener); }

function show(moveFocus) {
  const current = currentView();
  for (const name of VIEWS) {
    $(`#view-${name}`).hidden = name !== current;
    const link = $(`#nav-${name}`);
    if (name === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (moveFocus) $(`#${current}-heading`).focus();
  for (const listener of listeners) listener(current);
}

export function init() {
  show(false);
  window.addEventListener("hashchange", () => show(true));
}
