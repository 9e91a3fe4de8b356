import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { configProblems, MINIMAL_ENV } from '../../support/config-problems.js';


describe('registration keep-alive settings', () => {
  it('default to OPTIONS every 25 s', () => {
    const c = loadConfig({ env: MINIMAL_ENV });
    expect(c.sip.keepAliveMethod).toBe('options');
    expect(c.sip.keepAliveIntervalSeconds).toBe(25);
  });

  it('accept OPTIONS, CRLF and NONE in any case', () => {
    const method = (v: string): string => loadConfig({ env: { ...MINIMAL_ENV, JIGASI_SIP_KEEP_ALIVE_METHOD: v } }).sip.keepAliveMethod;
    expect(method('options')).toBe('options');
    expect(method('CRLF')).toBe('crlf');
    expect(method(' None ')).toBe('none');
    expect(loadConfig({ env: { ...MINIMAL_ENV, SIP_KEEP_ALIVE_INTERVAL: '5' } }).sip.keepAliveIntervalSeconds).toBe(5);
    expect(loadConfig({ env: { ...MINIMAL_ENV, SIP_KEEP_ALIVE_INTERVAL: '3600' } }).sip.keepAliveIntervalSeconds).toBe(3600);
  });

  it('list a bad method and an out-of-range interval with the other problems', () => {
    const problems = configProblems({ JIGASI_SIP_KEEP_ALIVE_METHOD: 'PING', SIP_KEEP_ALIVE_INTERVAL: '4', XMPP_PORT: 'abc' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^JIGASI_SIP_KEEP_ALIVE_METHOD: 'PING' is not one of options, crlf, none$/),
        expect.stringMatching(/^SIP_KEEP_ALIVE_INTERVAL: 4 is out of range 5\.\.3600$/),
        expect.stringMatching(/^XMPP_PORT:/),
      ]),
    );
    expect(configProblems({ SIP_KEEP_ALIVE_INTERVAL: '3601' })).toEqual(['SIP_KEEP_ALIVE_INTERVAL: 3601 is out of range 5..3600']);
    expect(configProblems({ SIP_KEEP_ALIVE_INTERVAL: 'soon' })).toEqual(["SIP_KEEP_ALIVE_INTERVAL: 'soon' is not a whole number"]);
  });
});
