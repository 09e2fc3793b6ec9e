/* Numbers, percentages and times as the page shows them. */

export const DASH = "\u2013";

export const number = (value, digits = 2) =>
  value == null || !Number.isFinite(value) ? DASH : value.toFixed(digits);

export const percent = (value) =>
  value == null || !Number.isFinite(value) ? DASH : `${value > 0 ? "+" : ""}${value.toFixed(2)}%`;

export const direction = (value) => (value > 0 ? "up" : value < 0 ? "down" : "");

export function when(iso, interval = "5min") {
  if (!iso) return DASH;
  const text = new Date(iso).toISOString().replace("T", " ");
  return interval === "daily" ? text.slice(0, 10) : `${text.slice(0, 16)} UTC`;
}

export function compact(value) {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)}k`;
  return String(value);
}
