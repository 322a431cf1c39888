/** A dataset that cannot be trained on, with a message that says where and why. */
export class DatasetError extends Error {}

export type Dataset = {
  features: string[];
  /** Row-major, `rows × features.length`. */
  x: Float64Array;
  rows: number;
  /** The label column as written, one per row. */
  labels: string[];
};

/** A value from the file as an error message shows it: quoted, and cut short when long. */
function shown(value: string): string {
  return `"${value.length > 60 ? `${value.slice(0, 60)}…` : value}"`;
}

/** Runs of quotes: the one that closes a quoted value is the first of odd length. */
const QUOTE_RUNS = /"+/g;

/**
 * Splits one CSV line (RFC 4180 quoting: "a,b" and "" for a quote; text after a closing quote is kept).
 * Values are sliced from the line, never built a character at a time: a cell of tens of megabytes costs
 * one copy, not millions of string pieces.
 */
function splitLine(line: string, lineNumber: number): string[] {
  const cells: string[] = [];
  let at = 0;
  for (;;) {
    let value = '';
    if (line[at] === '"') {
      // The closing quote ends the first run of quotes of odd length (the others in it are doubled); runs
      // are found by one regular expression, not a quote at a time, and the value between is cut once.
      let close = -1;
      QUOTE_RUNS.lastIndex = at + 1;
      for (let run = QUOTE_RUNS.exec(line); run; run = QUOTE_RUNS.exec(line)) {
        if ((QUOTE_RUNS.lastIndex - run.index) % 2 === 1) {
          close = QUOTE_RUNS.lastIndex - 1;
          break;
        }
      }
      if (close < 0) throw new DatasetError(`line ${lineNumber}: a quoted value is not closed`);
      // split and join: a third of replaceAll's time on a cell of millions of doubled quotes.
      value = line
        .slice(at + 1, close)
        .split('""')
        .join('"');
      at = close + 1;
    }
    const comma = line.indexOf(',', at);
    const end = comma < 0 ? line.length : comma;
    cells.push((value + line.slice(at, end)).trim());
    if (comma < 0) return cells;
    at = comma + 1;
  }
}

/** Data rows as parseDataset counts them (lines after the header, blank ones at the end aside), unparsed. */
export function countDataRows(text: string): number {
  const trimmed = text.trimEnd();
  let rows = 0;
  for (let at = trimmed.indexOf('\n'); at >= 0; at = trimmed.indexOf('\n', at + 1)) rows++;
  return rows;
}

/**
 * Reads a CSV with a header row: every column but `labelColumn` must hold finite numbers (the features);
 * the label column may hold class names or numbers.
 */
export function parseDataset(text: string, labelColumn: string): Dataset {
  // No text column stores it, and no CSV meant as text holds one.
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw new DatasetError(`it holds a NUL character (character ${nul}): it is not a text CSV`);
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  if (lines.length === 0) throw new DatasetError('the file is empty');
  const header = splitLine(lines[0]!, 1);
  if (new Set(header).size !== header.length)
    throw new DatasetError('line 1: the header repeats a column name');
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) {
    throw new DatasetError(
      `there is no column ${shown(labelColumn)}; the header has ${header.slice(0, 20).map(shown).join(', ')}${
        header.length > 20 ? `, and ${header.length - 20} more` : ''
      }`,
    );
  }
  if (header.length < 2)
    throw new DatasetError('a dataset needs at least one feature column beside the label');
  const features = header.filter((_, i) => i !== labelIndex);
  const rows = lines.length - 1;
  if (rows < 5) throw new DatasetError(`the file has ${rows} data rows; at least 5 are needed`);

  const x = new Float64Array(rows * features.length);
  const labels: string[] = new Array(rows);
  for (let row = 0; row < rows; row++) {
    const lineNumber = row + 2;
    const cells = splitLine(lines[row + 1]!, lineNumber);
    if (cells.length !== header.length) {
      throw new DatasetError(
        `line ${lineNumber}: ${cells.length} values, but the header has ${header.length} columns`,
      );
    }
    let column = 0;
    for (let i = 0; i < cells.length; i++) {
      if (i === labelIndex) continue;
      const value = Number(cells[i]);
      if (cells[i] === '' || !Number.isFinite(value)) {
        throw new DatasetError(
          `line ${lineNumber}: ${shown(cells[i]!)} in column ${shown(header[i]!)} is not a number`,
        );
      }
      x[row * features.length + column++] = value;
    }
    const label = cells[labelIndex]!;
    if (label === '') throw new DatasetError(`line ${lineNumber}: the label ${shown(labelColumn)} is empty`);
    labels[row] = label;
  }
  return { features, x, rows, labels };
}

/** Class names in a stable order (sorted), and each row's class index. */
export function encodeClasses(labels: string[]): { classes: string[]; y: Int32Array } {
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2)
    throw new DatasetError(
      `the label column holds a single class (${shown(classes[0]!)}); at least 2 are needed`,
    );
  const index = new Map(classes.map((name, i) => [name, i]));
  return { classes, y: Int32Array.from(labels, (label) => index.get(label)!) };
}

export function numericTargets(labels: string[], labelColumn: string): Float64Array {
  return Float64Array.from(labels, (label, row) => {
    const value = Number(label);
    if (!Number.isFinite(value)) {
      throw new DatasetError(
        `line ${row + 2}: ${shown(label)} in ${shown(labelColumn)} is not a number, as regression needs`,
      );
    }
    return value;
  });
}
