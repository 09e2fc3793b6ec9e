/* Plain words for the figures: what a beginner reads first, the technical name second. */
import { DASH, dateTime, number, percent, shortDate, since } from "./?asset=js/format.js";

const ARROW = { up: "\u25b2", down: "\u25bc", flat: "\u25b6" };

/* "80% likely between 36.10 and 46.20 by Mon 15 Jan" (intraday: by the hour, in the exchange's
   time zone). */
export function rangeSentence(range, interval = "daily", timeZone = "UTC") {
  if (!range) return "no forecast range yet";
  const by = interval === "daily" ? shortDate(range.time) : dateTime(range.time, timeZone);
  return `${Math.round(range.width * 100)}% likely between ${number(range.lower)} and ` +
    `${number(range.upper)} by ${by}`;
}

/* What the model's skill allows to say, and whether it must be a warning. */
export function skillSentence(forecast) {
  const model = forecast.model;
  const times = number(forecast.rel_naive);
  if (forecast.skill === "better") {
    const way = forecast.direction === "flat" ? `${ARROW.flat} about level`
      : `${ARROW[forecast.direction]} ${forecast.direction} ${percent(forecast.change_pct)}`;
    return { text: `${way}: ${model} beat doing nothing in testing (error ${times}\u00d7 naive's)`,
      warning: false };
  }
  if (forecast.skill === "worse") {
    return { text: `\u26a0 ${model} did worse than doing nothing in testing (error ${times}\u00d7 ` +
      "naive's): no direction shown", warning: true };
  }
  if (model === "naive") {
    return { text: "No direction: today's price is the best guess (naive forecast)",
      warning: false };
  }
  return { text: `No direction: ${model} did no better than doing nothing in testing`,
    warning: false };
}

/* How wild the price is now, as the percentile of its own history says it; `withRank` adds
   the percentile itself. */
export function calmOrWild(percentile, withRank = true) {
  if (percentile == null) return "too little history to compare";
  const rank = withRank ? ` (${ordinal(Math.round(percentile))} percentile of its own history)` : "";
  if (percentile < 20) return `much calmer than usual${rank}`;
  if (percentile < 40) return `calmer than usual${rank}`;
  if (percentile <= 60) return `about as usual${rank}`;
  if (percentile <= 80) return `wilder than usual${rank}`;
  return `much wilder than usual${rank}`;
}

function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" })[n % 10] || "th";
  return `${n}${suffix}`;
}

export function swings(volatility, short = false) {
  if (volatility == null) return "not enough history yet";
  const size = `\u00b1${Math.round(volatility * 100)}% a year`;
  return short ? size : `swings about ${size}`;
}

export function fromHigh(risk, short = false) {
  if (risk.from_high == null) return "less than a year of history";
  const below = -risk.from_high * 100;
  const high = short ? "52-week high" : "its 52-week high";
  return below < 0.05 ? `at ${high}` : `${below.toFixed(1)}% below ${high}`;
}

export function fromLow(risk) {
  if (risk.from_low == null) return "less than a year of history";
  const above = risk.from_low * 100;
  return above < 0.05 ? "at its 52-week low" : `${above.toFixed(1)}% above its 52-week low`;
}

export function largestFall(drawdown) {
  return drawdown == null ? DASH : `fell ${(-drawdown * 100).toFixed(1)}% at worst`;
}

/* The exchanges' usual short names (the views carry ISO MICs); an unknown one stays its MIC. */
const EXCHANGES = {
  XNYS: "NYSE", XNAS: "Nasdaq", XLON: "London", XTSE: "Toronto", XETR: "Xetra",
};

export function exchangeName(mic) { return EXCHANGES[mic] || mic || ""; }

/* The session a last close belongs to: "close of Mon 1 Dec", or while that session trades
   "Mon 1 Dec so far, still trading" (the close is then its latest price). */
export function sessionWords(session, closed) {
  if (!session) return "no close yet";
  return closed === false ? `${shortDate(session)} so far, still trading`
    : `close of ${shortDate(session)}`;
}

/* Whether the newest close is the one due: "data fresh as of Wed 2 Dec" or "data stale since
   ...: Wed 2 Dec missing". */
export function freshness(fresh) {
  if (!fresh || fresh.state === "no data") return { text: "no data yet", stale: false };
  if (fresh.state === "fresh") return { text: `data fresh as of ${shortDate(fresh.as_of)}`, stale: false };
  const missing = fresh.missing ? `: ${shortDate(fresh.missing)} missing` : "";
  return { text: `data stale since ${dateTime(fresh.stale_since)} UTC${missing}`, stale: true };
}

/* How old the splits and dividends the prices are adjusted for are: "splits & dividends checked
   with every fetch" (the provider's rows carry them: as old as the last fetch, said above it), or
   for a provider that lists them apart "... checked 3 days ago, next by Fri 2 Jan". */
export function splitsAndDividends(actions, now = Date.now()) {
  if (!actions) return "";
  if (!actions.checked) return "splits & dividends not checked yet";
  if (actions.how === "with every fetch") return "splits & dividends checked with every fetch";
  const checked = `splits & dividends checked ${since(actions.checked, now)}`;
  return actions.next_by ? `${checked}, next by ${shortDate(actions.next_by)}` : checked;
}

/* The row's one-line health: "fetched 3 min ago, ok" or "failing since ...: the error". */
export function health(fetched, now = Date.now()) {
  if (!fetched) return { text: "not fetched yet", failing: false };
  if (fetched.status === "ok") return { text: `fetched ${since(fetched.time, now)}, ok`, failing: false };
  const from = fetched.failing_since || fetched.time;
  return { text: `failing since ${dateTime(from)} UTC (${fetched.status})`, failing: true };
}

export function trendWords(trend, days) {
  if (!trend) return `${days}-day: ${DASH}`;
  return trend === "above" ? `${days}-day ${ARROW.up} above` : `${days}-day ${ARROW.down} below`;
}
