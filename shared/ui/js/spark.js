/* A sparkline: the last sessions' closes as a small SVG line, updated in place. */

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 100;
const HEIGHT = 28;

export function makeSpark() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  const line = document.createElementNS(SVG, "polyline");
  svg.append(line);
  return svg;
}

/* Draw `values` (nulls skipped) and say them in the label: first, last, low and high. */
export function drawSpark(svg, values) {
  const points = values.map((v, i) => [i, v]).filter(([, v]) => v != null && Number.isFinite(v));
  const line = svg.firstChild;
  if (points.length < 2) {
    line.setAttribute("points", "");
    svg.setAttribute("aria-label", "not enough sessions for a line yet");
    return;
  }
  const ys = points.map(([, v]) => v);
  const low = Math.min(...ys);
  const high = Math.max(...ys);
  const span = high - low || 1;
  const step = WIDTH / (values.length - 1);
  const drawn = points.map(([i, v]) =>
    `${(i * step).toFixed(1)},${(HEIGHT - 2 - ((v - low) / span) * (HEIGHT - 4)).toFixed(1)}`).join(" ");
  if (line.getAttribute("points") !== drawn) line.setAttribute("points", drawn);
  const first = ys[0];
  const last = ys.at(-1);
  line.setAttribute("class", last > first ? "up" : last < first ? "down" : "");
  svg.setAttribute("aria-label", `last ${values.length} sessions: from ${first.toFixed(2)} to ` +
    `${last.toFixed(2)}, low ${low.toFixed(2)}, high ${high.toFixed(2)}`);
}
