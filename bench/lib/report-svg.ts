import type { Row } from './results';

/**
 * A hand-written SVG: one panel per concurrency, one line per scenario variant and mode,
 * p95 (light) and p50 (dark) bars on a log axis (the naive baseline can be 1000 × the API),
 * with the edge floor, db floor and naive p50 as markers on the same line.
 */
const W = 1060;
const LABEL_W = 290;
const PLOT_W = 540;
const ROW_H = 24;
const COLORS = {
  pooled: { p50: '#1d4ed8', p95: '#93c5fd' },
  direct: { p50: '#c2410c', p95: '#fdba74' },
  edge: '#15803d',
  db: '#7e22ce',
  naive: '#dc2626',
  grid: '#e5e7eb',
  text: '#111827',
  muted: '#6b7280',
} as const;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

interface Scale {
  x(v: number): number;
  ticks: number[];
}

/** Log scale over whole decades covering every value drawn. */
function logScale(values: number[]): Scale {
  const positive = values.filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.min(...positive, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...positive, 10)));
  const x = (v: number) => LABEL_W + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * PLOT_W;
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e, ...(e < hi ? [3 * 10 ** e] : []));
  return { x, ticks };
}

function legend(y: number): string {
  const items: Array<[string, string]> = [
    [`<rect width="14" height="10" fill="${COLORS.pooled.p50}"/>`, 'p50 pooled'],
    [`<rect width="14" height="10" fill="${COLORS.pooled.p95}"/>`, 'p95 pooled'],
    [`<rect width="14" height="10" fill="${COLORS.direct.p50}"/>`, 'p50 direct'],
    [`<rect width="14" height="10" fill="${COLORS.direct.p95}"/>`, 'p95 direct'],
    [`<rect x="6" y="-3" width="3" height="16" fill="${COLORS.edge}"/>`, 'edge floor p50'],
    [`<rect x="6" y="-3" width="3" height="16" fill="${COLORS.db}"/>`, 'db floor p50'],
    [`<path d="M7 -1 L13 5 L7 11 L1 5 Z" fill="${COLORS.naive}"/>`, 'naive p50'],
  ];
  return items
    .map(
      ([mark, text], i) => `<g transform="translate(${20 + i * 136},${y})">${mark}<text x="20" y="10" font-size="12" fill="${COLORS.text}">${text}</text></g>`,
    )
    .join('');
}

function axis(scale: Scale, top: number, height: number): string {
  return scale.ticks
    .map((t) => {
      const x = scale.x(t).toFixed(1);
      return `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + height}" stroke="${COLORS.grid}"/><text x="${x}" y="${top + height + 14}" font-size="11" text-anchor="middle" fill="${COLORS.muted}">${t >= 1 ? t : t.toPrecision(1)}</text>`;
    })
    .join('');
}

function marker(x: number, y: number, color: string, title: string): string {
  return `<rect x="${(x - 1.5).toFixed(1)}" y="${y - 2}" width="3" height="${ROW_H - 4}" fill="${color}"><title>${esc(title)}</title></rect>`;
}

/** One line: bars, floor markers, the naive diamond, the label and the numbers. */
function rowSvg(r: Row, y: number, scale: Scale): string {
  const c = COLORS[r.result.mode];
  const x0 = LABEL_W;
  const parts = [
    `<text x="${LABEL_W - 8}" y="${y + 14}" font-size="12" text-anchor="end" fill="${COLORS.text}">${esc(`${r.result.id} (${r.label}) · ${r.result.mode}`)}</text>`,
    `<rect x="${x0}" y="${y + 2}" width="${(scale.x(r.result.p95_ms) - x0).toFixed(1)}" height="${ROW_H - 8}" fill="${c.p95}"><title>p95 ${r.result.p95_ms} ms</title></rect>`,
    `<rect x="${x0}" y="${y + 5}" width="${(scale.x(r.result.p50_ms) - x0).toFixed(1)}" height="${ROW_H - 14}" fill="${c.p50}"><title>p50 ${r.result.p50_ms} ms</title></rect>`,
  ];
  if (r.result.floor_edge_p50_ms !== undefined)
    parts.push(marker(scale.x(r.result.floor_edge_p50_ms), y, COLORS.edge, `edge floor p50 ${r.result.floor_edge_p50_ms} ms`));
  if (r.result.floor_db_p50_ms !== undefined)
    parts.push(marker(scale.x(r.result.floor_db_p50_ms), y, COLORS.db, `db floor p50 ${r.result.floor_db_p50_ms} ms`));
  let text = `${fmt(r.result.p50_ms)} / ${fmt(r.result.p95_ms)} ms`;
  if (r.result.naive_p50_ms !== undefined) {
    const nx = scale.x(r.result.naive_p50_ms);
    parts.push(
      `<path d="M${nx} ${y + 3} L${nx + 6} ${y + 10} L${nx} ${y + 17} L${nx - 6} ${y + 10} Z" fill="${COLORS.naive}"><title>naive p50 ${r.result.naive_p50_ms} ms</title></path>`,
    );
    text += ` · naive ${fmt(r.result.naive_p50_ms)}`;
  }
  if (r.result.rows_per_s !== undefined) text += ` · ${Math.round(r.result.rows_per_s)} rows/s`;
  if (r.result.errors) text += ` · ${r.result.errors} errors`;
  parts.push(`<text x="${LABEL_W + PLOT_W + 12}" y="${y + 14}" font-size="11" fill="${COLORS.text}">${esc(text)}</text>`);
  return parts.join('');
}

function panel(rows: Row[], concurrency: number, top: number, scale: Scale): { svg: string; height: number } {
  const height = rows.length * ROW_H;
  const title = `<text x="20" y="${top + 16}" font-size="14" font-weight="bold" fill="${COLORS.text}">Concurrency ${concurrency} — latency in ms, log scale (numbers: p50 / p95)</text>`;
  const body = rows.map((r, i) => rowSvg(r, top + 28 + i * ROW_H, scale)).join('');
  return { svg: title + axis(scale, top + 26, height + 4) + body, height: 28 + height + 30 };
}

export function renderSvg(rows: Row[], subtitle: string): string {
  const values = rows.flatMap((r) => [
    r.result.p50_ms,
    r.result.p95_ms,
    r.result.floor_db_p50_ms ?? 0,
    r.result.floor_edge_p50_ms ?? 0,
    r.result.naive_p50_ms ?? 0,
  ]);
  const scale = logScale(values);
  let y = 76;
  const panels: string[] = [];
  for (const conc of [...new Set(rows.map((r) => r.result.concurrency))].sort((a, b) => a - b)) {
    const p = panel(
      rows.filter((r) => r.result.concurrency === conc),
      conc,
      y,
      scale,
    );
    panels.push(p.svg);
    y += p.height + 10;
  }
  const head = `<text x="20" y="26" font-size="18" font-weight="bold" fill="${COLORS.text}">npm run bench — p50 and p95 per scenario against the baselines</text><text x="20" y="44" font-size="12" fill="${COLORS.muted}">${esc(subtitle)}</text>${legend(56)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" font-family="system-ui, -apple-system, Segoe UI, sans-serif"><rect width="100%" height="100%" fill="#fff"/>${head}${panels.join('')}</svg>\n`;
}
