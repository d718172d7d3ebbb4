// The excitations as plain SVG: one bar chart per SE block, in depth order, a bar per channel whose
// height is the channel's gate (0 to 1 for sigmoid gates), as in the SE paper's figures.
import type { BlockGates } from './messages.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const LABEL = 18; // height of a block's caption
const PLOT = 56; // height of a block's bars
const GAP = 14;

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export function excitationChart(blocks: BlockGates[]): SVGSVGElement {
  const rowHeight = LABEL + PLOT + GAP;
  const svg = el('svg', { viewBox: `0 0 ${WIDTH} ${blocks.length * rowHeight}`, role: 'img', class: 'excitations',
    'aria-label': `Excitations of ${blocks.length} SE blocks: one bar per channel, its gate value` });
  blocks.forEach(({ name, gates }, b) => {
    // Sigmoid gates stay within 0..1; other gates (ReLU) may not, so the scale takes the largest.
    const top = Math.max(1, ...gates);
    const mean = gates.reduce((a, g) => a + g, 0) / gates.length;
    const g = el('g', { class: 'se-block', transform: `translate(0 ${b * rowHeight})`, 'data-channels': gates.length });
    g.append(el('text', { x: 0, y: LABEL - 5, class: 'block-label' },
      `${b + 1}. ${name}: ${gates.length} channels, mean gate ${mean.toFixed(3)}`));
    g.append(el('rect', { x: 0, y: LABEL, width: WIDTH, height: PLOT, class: 'plot' }));
    const w = WIDTH / gates.length;
    gates.forEach((v, c) => {
      const h = (v / top) * PLOT;
      const bar = el('rect', { x: c * w, y: LABEL + PLOT - h, width: Math.max(w - 1, 0.5), height: h, class: 'gate' });
      bar.append(el('title', {}, `channel ${c}: ${v.toFixed(3)}`));
      g.append(bar);
    });
    svg.append(g);
  });
  return svg;
}
