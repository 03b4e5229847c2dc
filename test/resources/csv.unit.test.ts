import { describe, expect, it } from 'vitest';
import { toCsv } from '../../src/resources/csv';
import { rowFormat } from '../../src/resources/exports/formats';
import { negotiate } from '../../src/resources/postgrest';

describe('CSV rendering', () => {
  it('quotes what needs quoting, leaves the rest bare, and renders NULL as empty', () => {
    const csv = toCsv([
      { id: 1, name: 'Smith, Jr', note: 'said "hi"', empty: null, company: { name: 'Acme' } },
      { id: 2, name: ' padded', note: 'two\nlines', empty: '', company: null },
    ]);
    expect(csv).toBe('id,name,note,empty,company\r\n1,"Smith, Jr","said ""hi""",,"{""name"":""Acme""}"\r\n2," padded","two\nlines",,\r\n');
    expect(toCsv([])).toBe('');
  });
});

describe('export CSV pages as arrays', () => {
  const keys = ['2026-01-01 00:00:00+00', 'k-id'];
  it('writes the columns only, not the order keys after them; formula cells neutralised', () => {
    const csv = rowFormat('csv', ['id', 'name', 'n'], false);
    expect(
      csv.arrays?.([
        ['a', '=1+2', 3, ...keys],
        ['b', null, -4, ...keys],
      ]),
    ).toBe(`a,"'=1+2",3\r\nb,,-4\r\n`);
  });
  it('writes embedded relations as their JSON when the projection has them', () => {
    const csv = rowFormat('csv', ['id', 'company'], true);
    expect(
      csv.arrays?.([
        ['a', { name: 'Acme, Inc' }, ...keys],
        ['b', null, ...keys],
      ]),
    ).toBe('a,"{""name"":""Acme, Inc""}"\r\nb,\r\n');
  });
});

describe('Accept negotiation', () => {
  const cases: Array<[string | undefined, ReturnType<typeof negotiate>]> = [
    [undefined, 'json'],
    ['', 'json'],
    ['application/json', 'json'],
    ['text/csv', 'csv'],
    ['application/vnd.pgrst.object+json', 'object'],
    ['application/vnd.pgrst.object+json;nulls=stripped', 'object'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'json'],
    ['application/json;q=0.5, text/csv', 'csv'],
    ['text/csv;q=0, application/json', 'json'],
    ['application/xml', null],
    ['text/csv;q=0', null],
  ];
  for (const [accept, want] of cases) it(`${accept ?? '(none)'} → ${want}`, () => expect(negotiate(accept)).toBe(want));
});
