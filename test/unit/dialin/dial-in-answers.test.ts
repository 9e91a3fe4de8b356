import { describe, expect, it } from 'vitest';
import { parseDialInNumbers } from '../../../src/config/dial-in-numbers.js';
import { dialInInfoText, mapperAnswer, numbersAnswer, oneTapString, spokenPin } from '../../../src/dialin/dial-in-answers.js';

describe('DIAL_IN_NUMBERS', () => {
  it('reads COUNTRY:NUMBER entries, toll-free ones marked', () => {
    const p = parseDialInNumbers('de:+49 30 1234567, US:+1 (555) 010-0100:tollfree');
    expect(p).toEqual({
      ok: true,
      value: [
        { countryCode: 'DE', formattedNumber: '+49 30 1234567', tollFree: false },
        { countryCode: 'US', formattedNumber: '+1 (555) 010-0100', tollFree: true },
      ],
    });
  });

  it("reads Jitsi's JSON array as it is", () => {
    const p = parseDialInNumbers('[{"countryCode":"GB","formattedNumber":"+44 20 7946 0000","tollFree":false}]');
    expect(p).toEqual({ ok: true, value: [{ countryCode: 'GB', formattedNumber: '+44 20 7946 0000', tollFree: false }] });
  });

  it('names the bad entry', () => {
    for (const [raw, hint] of [
      ['Germany:+49 30 1', 'country code'],
      ['DE:call me', 'phone number'],
      ['DE:+49 30 1234567:free', 'tollfree'],
      ['DE', 'COUNTRY:NUMBER'],
      ['[{"countryCode":"DE"}]', 'formattedNumber'],
      ['[oops', 'invalid JSON'],
    ] as const) {
      const p = parseDialInNumbers(raw);
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.problem).toContain(hint);
    }
  });
});

describe('the answers Jitsi Meet reads', () => {
  const numbers = [
    { countryCode: 'DE', formattedNumber: '+49 30 1234567', tollFree: false },
    { countryCode: 'DE', formattedNumber: '+49 800 000000', tollFree: true },
    { countryCode: 'US', formattedNumber: '+1 555 010 0100', tollFree: false },
  ];

  it('gives the conference mapper id as a number and the conference', () => {
    expect(mapperAnswer('room@muc.meet.jitsi', '12345678')).toEqual({ message: expect.any(String), id: 12345678, conference: 'room@muc.meet.jitsi' });
  });

  it('lists numbers as an array, or per country with numbersEnabled', () => {
    expect(numbersAnswer(numbers, 'array')).toEqual(numbers);
    expect(numbersAnswer(numbers, 'object')).toEqual({
      message: expect.any(String),
      numbers: { DE: ['+49 30 1234567', '+49 800 000000'], US: ['+1 555 010 0100'] },
      numbersEnabled: true,
    });
    expect(numbersAnswer([], 'object')).toMatchObject({ numbers: {}, numbersEnabled: false });
  });

  it('writes a calendar block with numbers, the PIN and one-tap strings', () => {
    expect(oneTapString(numbers[0]!, '12345678')).toBe('+49301234567,,12345678#');
    expect(spokenPin('12345678')).toBe('1234 5678');
    expect(spokenPin('123456789')).toBe('123 456 789');
    const text = dialInInfoText('caf%c3%a9@muc.meet.jitsi', '12345678', numbers);
    expect(text).toContain('Join café by phone');
    expect(text).toContain('DE  +49 800 000000 (toll-free)');
    expect(text).toContain('PIN: 1234 5678 #');
    expect(text).toContain('US  +15550100100,,12345678#');
  });
});
