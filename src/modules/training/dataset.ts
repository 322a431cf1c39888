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

/** Splits one CSV line (RFC 4180 quoting: "a,b" and "" for a quote). */
function splitLine(line: string, lineNumber: number): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell === '') quoted = true;
    else if (char === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += char;
  }
  if (quoted) throw new DatasetError(`line ${lineNumber}: a quoted value is not closed`);
  cells.push(cell.trim());
  return cells;
}

/**
 * Reads a CSV with a header row: every column but `labelColumn` must hold finite numbers (the features);
 * the label column may hold class names or numbers.
 */
export function parseDataset(text: string, labelColumn: string): Dataset {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  if (lines.length === 0) throw new DatasetError('the file is empty');
  const header = splitLine(lines[0]!, 1);
  if (new Set(header).size !== header.length)
    throw new DatasetError('line 1: the header repeats a column name');
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) {
    throw new DatasetError(
      `there is no column "${labelColumn}"; the header has ${header.map((h) => `"${h}"`).join(', ')}`,
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
        throw new DatasetError(`line ${lineNumber}: "${cells[i]}" in column "${header[i]}" is not a number`);
      }
      x[row * features.length + column++] = value;
    }
    const label = cells[labelIndex]!;
    if (label === '') throw new DatasetError(`line ${lineNumber}: the label "${labelColumn}" is empty`);
    labels[row] = label;
  }
  return { features, x, rows, labels };
}

/** Class names in a stable order (sorted), and each row's class index. */
export function encodeClasses(labels: string[]): { classes: string[]; y: Int32Array } {
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2)
    throw new DatasetError(`the label column holds a single class ("${classes[0]}"); at least 2 are needed`);
  const index = new Map(classes.map((name, i) => [name, i]));
  return { classes, y: Int32Array.from(labels, (label) => index.get(label)!) };
}

export function numericTargets(labels: string[], labelColumn: string): Float64Array {
  return Float64Array.from(labels, (label, row) => {
    const value = Number(label);
    if (!Number.isFinite(value)) {
      throw new DatasetError(
        `line ${row + 2}: "${label}" in "${labelColumn}" is not a number, as regression needs`,
      );
    }
    return value;
  });
}
