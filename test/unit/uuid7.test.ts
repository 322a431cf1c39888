import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from '../../src/infra/database/uuid7.ts';

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 UUID carrying its millisecond, and sorts by it', () => {
    const at = Date.UTC(2026, 10, 29, 12, 30);
    const id = uuidv7(at);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(at);
    const later = Array.from({ length: 50 }, (_, i) => uuidv7(at + i));
    expect([...later].sort()).toEqual(later);
  });

  it('is not repeated within one millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => uuidv7(1_000)));
    expect(ids.size).toBe(10_000);
  });
});
