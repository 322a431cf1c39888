// A training CSV, read: what an honest file gives, and what a hostile one is told.
import { describe, expect, it } from 'vitest';
import { countDataRows, DatasetError, parseDataset } from '../../src/modules/training/dataset.ts';

const refusal = (text: string, label = 'y') => {
  try {
    parseDataset(text, label);
  } catch (error) {
    if (error instanceof DatasetError) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

const FIVE_ROWS = '1,a\n2,b\n3,a\n4,b\n5,a\n';

describe('parseDataset', () => {
  it('reads quoted values, doubled quotes and CRLF lines, and trims spaces', () => {
    const dataset = parseDataset(
      'x,"the, label"\r\n1,"a ""quoted"" class"\r\n2, b \r\n3,"c"d\r\n4,"""q"""\r\n5,"e"\r\n\r\n',
      'the, label',
    );
    expect(dataset.features).toEqual(['x']);
    expect(Array.from(dataset.x)).toEqual([1, 2, 3, 4, 5]);
    expect(dataset.labels).toEqual(['a "quoted" class', 'b', 'cd', '"q"', 'e']);
  });

  it('refuses a NUL character, which no text CSV holds', () => {
    expect(refusal(`x,y\n${FIVE_ROWS}`.replace('b', 'b\u0000'))).toMatch(/NUL character \(character \d+\)/);
  });

  it('names a value in its messages without echoing a huge one', () => {
    const huge = 'z'.repeat(5_000_000);
    const missing = refusal(`${huge},q\n${FIVE_ROWS}`);
    expect(missing).toMatch(/^there is no column "y"; the header has "z{60}…", "q"$/);
    const wide = Array.from({ length: 30 }, (_, i) => `c${i}`).join(',');
    expect(refusal(`${wide}\n`)).toMatch(/"c19", and 10 more$/);
    expect(refusal(`x,y\n1,a\n${huge},b\n3,a\n4,b\n5,a\n`)).toBe(
      `line 3: "${'z'.repeat(60)}…" in column "x" is not a number`,
    );
  });

  it('refuses an unclosed quote, a ragged row and an empty label, saying where', () => {
    expect(refusal('x,y\n1,"a\n2,b\n3,a\n4,b\n5,a')).toBe('line 2: a quoted value is not closed');
    expect(refusal('x,y\n1,a,9\n2,b\n3,a\n4,b\n5,a')).toBe('line 2: 3 values, but the header has 2 columns');
    expect(refusal('x,y\n1,\n2,b\n3,a\n4,b\n5,a')).toBe('line 2: the label "y" is empty');
  });
});

describe('countDataRows', () => {
  it('counts the rows parseDataset reads, before parsing them', () => {
    for (const text of [
      `x,y\n${FIVE_ROWS}`,
      `x,y\r\n${FIVE_ROWS.replaceAll('\n', '\r\n')}\r\n \n`,
      'x,y\n1,a',
    ]) {
      const rows = countDataRows(text);
      expect(rows).toBe(text.includes('5,a') ? 5 : 1);
    }
    expect(parseDataset(`x,y\n${FIVE_ROWS}\n\n`, 'y').rows).toBe(countDataRows(`x,y\n${FIVE_ROWS}\n\n`));
  });
});
