/* The poll: every few seconds each registered panel updates itself in place from the views.

A panel is `{ name, view, update(views) }`: it is updated while its page view (nav.js) is shown;
`views.get(name, params)` answers a JSON view, asked at most once per poll however many panels
read it. A panel's failure is reported, the others are still drawn. Each finished poll leaves a
`poll` performance mark (tests wait on it).
*/
import { showAbout } from "./?asset=js/about.js";
import { view } from "./?asset=js/api.js";
import { $, setText } from "./?asset=js/dom.js";
import { isShown, onViewChange } from "./?asset=js/nav.js";

export const POLL_MS = 5000;
const panels = [];
let running = null;
let queued = null;

export function register(panel) { panels.push(panel); }

class Views {
  constructor() { this.answers = new Map(); }

  get(name, params = {}) {
    const key = JSON.stringify([name, params]);
    if (!this.answers.has(key)) {
      this.answers.set(key, view(name, params).then((answer) => {
        showAbout(answer);
        return answer;
      }));
    }
    return this.answers.get(key);
  }
}

/* Update every panel now. A call during a poll is answered by one more poll after it (which
   sees what the caller just changed), shared by every such call: never two polls at once. */
export function refresh() {
  if (!running) {
    running = pollOnce().finally(() => { running = null; });
    return running;
  }
  if (!queued) queued = running.then(() => { queued = null; return refresh(); });
  return queued;
}

async function pollOnce() {
  const views = new Views();
  const shown = panels.filter((panel) => isShown(panel.view));
  const outcomes = await Promise.allSettled(shown.map((panel) => panel.update(views)));
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  setText($("#updated"), failed
    ? `Could not update: ${failed.reason.message}`
    : `Updated ${new Date().toISOString().slice(11, 19)} UTC; refreshing every ${POLL_MS / 1000} s.`);
  performance.mark("poll");
}

export function start() {
  onViewChange(() => refresh());
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
}
