// The excitations as plain SVG text, as in the SE paper's figures of excitations across depth: one
// panel per SE block in depth order, a bar per channel at its gate (one image) or mean gate (many),
// and with classes a line per class through its mean gates. No DOM and no Node: the CLI writes the
// text to a file, the demo page parses it.

/** One SE block's excitation: what `senet-wasm excite` prints as JSON and the demo's worker sends. */
export interface BlockExcitation {
  name: string;
  stage?: string;
  /** Per channel: the gate for one image, or the mean gate over the images. */
  mean: ArrayLike<number>;
  /** Where the images' classes are known: per class, the mean gate over its images. */
  classes?: { label: string; mean: ArrayLike<number> }[];
  /** The block's class specificity (see src/cli/excite.ts). */
  specificity?: number;
}

const WIDTH = 640;
const LABEL = 18; // height of a block's caption
const GAP = 14;
// Tableau 10: the classes' line colours (matplotlib's default cycle, as the paper's plots).
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' })[c]};`);
const attrs = (a: Record<string, string | number>) => Object.entries(a).map(([k, v]) => ` ${k}="${esc(String(v))}"`).join('');
const tag = (name: string, a: Record<string, string | number>, inner?: string) =>
  inner === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${inner}</${name}>`;
const num = (v: number) => String(Math.round(v * 100) / 100);

/** The chart as a standalone SVG document (colours inline, so it renders without a stylesheet). */
export function excitationSvg(blocks: BlockExcitation[]): string {
  const classes = blocks.find((b) => b.classes)?.classes?.map((c) => c.label) ?? [];
  // With class lines the panels are taller: the lines of one block lie close together.
  const plot = classes.length ? 110 : 56;
  const rowHeight = LABEL + plot + GAP;
  const parts: string[] = [];
  // The legend flows in rows: about 6.5 px a character at 11 px.
  const entries = ['all images', ...classes].map((label) => ({ label, width: 22 + 6.5 * label.length }));
  let x = 0, row = 0;
  const placed = entries.map((e) => {
    if (x + e.width > WIDTH) { x = 0; row++; }
    const at = { ...e, x, y: row * 16 };
    x += e.width;
    return at;
  });
  const top = classes.length ? (row + 1) * 16 + 6 : 0;
  if (classes.length) {
    parts.push(tag('g', { class: 'legend', 'font-size': 11, 'font-family': 'sans-serif', fill: '#1d2430' }, placed.map((e, i) =>
      (i === 0 ? tag('rect', { x: e.x, y: e.y + 4, width: 12, height: 10, fill: '#2f62c8', 'fill-opacity': 0.3 })
        : tag('line', { x1: e.x, y1: e.y + 9, x2: e.x + 12, y2: e.y + 9, stroke: COLOURS[(i - 1) % COLOURS.length], 'stroke-width': 2 }))
      + tag('text', { x: e.x + 16, y: e.y + 13 }, esc(e.label))).join('')));
  }
  blocks.forEach((block, b) => {
    const mean = Array.from(block.mean);
    const c = mean.length;
    // Sigmoid gates stay within 0..1; other gates (ReLU) may not, so the scale takes the largest.
    const scale = Math.max(1, ...mean, ...(block.classes ?? []).flatMap((k) => Array.from(k.mean)));
    const y = (v: number) => LABEL + plot - (v / scale) * plot;
    const w = WIDTH / c;
    const overall = mean.reduce((a, v) => a + v, 0) / c;
    const caption = `${b + 1}. ${block.name}${block.stage ? ` (${block.stage})` : ''}: ${c} channels, mean gate ${overall.toFixed(3)}`
      + (block.specificity === undefined ? '' : `, class specificity ${block.specificity.toFixed(3)}`);
    const inner = [
      tag('text', { x: 0, y: LABEL - 5, class: 'block-label', 'font-size': 12, 'font-family': 'sans-serif', fill: '#1d2430' }, esc(caption)),
      tag('rect', { x: 0, y: LABEL, width: WIDTH, height: plot, class: 'plot', fill: '#fff', stroke: '#c3c9d4' }),
      ...mean.map((v, ch) => tag('rect', {
        x: num(ch * w), y: num(y(v)), width: num(Math.max(w - 1, 0.5)), height: num(LABEL + plot - y(v)), class: 'gate',
        fill: '#2f62c8', ...(classes.length && { 'fill-opacity': 0.3 }),
      }, tag('title', {}, `channel ${ch}: ${v.toFixed(3)}`))),
      ...(block.classes ?? []).map((k, i) => tag('polyline', {
        class: 'class-mean', fill: 'none', stroke: COLOURS[i % COLOURS.length], 'stroke-width': 1.2,
        points: Array.from(k.mean, (v, ch) => `${num((ch + 0.5) * w)},${num(y(v))}`).join(' '),
      }, tag('title', {}, esc(k.label)))),
    ];
    parts.push(tag('g', { class: 'se-block', transform: `translate(0 ${top + b * rowHeight})`, 'data-channels': c }, inner.join('')));
  });
  const label = `Excitations of ${blocks.length} SE blocks: one bar per channel, its ${classes.length ? 'mean ' : ''}gate value`
    + (classes.length ? '; one line per class' : '');
  return tag('svg', {
    xmlns: 'http://www.w3.org/2000/svg', width: WIDTH, height: top + blocks.length * rowHeight, viewBox: `0 0 ${WIDTH} ${top + blocks.length * rowHeight}`, role: 'img', class: 'excitations', 'aria-label': label,
  }, parts.join(''));
}
