/* Numbers, percentages and times as the page shows them. */

export const DASH = "\u2013";
const LOCALE = "en-GB";  // "Mon 1 Dec": the page is in English, day before month

const finite = (value) => value != null && Number.isFinite(value);

export const number = (value, digits = 2) => (finite(value) ? value.toFixed(digits) : DASH);

export const signed = (value, digits = 2) =>
  (finite(value) ? `${value > 0 ? "+" : ""}${value.toFixed(digits)}` : DASH);

export const percent = (value) => (finite(value) ? `${signed(value)}%` : DASH);

export const direction = (value) => (value > 0 ? "up" : value < 0 ? "down" : "");

/* A session's date, "Mon 1 Dec" (daily bars are stamped at midnight UTC). */
export function shortDate(iso) {
  if (!iso) return DASH;
  return new Intl.DateTimeFormat(LOCALE, {
    weekday: "short", day: "numeric", month: "short", timeZone: "UTC",
  }).format(new Date(iso));
}

/* A moment in the given time zone: "Mon 1 Dec 14:35". */
export function dateTime(iso, timeZone = "UTC") {
  if (!iso) return DASH;
  return new Intl.DateTimeFormat(LOCALE, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZone,
  }).format(new Date(iso));
}

/* "3 min ago", "2 h ago", "5 days ago" */
export function since(iso, now = Date.now()) {
  const seconds = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (seconds < 90) return "just now";
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

export function when(iso) {
  if (!iso) return DASH;
  return `${new Date(iso).toISOString().replace("T", " ").slice(0, 16)} UTC`;
}

export function compact(value) {
  if (!finite(value)) return "";
  const size = Math.abs(value);
  if (size >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
  if (size >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (size >= 1e3) return `${(value / 1e3).toFixed(size >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(value));
}
