/**
 * The latency chart of bench/RESULTS.md, as plain SVG text (no charting
 * dependency): one panel per arrival rate, the cumulative distribution of
 * enqueue → handler start of each path on a log-scaled millisecond axis, the
 * vertical axis stretched towards the tail (−log10 of the fraction left) so
 * that p50, p90, p99 and p99.9 are evenly spaced.
 */

export interface Series {
  readonly label: string;
  readonly samples: readonly number[];
}

export interface Panel {
  readonly title: string;
  readonly series: readonly Series[];
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#7f7f7f', '#9467bd', '#ff7f0e'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function latencySvg(panels: readonly Panel[], title: string): string {
  const pw = 320;
  const ph = 240;
  const m = { l: 48, r: 24, t: 44, b: 40 };
  const width = panels.length * (pw + m.l + m.r);
  const height = ph + m.t + m.b + 40;
  const all = panels.flatMap((p) => p.series.flatMap((s) => s.samples)).filter((x) => x > 0);
  // A loop, not Math.min(...all): a full run pools ~100k samples, past the call stack's argument limit.
  let min = Infinity;
  let max = 0;
  for (const v of all) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.1, min))));
  const hi = Math.pow(10, Math.ceil(Math.log10(max)));
  const x = (v: number) => m.l + (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * pw;
    const TAIL = 3; // down to 1 in 1,000 left: p99.9
  const y = (q: number) => m.t + ph - (Math.min(TAIL, -Math.log10(Math.max(1 - q, 10 ** -TAIL))) / TAIL) * ph;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`, `<rect width="100%" height="100%" fill="white"/>`];
  out.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`);
  panels.forEach((panel, i) => {
    out.push(`<g transform="translate(${i * (pw + m.l + m.r)},0)">`);
    out.push(`<text x="${m.l + pw / 2}" y="${m.t - 6}" text-anchor="middle">${esc(panel.title)}</text>`);
    for (let d = lo; d <= hi; d *= 10) {
      out.push(`<line x1="${x(d).toFixed(1)}" x2="${x(d).toFixed(1)}" y1="${m.t}" y2="${m.t + ph}" stroke="#ddd"/>`);
      out.push(`<text x="${x(d).toFixed(1)}" y="${m.t + ph + 14}" text-anchor="middle">${d >= 1 ? d : d.toFixed(1)}</text>`);
    }
    for (const [q, label] of [[0, '0'], [0.5, 'p50'], [0.9, 'p90'], [0.99, 'p99'], [0.999, 'p99.9']] as const) {
      out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y(q).toFixed(1)}" y2="${y(q).toFixed(1)}" stroke="#eee"/>`);
      out.push(`<text x="${m.l - 4}" y="${(y(q) + 4).toFixed(1)}" text-anchor="end">${label}</text>`);
    }
    out.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 30}" text-anchor="middle">ms (log scale)</text>`);
    panel.series.forEach((s, k) => {
      const sorted = [...s.samples].sort((a, b) => a - b);
      if (sorted.length === 0) return;
      // About 400 points per line, and every point of the last 1 %: the tail is where paths differ.
      const step = Math.max(1, Math.floor(sorted.length / 400));
      const tail = Math.floor(sorted.length * 0.99);
      const pts: string[] = [];
      for (let j = 0; j < sorted.length; j += j >= tail ? 1 : step) pts.push(`${x(sorted[j]!).toFixed(1)},${y((j + 1) / sorted.length).toFixed(1)}`);
      out.push(`<polyline fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    });
    out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    out.push('</g>');
  });
  const labels = panels[0]?.series.map((s) => s.label) ?? [];
  labels.forEach((label, k) => {
    const lx = 60 + k * 150;
    out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${height - 12}" y2="${height - 12}" stroke="${COLORS[k % COLORS.length]}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 24}" y="${height - 8}">${esc(label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
