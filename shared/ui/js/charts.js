/* The symbol's price and volume charts (uPlot): bars side by side, so closed hours take no
   room, the forecast and its band continuing from the last close; times in the exchange's zone. */
import { compact } from "./?asset=js/format.js";

const LOCALE = "en-GB";

/* "1 Dec 25" for daily bars (stamped at midnight UTC), "1 Dec 14:35" for intraday ones in the
   exchange's own time zone. */
function labeller(interval, timeZone) {
  const format = interval === "daily"
    ? new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", year: "2-digit", timeZone: "UTC" })
    : new Intl.DateTimeFormat(LOCALE, {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone,
    });
  return (seconds) => format.format(new Date(seconds * 1000));
}

/* Three volume ticks (0, half, the most) whatever the volumes: uPlot's own could leave only 0. */
function volumeSplits(u) {
  const most = u.scales.y.max;
  return most > 0 ? [0, most / 2, most] : [0];
}

export function drawCharts(data, priceBox, volumeBox) {
  const prices = data.prices;
  const forecast = data.forecast || { time: [], yhat: [], yhat_lower: [], yhat_upper: [] };
  const n = prices.time.length;
  const h = forecast.time.length;
  const times = prices.time.concat(forecast.time);
  const xs = times.map((_, i) => i);
  const gap = (count) => new Array(count).fill(null);
  const joined = (values) => (h ? gap(n - 1).concat([prices.close[n - 1]], values) : gap(n));
  const format = labeller(data.interval, data.timezone || "UTC");
  const label = (i) => format(times[Math.min(Math.max(Math.round(i), 0), times.length - 1)]);
  const width = Math.max(priceBox.clientWidth, 280);
  const axis = { values: (u, splits) => splits.map(label), space: 90 };
  const cursor = { sync: { key: "stocks-detail" } };
  const modelName = data.forecast ? data.forecast.model : "forecast";
  /* The middle line is a direction only when the model beat naive in testing. */
  const beats = data.figures && data.figures.skill === "better";
  const middle = beats ? `forecast (${modelName})` : `middle of the range (${modelName}; no direction)`;
  const price = new uPlot({
    width, height: Math.round(Math.min(360, Math.max(220, width * 0.55))),
    scales: { x: { time: false } },
    cursor,
    legend: { live: true },
    series: [
      { label: "time", value: (u, i) => (i == null ? "\u2013" : label(i)) },
      { label: "close", stroke: "#1a5fb4", width: 1.5 },
      { label: middle, stroke: "#c64600", width: beats ? 2 : 1, dash: [6, 4] },
      { label: "range low", stroke: "rgba(198,70,0,0.5)", width: 1 },
      { label: "range high", stroke: "rgba(198,70,0,0.5)", width: 1 },
    ],
    bands: [{ series: [4, 3], fill: "rgba(230,97,0,0.18)" }],
    axes: [axis, { size: 60 }],
  }, [xs, prices.close.concat(gap(h)), joined(forecast.yhat), joined(forecast.yhat_lower),
    joined(forecast.yhat_upper)], priceBox);
  const volumes = prices.volume.concat(gap(h));
  const most = Math.max(0, ...prices.volume.filter((v) => v != null));
  const volume = new uPlot({
    width, height: 110,
    scales: { x: { time: false }, y: { range: [0, most > 0 ? most : 1] } },
    cursor,
    legend: { show: false },
    series: [{}, { label: "volume", fill: "rgba(26,95,180,0.35)", stroke: "#1a5fb4",
      paths: uPlot.paths.bars({ size: [0.8, 40] }) }],
    axes: [axis, { size: 60, splits: volumeSplits, values: (u, splits) => splits.map(compact) }],
  }, [xs, volumes], volumeBox);
  priceBox.chart = price;  // for tests: the drawn charts' data
  volumeBox.chart = volume;
  return [price, volume];
}
