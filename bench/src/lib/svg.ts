/**
 * A horizontal bar chart as a standalone SVG: one row per label, one bar per series, the value
 * written after each bar. Hand-written (some 80 lines) instead of a charting dependency.
 */

export interface BarRow {
  readonly label: string;
  /** One value per series, in the series' order. */
  readonly values: readonly number[];
  /** Rows with the same group are drawn under one heading. */
  readonly group?: string;
}

export interface BarChart {
  readonly title: string;
  /** What the axis counts, e.g. "requests/s". */
  readonly unit: string;
  /** Legend names; a single series draws no legend. */
  readonly series: readonly string[];
  readonly rows: readonly BarRow[];
  /** How a value is written after its bar. */
  readonly format: (value: number) => string;
}

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"];
const PLOT_WIDTH = 400;
/** Room for the value written after the longest bar. */
const VALUE_WIDTH = 110;
/** About how wide a character of the 12 px labels is. */
const CHAR_WIDTH = 6.8;
const BAR = 14;
const ROW_GAP = 10;
const HEADING = 22;

const xml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A round tick step that divides `max` into about four parts (1, 2 or 5 times a power of ten). */
function tickStep(max: number): number {
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  return ([1, 2, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
}

export function barChartSvg(chart: BarChart): string {
  const labelWidth = Math.ceil(Math.max(120, ...chart.rows.map((row) => row.label.length * CHAR_WIDTH)) + 16);
  const width = labelWidth + PLOT_WIDTH + VALUE_WIDTH;
  const max = Math.max(...chart.rows.flatMap((row) => row.values).filter(Number.isFinite), 0) || 1;
  const step = tickStep(max);
  const top = Math.ceil(max / step) * step;
  const x = (value: number) => labelWidth + (Math.max(0, value) / top) * PLOT_WIDTH;
  const parts: string[] = [];
  let y = 30;
  parts.push(`<text x="10" y="20" class="title">${xml(chart.title)}</text>`);
  if (chart.series.length > 1) {
    let legendX = labelWidth;
    for (const [index, name] of chart.series.entries()) {
      parts.push(`<rect x="${legendX}" y="${y}" width="12" height="12" fill="${COLORS[index % COLORS.length]}"/>`);
      parts.push(`<text x="${legendX + 16}" y="${y + 10}">${xml(name)}</text>`);
      legendX += 24 + name.length * 7;
    }
    y += 22;
  }
  const plotTop = y;
  let group: string | undefined;
  for (const row of chart.rows) {
    if (row.group !== undefined && row.group !== group) {
      group = row.group;
      y += 4;
      parts.push(`<text x="10" y="${y + 13}" class="group">${xml(group)}</text>`);
      y += HEADING - 4;
    }
    const rowHeight = row.values.length * BAR;
    parts.push(`<text x="${labelWidth - 8}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${xml(row.label)}</text>`);
    for (const [index, value] of row.values.entries()) {
      const barY = y + index * BAR;
      parts.push(
        `<rect x="${labelWidth}" y="${barY + 1}" width="${(x(value) - labelWidth).toFixed(1)}" height="${BAR - 2}" fill="${COLORS[index % COLORS.length]}"/>`,
      );
      parts.push(
        `<text x="${(x(value) + 4).toFixed(1)}" y="${barY + BAR - 3}" class="value">${xml(chart.format(value))}</text>`,
      );
    }
    y += rowHeight + ROW_GAP;
  }
  const axis: string[] = [];
  for (let tick = 0; tick <= top + step / 2; tick += step) {
    axis.push(`<line x1="${x(tick)}" y1="${plotTop}" x2="${x(tick)}" y2="${y}" class="grid"/>`);
    axis.push(`<text x="${x(tick)}" y="${y + 14}" text-anchor="middle" class="tick">${xml(compact(tick))}</text>`);
  }
  axis.push(
    `<text x="${labelWidth + PLOT_WIDTH / 2}" y="${y + 30}" text-anchor="middle" class="tick">${xml(chart.unit)}</text>`,
  );
  const height = y + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<title>${xml(chart.title)}</title>`,
    "<style>.title{font-size:15px;font-weight:600}.group{font-weight:600;fill:#444}.value{fill:#222}.tick{fill:#666;font-size:11px}.grid{stroke:#ddd;stroke-width:1}</style>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...axis,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** 12000 → 12k, 1500000 → 1.5M, 0.25 → 0.25 */
function compact(value: number): string {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return String(+value.toFixed(2));
}
