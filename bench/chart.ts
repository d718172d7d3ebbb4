// A small SVG writer for the bench: grouped bars (one group per model, one bar per engine) on a
// log-scale axis, one panel per batch size. No chart package in the registry lists fit a static
// file written from Node without a DOM or canvas at a size worth a dependency, so it is written
// by hand: ~100 lines, no dependencies, the SVG opens in any browser.

export interface BarGroup {
  label: string;
  /** Value per series name; a missing series leaves a gap. */
  values: Record<string, number | undefined>;
}

export interface Panel {
  title: string;
  groups: BarGroup[];
}

export interface ChartOptions {
  title: string;
  /** Series in drawing (and legend) order. */
  series: string[];
  /** Axis label, e.g. 'median ms (log scale)'. */
  unit: string;
  colors?: string[];
}

const COLORS = ['#1f77b4', '#aec7e8', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Ticks 1, 2, 5 x 10^k from below lo to above hi. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  }
  const first = ticks.filter((t) => t <= lo).pop() ?? ticks[0];
  const last = ticks.find((t) => t >= hi) ?? ticks[ticks.length - 1];
  return ticks.filter((t) => t >= first && t <= last);
}

export function groupedBarChartSvg(panels: Panel[], o: ChartOptions): string {
  const colors = o.colors ?? COLORS;
  const barW = 16, gap = 22, left = 70, right = 20, panelH = 300, top = 70, titleH = 30, bottomLabels = 40;
  const maxGroups = Math.max(1, ...panels.map((p) => p.groups.length));
  const groupW = o.series.length * barW + gap;
  const width = Math.ceil(Math.max(left + right + maxGroups * groupW, 9 * o.title.length + 40));
  const panelTotal = titleH + panelH + bottomLabels;
  const height = top + panels.length * panelTotal + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  // Legend.
  let lx = left;
  o.series.forEach((s, i) => {
    out.push(`<rect x="${lx}" y="34" width="12" height="12" fill="${colors[i % colors.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="44">${esc(s)}</text>`);
    lx += 24 + 7 * s.length;
  });

  panels.forEach((panel, p) => {
    const y0 = top + p * panelTotal + titleH; // top of the plot area
    const all = panel.groups.flatMap((g) => Object.values(g.values)).filter((v): v is number => v !== undefined && v > 0);
    out.push(`<text x="${left}" y="${y0 - 10}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
    if (!all.length) return;
    const ticks = logTicks(Math.min(...all) / 2, Math.max(...all)); // the shortest bar stays visible
    const [lo, hi] = [Math.log10(ticks[0]), Math.log10(ticks[ticks.length - 1])];
    const headroom = 34; // for the value labels above the tallest bars
    const y = (v: number) => y0 + panelH - ((Math.log10(v) - lo) / Math.max(hi - lo, 1e-9)) * (panelH - headroom);
    const x1 = left + panel.groups.length * groupW;
    for (const t of ticks) {
      out.push(`<line x1="${left}" x2="${x1}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
      out.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${+t.toPrecision(3)}</text>`);
    }
    out.push(`<text transform="translate(16 ${y0 + panelH / 2}) rotate(-90)" text-anchor="middle">${esc(o.unit)}</text>`);
    out.push(`<line x1="${left}" x2="${left}" y1="${y0}" y2="${y0 + panelH}" stroke="#333"/>`);
    out.push(`<line x1="${left}" x2="${x1}" y1="${y0 + panelH}" y2="${y0 + panelH}" stroke="#333"/>`);
    panel.groups.forEach((g, gi) => {
      const gx = left + gi * groupW + gap / 2;
      o.series.forEach((s, si) => {
        const v = g.values[s];
        if (v === undefined || !(v > 0)) return;
        const top = y(v);
        out.push(`<rect x="${gx + si * barW}" y="${top.toFixed(1)}" width="${barW - 2}" height="${(y0 + panelH - top).toFixed(1)}" `
          + `fill="${colors[si % colors.length]}"><title>${esc(`${g.label}, ${s}: ${fmt(v)}`)}</title></rect>`);
        const [tx, ty] = [gx + si * barW + (barW - 2) / 2 + 3, top - 3];
        out.push(`<text x="${tx}" y="${ty.toFixed(1)}" transform="rotate(-90 ${tx} ${ty.toFixed(1)})" font-size="9">${fmt(v)}</text>`);
      });
      out.push(`<text x="${gx + (o.series.length * barW) / 2}" y="${y0 + panelH + 16}" text-anchor="middle">${esc(g.label)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
