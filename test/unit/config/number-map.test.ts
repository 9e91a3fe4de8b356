import { describe, expect, it } from 'vitest';
import { parseNumberDirectory, parseNumberMap } from '../../../src/config/number-map.js';

describe('the number map file', () => {
  it('keeps reading the plain number = room forms', () => {
    expect(parseNumberMap('+1 555 123 0001 = standup\n4000 = allhands # comment\n')).toEqual({ ok: false, problem: expect.any(String) });
    expect(parseNumberMap('+15551230001 = standup\n4000 = allhands # comment\n')).toEqual({ ok: true, value: { '+15551230001': 'standup', '4000': 'allhands' } });
    expect(parseNumberMap('{"+1 (555) 123-0001": "standup"}')).toEqual({ ok: true, value: { '+15551230001': 'standup' } });
  });

  it('reads names for caller numbers, alone or with a room, in lines and in JSON', () => {
    const lines = parseNumberDirectory('+4930123456 = "Reception"   # the front desk\n+4930123457 = sales "Sales #1 desk"\n4000 = allhands\n');
    expect(lines).toEqual({
      ok: true,
      value: { rooms: { '+4930123457': 'sales', '4000': 'allhands' }, names: { '+4930123456': 'Reception', '+4930123457': 'Sales #1 desk' } },
    });
    const json = parseNumberDirectory('{"+49 30 123456": {"name": "Reception"}, "+4930123457": {"room": "sales", "name": "Sales"}, "4000": "allhands"}');
    expect(json).toEqual({
      ok: true,
      value: { rooms: { '+4930123457': 'sales', '4000': 'allhands' }, names: { '+4930123456': 'Reception', '+4930123457': 'Sales' } },
    });
  });

  it('says which entry is wrong', () => {
    expect(parseNumberDirectory('4000 = ""')).toMatchObject({ ok: false, problem: expect.stringMatching(/line 1/) });
    expect(parseNumberDirectory('{"4000": {}}')).toMatchObject({ ok: false, problem: expect.stringMatching(/4000/) });
    expect(parseNumberDirectory('{"4000": {"name": 5}}')).toMatchObject({ ok: false, problem: expect.stringMatching(/name/) });
  });
});
